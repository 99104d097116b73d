"""QEMU BIOS clients boot the menus the real cobblerd generated: each Windows entry reaches its own distro's
pxeboot.n12 (a stand-in) with option 252 naming that profile's BCD, which exists in the tree and names real files."""
import pathlib

import pytest

from testbed import run_ok

import cobbler_client
import harness
from cobbler_winpe.bcd.store import dump_store, read_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DISTROS = ("wina-x86_64", "winb-x86_64")


@pytest.fixture(scope="module")
def synced(winpe_bed, tmp_path_factory):
    """Two Windows distros (stand-in NBPs) beside a Linux profile, imported and synced on the real cobblerd."""
    bed = winpe_bed
    bed.reset()
    work = str(tmp_path_factory.mktemp("menus"))
    for distro, preset in zip(DISTROS, ("win10-x64", "server2022")):
        media = cobbler_client.standin_media(work, preset, distro)
        out = run_ok(bed, "import", "--path", media.iso, "--name", distro.rsplit("-", 1)[0])
        assert "TASK COMPLETE" in out, out
    linux = pathlib.Path(work) / "linux"
    linux.mkdir()
    (linux / "vmlinuz").write_bytes(b"\x7fKERNEL" * 8)
    (linux / "initrd.img").write_bytes(b"INITRD" * 8)
    run_ok(bed, "distro", "add", "--name", "centos9", "--arch", "x86_64", "--breed", "redhat",
           "--os-version", "rhel9", "--kernel", linux / "vmlinuz", "--initrd", linux / "initrd.img")
    run_ok(bed, "profile", "add", "--name", "centos9-x86_64", "--distro", "centos9")
    run_ok(bed, "sync")
    return bed, work


def profile_of(bed, distro):
    return sorted(p for p in run_ok(bed, "profile", "list").split() if p.startswith(distro + "-"))[0]


@pytest.mark.parametrize("distro", DISTROS)
def test_menu_entry_chainloads_its_distro_with_its_bcd(synced, distro, tmp_path):
    bed, _work = synced
    profile = profile_of(bed, distro)
    result = cobbler_client.boot_menu_entry(str(bed.tftproot), str(tmp_path), profile)
    for label in ("centos9-x86_64", profile):
        assert label in result.text, result.text[-3000:]
    bcd = "\\images\\%s\\bcd\\%s" % (distro, profile)
    expected = "siaddr=%s file=images/%s/pxeboot.n12 opt252=%s" % (harness.SLIRP_SERVER, distro, bcd)
    prefix = "STANDIN-NBP %s " % distro
    assert result.exit_code == 33, result.text[-3000:]
    assert result.lines(prefix + "pkt=2") == [prefix + "pkt=2 " + expected]
    assert result.lines(prefix + "pkt=3") == [prefix + "pkt=3 " + expected]
    other = [d for d in DISTROS if d != distro][0]
    assert "STANDIN-NBP " + other not in result.text
    # what the real boot manager would do next: fetch bootmgr.exe beside the NBP, then this BCD and its files
    tftp = pathlib.Path(bed.tftproot)
    assert (tftp / "images" / distro / "bootmgr.exe").is_file()
    store = dump_store(read_store((tftp / bcd.replace("\\", "/").lstrip("/")).read_bytes()))
    texts = [e["value"]["text"] if isinstance(e["value"], dict) else str(e["value"])
             for o in store["objects"] for e in o["elements"]]
    assert "ramdisk=[boot]\\images\\%s\\boot.wim,{ramdiskoptions}" % distro in texts
    for name in ("boot.wim", "boot.sdi"):
        assert (tftp / "images" / distro / name).is_file()


def test_cobblers_timeout_default_boots_the_windows_profile(synced, tmp_path):
    """A Cobbler system named `default` sets the menu's ONTIMEOUT: left as cobblerd wrote it, it boots Windows."""
    bed, _work = synced
    profile = profile_of(bed, DISTROS[1])
    run_ok(bed, "system", "add", "--name", "default", "--profile", profile)
    try:
        run_ok(bed, "sync")
        menu = (pathlib.Path(bed.tftproot) / "pxelinux.cfg" / "default").read_text()
        assert "ONTIMEOUT %s" % profile in menu
        root = cobbler_client.client_tree(str(bed.tftproot), str(tmp_path), None)
        result = harness.boot("bios", tftp_root=root, bootfile="pxelinux.0", timeout=60)
    finally:
        run_ok(bed, "system", "remove", "--name", "default")
        run_ok(bed, "sync")
    assert result.exit_code == 33, result.text[-3000:]
    assert result.lines("STANDIN-NBP %s pkt=2" % DISTROS[1])


def test_system_with_netboot_disabled_boots_local(synced, tmp_path):
    bed, _work = synced
    mac = "52:54:00:12:34:56"          # the MAC QEMU gives the client
    run_ok(bed, "system", "add", "--name", "pc-local", "--profile", profile_of(bed, DISTROS[0]), "--mac", mac,
           "--netboot-enabled", "false")
    try:
        run_ok(bed, "sync")
        root = cobbler_client.client_tree(str(bed.tftproot), str(tmp_path), None,
                                          config="01-" + mac.replace(":", "-"))
        result = harness.boot("bios", tftp_root=root, bootfile="pxelinux.0", timeout=30,
                              stop_text="local disk")
    finally:
        run_ok(bed, "system", "remove", "--name", "pc-local")
    assert "Booting from local disk" in result.text, result.text[-2000:]
    assert "STANDIN-NBP" not in result.text
