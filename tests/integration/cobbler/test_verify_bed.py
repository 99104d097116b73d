"""`cobbler-winpe verify` on the real bed: a real tftpd-hpa and Apache serve a synced tree; broken links are named."""
import os
import pathlib
import socket
import subprocess
import time

import pytest

from testbed import run_ok, stop_process

from cobbler_winpe.bcd.pxe import build_pxe_store
from cobbler_winpe.gen import layout, menus
from cobbler_winpe.gen.model import Server

pytestmark = pytest.mark.integration

TFTPD = "/usr/sbin/in.tftpd"
RULES = "/etc/cobbler/winpe/tftpd.rules"
DISTRO = "win10-x86_64"
PROFILE = "win10-x86_64-pro"
MAC = "52:54:00:a0:b0:01"
MAC_OFF = "52:54:00:a0:b0:02"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_tftpd(rules=RULES):
    """in.tftpd on a free loopback port over the bed's tree (with or without the remap file); (proc, port)."""
    if not os.path.exists(TFTPD):
        pytest.skip("needs tftpd-hpa (%s)" % TFTPD)
    port = free_udp_port()
    argv = [TFTPD, "-L", "-a", "127.0.0.1:%d" % port, "-s", "/srv/tftpboot"] + (["-m", rules] if rules else [])
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    assert proc.poll() is None, "in.tftpd exited at start"
    return proc, port


@pytest.fixture(scope="module")
def synced(winpe_bed, sample_media):
    """win10 imported and synced, one system that netboots and one that does not; tftpd with the remap rules."""
    winpe_bed.reset()
    run_ok(winpe_bed, "import", "--path", sample_media["win10-x64"].iso, "--name", "win10")
    run_ok(winpe_bed, "system", "add", "--name", "vm-on", "--profile", PROFILE, "--mac", MAC,
           "--netboot-enabled", "true")
    run_ok(winpe_bed, "system", "add", "--name", "vm-off", "--profile", PROFILE, "--mac", MAC_OFF,
           "--netboot-enabled", "false")
    run_ok(winpe_bed, "sync")
    subprocess.run(["chmod", "-R", "a+rX", "/srv/tftpboot"], check=True)
    proc, port = start_tftpd()
    try:
        yield winpe_bed, port
    finally:
        stop_process(proc)


def verify(bed, port, *args):
    argv = [str(bed.venv / "bin" / "cobbler-winpe"), "verify", "--tftp", "127.0.0.1:%d" % port,
            "--timeout", "1"] + list(args)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def fail_lines(out):
    return [line for line in out.splitlines() if line.startswith("FAIL ")]


@pytest.fixture
def moved(synced):
    """Rename files in the tree for one test and put them back afterwards: moved(src, dst)."""
    done = []

    def move(src, dst):
        os.rename(src, dst)
        done.append((dst, src))
    yield move
    for dst, src in reversed(done):
        os.rename(dst, src)


def tftp_file(*parts):
    return pathlib.Path("/srv/tftpboot", "images", DISTRO, *parts)


@pytest.mark.parametrize("firmware", ["bios", "uefi", "ipxe", "ipxe-efi"])
def test_good_tree_passes_for_a_profile(synced, firmware):
    bed, port = synced
    rc, out = verify(bed, port, "--profile", PROFILE, "--firmware", firmware)
    assert rc == 0, out
    assert not fail_lines(out)
    assert "OK   BCD ramdisk WIM: tftp \\images\\%s\\boot.wim" % DISTRO in out
    bcd = "\\images\\%s\\bcd\\%s%s" % (DISTRO, PROFILE, ".uefi" if firmware in ("uefi", "ipxe-efi") else "")
    assert "OK   BCD: tftp %s " % bcd in out


def test_system_found_by_mac_uses_its_own_config(synced):
    bed, port = synced
    rc, out = verify(bed, port, "--mac", MAC.upper())
    assert rc == 0, out
    assert "pxelinux.cfg/01-%s" % MAC.replace(":", "-") in out
    assert "OK   iPXE entry" not in out


def test_system_ipxe_script_from_the_web_server(synced):
    bed, port = synced
    rc, out = verify(bed, port, "--system", "vm-on", "--firmware", "ipxe")
    assert rc == 0, out
    assert "/cblr/svc/op/ipxe/system/vm-on" in out


def test_uefi_client_follows_the_menu_into_the_profile_script(synced):
    bed, port = synced
    rc, out = verify(bed, port, "--profile", PROFILE, "--firmware", "uefi")
    assert rc == 0, out
    assert "OK   NBP from DHCP: tftp %s " % layout.IPXE_EFI in out
    assert "OK   chained script: GET %s " % menus.http_url(Server("127.0.0.1", http_port=bed.http_port),
                                                            layout.ipxe_script_file(DISTRO, PROFILE)) in out
    assert "OK   NBP: tftp images/%s/bootmgfw.efi " % DISTRO in out


