"""A WinPE of its own on the real cobblerd: an ADK WinPE ISO and a bare boot .wim imported, synced and verified."""
import pathlib
import shutil
import subprocess
from xml.etree import ElementTree

import pytest

from testbed import run_ok, stop_process
from test_verify_bed import fail_lines, start_tftpd, verify

from cobbler_winpe.bcd.store import dump_store, read_store
from cobbler_winpe.sample import media as sample

pytestmark = pytest.mark.integration

ADK, LTI = "adk-x86_64", "lti-x86_64"      # the distro (and its one profile) of each import
SMB_INCLUDE = pathlib.Path("/etc/cobbler/winpe/smb-winpe.conf")
DATA_SHARE = pathlib.Path("/var/lib/cobbler/winpe/smb")


def bcd_paths(path):
    """{element name: text} of every path element of a BCD store, decoded by the plugin's reader."""
    found = {}
    for obj in dump_store(read_store(pathlib.Path(path).read_bytes()))["objects"]:
        for element in obj["elements"]:
            value = element["value"]
            text = value.get("text") if isinstance(value, dict) else value
            if isinstance(text, str):
                found.setdefault(element["name"], set()).add(text)
    return found


def wim_names(wim):
    listing = subprocess.run(["wimlib-imagex", "dir", str(wim), "1"], capture_output=True, text=True, check=True)
    return {line.strip().lower() for line in listing.stdout.splitlines()}


