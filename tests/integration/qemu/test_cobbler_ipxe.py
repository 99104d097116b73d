"""QEMU clients boot through the real cobblerd's iPXE service and the real Apache: a system's script from
/cblr/svc/op/ipxe/system/NAME chains the system script sync staged, which runs wimboot over HTTP (BIOS NIC iPXE ROM)
or, on UEFI (OVMF PXE -> snponly.efi -> iPXE), chains the distro's bootmgfw.efi with option 252 = its UEFI BCD."""
import dataclasses
import os
import re

import pytest

import conftest
import harness
from testbed import run_ok
from cobbler_winpe.gen import layout
from cobbler_winpe.sample import media as sample

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DISTRO = "ipxewin-x86_64"
PROFILE = DISTRO + "-pro"
GUEST = harness.GUEST_HTTP_ADDR


@pytest.fixture(scope="module")
def guest_bed(winpe_bed, tmp_path_factory):
    """The plugin bed with Cobbler's server set to the address QEMU guests use for it (the CLI stays on loopback)."""
    bed = winpe_bed
    work = str(tmp_path_factory.mktemp("ipxe"))
    builder = harness.load_standins_builder()
    missing = harness.missing_programs("uefi") + builder.missing_tools("efi") + builder.missing_tools("nbp")
    if missing:
        pytest.skip("missing: %s" % ", ".join(missing))
    efi = builder.build_efi(DISTRO, os.path.join(work, "bootmgfw.efi"), os.path.join(work, "efi-build"))
    with open(efi, "rb") as handle:
        spec = sample.preset("win10-x64", boot_files={"Windows/Boot/EFI/bootmgfw.efi": handle.read()})
    media = sample.build_sample_media(work, dataclasses.replace(spec, name="ipxewin-media"))
    wimboot = builder.build_nbp("wimboot", os.path.join(work, "wimboot"))
    bed.reset()
    bed.set_settings({"server": GUEST, "next_server_v4": harness.SLIRP_SERVER, "client_use_localhost": True})
    try:
        out = run_ok(bed, "import", "--path", media.iso, "--name", "ipxewin")
        assert "TASK COMPLETE" in out, out
        run_ok(bed, "system", "add", "--name", "pc1", "--profile", PROFILE, "--mac", "52:54:00:12:34:56",
               "--netboot-enabled", "true")
        yield bed, work, wimboot
    finally:
        conftest.write_bed_config()
        bed.set_settings({"server": "127.0.0.1", "next_server_v4": "127.0.0.1", "client_use_localhost": False})
        bed.reset()


def sync_with(bed, extra):
    conftest.write_bed_config(extra)
    run_ok(bed, "sync")


def access_log(bed):
    path = os.path.join(str(bed.state_dir), "apache-access.log")
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def requests_since(bed, before):
    """(path, status) of each request Apache logged after BEFORE (the log's earlier text)."""
    found = re.findall(r'"GET (\S+) HTTP/[0-9.]+" (\d+)', access_log(bed)[len(before):])
    return [(path, int(status)) for path, status in found]


def svc_url(bed):
    return "http://%s:%d/cblr/svc/op/ipxe/system/pc1" % (GUEST, bed.http_port)


def test_bios_ipxe_runs_wimboot_with_every_file_over_apache(guest_bed):
    bed, work, wimboot = guest_bed
    sync_with(bed, "boot_method: wimboot\nwimboot: %s\n" % wimboot)
    before = access_log(bed)
    result = harness.boot("bios", tftp_root=str(bed.tftproot), bootfile=svc_url(bed), http_port=bed.http_port,
                          timeout=60)
    got = requests_since(bed, before)
    assert result.exit_code == harness.EXIT_CODE_STANDIN, (result.text[-2000:], got)
    assert "STANDIN-NBP wimboot start" in result.text
    script = "/cobbler/" + layout.ipxe_script_file(DISTRO, "pc1", system=True)   # the system's own script
    loaders = ["/cobbler/" + layout.distro_file(DISTRO, n) for n in ("bootmgr.exe", "bootmgfw.efi")]
    files = ["/cobbler/" + layout.WIMBOOT] + loaders + \
        ["/cobbler/" + layout.wimboot_bcd_file(DISTRO)] + \
        ["/cobbler/" + layout.distro_file(DISTRO, n) for n in ("boot.sdi", "boot.wim")] + \
        ["/cobbler/" + layout.inject_file(DISTRO, PROFILE, n) for n in ("cobbler-get.vbs", "cobbler-report.vbs",
                                                                         "startnet.cmd", "winpeshl.ini")]
    assert got == [("/cblr/svc/op/ipxe/system/pc1", 200), (script, 200)] + [(f, 200) for f in files]


def test_uefi_reaches_ipxe_then_bootmgfw_with_its_uefi_bcd(guest_bed, tmp_path):
    bed, work, _wimboot = guest_bed
    sync_with(bed, "")
    root = str(tmp_path / "tftp")
    import shutil
    shutil.copytree(str(bed.tftproot), root)
    # QEMU's DHCP hands every client the same boot file: the firmware's TFTP request for the URL gets iPXE (what a
    # DHCP server's PXE branch gives: winpe/ipxe/snponly.efi), and iPXE fetches the URL (the user-class branch)
    harness.put_file(root, svc_url(bed).replace("http://", "http:/"),
                     open(os.path.join(root, layout.IPXE_EFI), "rb").read())
    before = access_log(bed)
    result = harness.boot("uefi", tftp_root=root, bootfile=svc_url(bed), http_port=bed.http_port, timeout=90)
    got = requests_since(bed, before)
    prefix = "STANDIN-EFI %s " % DISTRO
    expected = "received=1 siaddr=%s file=%s opt252=\\images\\%s\\bcd\\sys\\pc1.uefi" % (harness.SLIRP_SERVER, layout.system_nbp_file(DISTRO, "pc1"),
                                                                                DISTRO)
    assert result.exit_code == harness.EXIT_CODE_STANDIN, (result.text[-3000:], got)
    assert got[:2] == [("/cblr/svc/op/ipxe/system/pc1", 200),
                       ("/cobbler/" + layout.ipxe_script_file(DISTRO, "pc1", system=True), 200)]
    assert result.lines(prefix + "pkt=dhcpack") == [prefix + "pkt=dhcpack " + expected]
    assert result.lines(prefix + "pkt=pxereply") == [prefix + "pkt=pxereply " + expected]