def test_grub_menu_cannot_start_windows(synced):
    bed, port = synced
    rc, out = verify(bed, port, "--profile", PROFILE, "--firmware", "grub")
    assert rc == 1
    (line,) = fail_lines(out)
    assert line.startswith("FAIL menu entry: grub/x86_64_menu_items.cfg: menuentry '%s" % PROFILE), out
    assert "GRUB keeps the network card" in line and layout.IPXE_EFI in line


def test_netboot_disabled_boots_local(synced):
    bed, port = synced
    for firmware in ("bios", "ipxe"):
        rc, out = verify(bed, port, "--system", "vm-off", "--firmware", firmware)
        assert rc == 1, out
        assert any("boots from the local disk" in line and "--netboot-enabled true" in line
                   for line in fail_lines(out)), out


def test_bcd_removed(synced, moved, tmp_path):
    bed, port = synced
    moved(tftp_file("bcd", PROFILE), tmp_path / "bcd")
    rc, out = verify(bed, port, "--profile", PROFILE)
    assert rc == 1
    (line,) = fail_lines(out)
    assert line.startswith("FAIL BCD: tftp \\images\\%s\\bcd\\%s: file not found" % (DISTRO, PROFILE)), out
    assert "cobbler sync" in line


def test_remap_rules_missing(synced):
    bed, _port = synced
    proc, port = start_tftpd(rules=None)
    try:
        rc, out = verify(bed, port, "--profile", PROFILE)
    finally:
        stop_process(proc)
    assert rc == 1
    line = fail_lines(out)[0]
    assert line.startswith("FAIL boot manager: tftp \\images\\%s\\bootmgr.exe" % DISTRO), out
    assert "does not remap Windows paths" in line and "-m %s" % RULES in line


def test_wrong_case_on_disk(synced, moved):
    bed, port = synced
    moved(tftp_file("boot.wim"), tftp_file("Boot.WIM"))
    rc, out = verify(bed, port, "--profile", PROFILE, "--firmware", "ipxe")
    assert rc == 1
    (line,) = fail_lines(out)
    assert line.startswith("FAIL BCD ramdisk WIM: tftp \\images\\%s\\boot.wim" % DISTRO), out
    assert "images/%s/Boot.WIM exists" % DISTRO in line and "case differs" in line


def test_bcd_pointing_at_a_missing_wim(synced, moved, tmp_path):
    bed, port = synced
    bcd = tftp_file("bcd", PROFILE)
    moved(bcd, tmp_path / "good-bcd")
    wrong = "\\images\\%s\\sources\\install.wim" % DISTRO
    bcd.write_bytes(build_pxe_store("bios", "\\images\\%s\\boot.sdi" % DISTRO, [(PROFILE, wrong)]))
    os.chmod(bcd, 0o644)
    try:
        rc, out = verify(bed, port, "--profile", PROFILE)
    finally:
        bcd.unlink()
    assert rc == 1
    (line,) = fail_lines(out)
    assert line.startswith("FAIL BCD ramdisk WIM: tftp %s: file not found" % wrong), out


@pytest.fixture
def wimboot_mode(synced, tmp_path):
    """The bed switched to boot_method: wimboot with the wimboot path in tmp_path; switched back afterwards."""
    from conftest import write_bed_config   # tests/integration is on sys.path (its conftest puts it there)
    bed, port = synced
    wimboot = tmp_path / "wimboot"
    staged = pathlib.Path(bed.webdir) / layout.WIMBOOT
    write_bed_config("boot_method: wimboot\nwimboot: %s\n" % wimboot)
    try:
        yield bed, port, wimboot, staged
    finally:
        write_bed_config()
        if staged.exists():
            staged.unlink()
        run_ok(bed, "sync")
        subprocess.run(["chmod", "-R", "a+rX", "/srv/tftpboot"], check=True)


def sync_readable(bed):
    run_ok(bed, "sync")
    subprocess.run(["chmod", "-R", "a+rX", "/srv/tftpboot", str(bed.webdir)], check=True)


def test_wimboot_missing_then_present(wimboot_mode):
    bed, port, wimboot, staged = wimboot_mode
    sync_readable(bed)
    rc, out = verify(bed, port, "--profile", PROFILE, "--firmware", "ipxe")
    assert rc == 1, out
    (line,) = fail_lines(out)
    wimboot_url = menus.http_url(Server("127.0.0.1", http_port=bed.http_port), layout.WIMBOOT)
    assert line.startswith("FAIL wimboot: GET %s: HTTP 404" % wimboot_url), out
    assert "winpe.yaml" in line
    wimboot.write_bytes(b"stand-in for wimboot v2.8.0\n" * 8)
    sync_readable(bed)
    assert staged.is_file()
    rc, out = verify(bed, port, "--profile", PROFILE, "--firmware", "ipxe-efi")
    assert rc == 0, out
    for name in ("bootmgr.exe", "bootmgfw.efi", "BCD", "boot.sdi", "boot.wim", "startnet.cmd"):
        assert "OK   initrd %s: GET " % name in out, out
    assert "OK   wimboot files: every path the BCD names is handed over" in out