def wim_file(wim, inside):
    return subprocess.run(["wimlib-imagex", "extract", str(wim), "1", inside, "--to-stdout"],
                          capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def winpes(winpe_bed, tmp_path_factory):
    """The ADK WinPE ISO and a bare copy of its boot image (LiteTouchPE_x64.wim) imported and synced; tftpd."""
    work = tmp_path_factory.mktemp("winpe-media")
    built = sample.build_sample_media(str(work), sample.preset("adk-winpe"))
    bare = work / "LiteTouchPE_x64.wim"
    shutil.copy(built.boot_wims[""], bare)
    winpe_bed.reset()
    outs = [run_ok(winpe_bed, "import", "--path", built.iso, "--name", "adk"),
            run_ok(winpe_bed, "import", "--path", str(bare), "--name", "lti")]
    run_ok(winpe_bed, "sync")
    subprocess.run(["chmod", "-R", "a+rX", "/srv/tftpboot", str(winpe_bed.webdir)], check=True)
    proc, port = start_tftpd()
    try:
        yield winpe_bed, port, built, bare, outs
    finally:
        stop_process(proc)


def test_each_winpe_is_one_distro_with_one_profile(winpes):
    bed, _port, _built, _bare, outs = winpes
    assert all("TASK COMPLETE" in out for out in outs), outs
    assert set(run_ok(bed, "distro", "list").split()) == {ADK, LTI}
    assert set(run_ok(bed, "profile", "list").split()) == {ADK, LTI}
    report = run_ok(bed, "distro", "report", "--name", LTI)
    assert "windows" in report and ": 11" in report and "'winpe_kind': 'winpe'" in report
    assert "'winpe_start_files': 'image'" in report


@pytest.mark.parametrize("distro", [ADK, LTI])
def test_loaders_sdi_and_bcds_are_staged(winpes, distro):
    bed = winpes[0]
    folder = pathlib.Path(bed.tftproot) / "images" / distro
    for name in ("pxeboot.n12", "bootmgr.exe", "bootmgfw.efi", "boot.sdi", "boot.wim", "fonts/wgl4_boot.ttf"):
        assert (folder / name).is_file(), folder / name
    for bcd in (folder / "bcd" / distro, folder / "bcd" / (distro + ".uefi")):
        paths = bcd_paths(bcd)
        assert paths["ramdisksdipath"] == {"\\images\\%s\\boot.sdi" % distro}, paths
        assert paths["osdevice"] == {"ramdisk=[boot]\\images\\%s\\boot.wim,{ramdiskoptions}" % distro}, paths


def test_boot_sdi_from_the_media_else_from_the_image(winpes):
    bed, _port, built, _bare, _outs = winpes
    images = pathlib.Path(bed.tftproot) / "images"
    assert (images / ADK / "boot.sdi").read_bytes() == (pathlib.Path(built.tree) / "Boot" / "boot.sdi").read_bytes()
    assert (images / LTI / "boot.sdi").read_bytes() == wim_file(built.boot_wims[""], "/Windows/Boot/DVD/PCAT/boot.sdi")


@pytest.mark.parametrize("distro", [ADK, LTI])
def test_the_image_boots_as_it_is(winpes, distro):
    """Its own startnet.cmd unchanged inside the staged boot.wim, nothing of the plugin's added to it."""
    bed, _port, _built, bare, _outs = winpes
    staged = pathlib.Path(bed.tftproot) / "images" / distro / "boot.wim"
    assert wim_file(staged, "/Windows/System32/startnet.cmd") == sample.WINPE_STARTNET
    names = wim_names(staged)
    assert "/windows/system32/startnet.cmd" in names
    assert not {"/windows/system32/winpeshl.ini", "/windows/system32/cobbler-get.vbs"} & names
    if distro == LTI:
        assert staged.read_bytes() == bare.read_bytes()


def test_no_answer_file_no_share_no_injected_files(winpes):
    bed = winpes[0]
    for distro in (ADK, LTI):
        assert not (DATA_SHARE / "profiles" / distro).exists()
        assert not (pathlib.Path(bed.webdir) / "images" / distro / "inject").exists()
        assert "[winpe-%s]" % distro not in SMB_INCLUDE.read_text()


MENU_LINE = {   # what verify reports when it finds the profile in the menu Cobbler wrote for that firmware
    "bios": "OK   menu entry: default: LABEL {p} -> pxechn.c32 images/{p}/pxeboot.n12 -W -o 252.s=",
    "uefi": "OK   iPXE entry: tftp://127.0.0.1/ipxe/default.ipxe:{p} on efi: chain ",
    "ipxe": "OK   iPXE entry: tftp://127.0.0.1/ipxe/default.ipxe:{p} on pcbios: chain ",
    "ipxe-efi": "OK   iPXE entry: tftp://127.0.0.1/ipxe/default.ipxe:{p} on efi: chain "}


@pytest.mark.parametrize("firmware", sorted(MENU_LINE))
@pytest.mark.parametrize("profile", [ADK, LTI])
def test_verify_passes_for_every_chain(winpes, profile, firmware):
    """pxelinux (BIOS), iPXE from DHCP (UEFI) and Cobbler's iPXE menu: menu entry, loader, BCD, SDI, WIM."""
    bed, port = winpes[:2]
    rc, out = verify(bed, port, "--profile", profile, "--firmware", firmware)
    assert rc == 0 and not fail_lines(out), out
    lines = out.splitlines()
    assert any(line.startswith(MENU_LINE[firmware].format(p=profile)) for line in lines), out
    assert "OK   BCD ramdisk WIM: tftp \\images\\%s\\boot.wim" % profile in out


@pytest.fixture
def wimboot(winpes, tmp_path):
    """boot_method: wimboot with a stand-in wimboot; the bed's configuration put back afterwards."""
    from conftest import write_bed_config
    bed, port = winpes[:2]
    (tmp_path / "wimboot").write_bytes(b"stand-in for wimboot\n" * 8)
    write_bed_config("boot_method: wimboot\nwimboot: %s\n" % (tmp_path / "wimboot"))
    try:
        run_ok(bed, "sync")
        subprocess.run(["chmod", "-R", "a+rX", "/srv/tftpboot", str(bed.webdir)], check=True)
        yield bed, port
    finally:
        write_bed_config()
        run_ok(bed, "sync")


@pytest.mark.parametrize("firmware", ["ipxe", "ipxe-efi"])
def test_wimboot_hands_over_the_image_and_injects_nothing(wimboot, firmware):
    bed, port = wimboot
    rc, out = verify(bed, port, "--profile", LTI, "--firmware", firmware)
    assert rc == 0 and not fail_lines(out), out
    handed = {line.split()[2].rstrip(":") for line in out.splitlines() if line.startswith("OK   initrd ")}
    assert handed == {"bootmgr.exe", "bootmgfw.efi", "BCD", "boot.sdi", "boot.wim"}, out


def install_wim(built, work):
    """An install.wim (no boot index, Client images): not a WinPE."""
    return pathlib.Path(sample.build_sample_media(str(work), sample.preset("win11-x64", layout="tree"))
                        .installs[""]).read_bytes()


@pytest.mark.parametrize("data,why", [
    (install_wim, "is not a bootable WinPE image"),
    (lambda built, _work: pathlib.Path(built.boot_wims[""]).read_bytes()[:3000], "truncated WIM"),
    (lambda built, _work: (pathlib.Path(built.tree) / "Boot" / "BCD").read_bytes(), "not a readable ISO"),
])
def test_bad_boot_image_fails_in_one_line_and_leaves_nothing(winpes, tmp_path, data, why):
    bed, _port, built, _bare, _outs = winpes
    bad = tmp_path / "bad.wim"
    bad.write_bytes(data(built, tmp_path))
    rc, out, _err = bed.cli("import", "--path", str(bad), "--name", "bad")
    assert rc != 0 and "TASK FAILED" in out
    (line,) = [l for l in bed.log_text().splitlines() if "cobbler-winpe import failed" in l and str(bad) in l]
    assert why in line, line
    assert "bad-x86_64" not in run_ok(bed, "distro", "list").split()
    assert not (pathlib.Path(bed.webdir) / "distro_mirror" / "bad").exists()


def set_meta(bed, distro, text):
    run_ok(bed, "distro", "edit", "--name", distro, "--autoinstall-meta", text, "--in-place")


def test_winpe_installs_from_another_distros_share(winpes, tmp_path):
    """winpe_start_files=plugin + winpe_install_from: the plugin's start files map the named distro's share; the
    mirror keeps the image's own, so switching back stages it unchanged again."""
    bed, _port, _built, bare, _outs = winpes
    media = sample.build_sample_media(str(tmp_path), sample.preset("win10-x64"))
    run_ok(bed, "import", "--path", media.iso, "--name", "win10")
    staged = pathlib.Path(bed.tftproot) / "images" / LTI / "boot.wim"
    try:
        set_meta(bed, LTI, "winpe_start_files=plugin winpe_install_from=win10-x86_64")
        run_ok(bed, "sync")
        lines = wim_file(staged, "/Windows/System32/startnet.cmd").decode().split("\r\n")
        assert 'set "WINPE_SOURCE=\\\\127.0.0.1\\winpe-win10-x86_64"' in lines
        answer = DATA_SHARE / "profiles" / LTI / "unattend-bios.xml"
        assert ElementTree.parse(answer).getroot().tag.endswith("unattend")
        mirror = pathlib.Path(bed.webdir) / "distro_mirror" / "lti" / "sources" / "boot.wim"
        assert mirror.read_bytes() == bare.read_bytes()
        set_meta(bed, LTI, "winpe_install_from=nosuch")
        run_ok(bed, "sync")
        assert "skipping distro %r: distro %s winpe_install_from 'nosuch': names no Windows setup distro" % (
            LTI, LTI) in bed.log_text()
        assert (staged.parent.parent / ADK / "boot.wim").is_file()     # one bad distro stops no other
    finally:
        set_meta(bed, LTI, "winpe_start_files=image winpe_install_from=")
        run_ok(bed, "sync")
    assert staged.read_bytes() == bare.read_bytes()
    assert not (DATA_SHARE / "profiles" / LTI).exists()


def test_a_system_on_a_winpe_profile_boots_it_without_an_answer_file(winpes):
    bed, port = winpes[:2]
    run_ok(bed, "system", "add", "--name", "pe-pc", "--profile", LTI, "--mac", "52:54:00:a0:b0:0e",
           "--netboot-enabled", "true")
    try:
        run_ok(bed, "sync")
        subprocess.run(["chmod", "-R", "a+rX", "/srv/tftpboot"], check=True)
        for firmware in ("bios", "uefi"):
            rc, out = verify(bed, port, "--system", "pe-pc", "--firmware", firmware)
            assert rc == 0 and not fail_lines(out), out
            assert "OK   BCD ramdisk WIM: tftp \\images\\%s\\boot.wim" % LTI in out
        assert not (DATA_SHARE / "systems" / "52-54-00-A0-B0-0E").exists()
    finally:
        run_ok(bed, "system", "remove", "--name", "pe-pc")
