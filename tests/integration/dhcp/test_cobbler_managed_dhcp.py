"""Cobbler's own DHCP output (manage_dhcp: its isc and dnsmasq managers rendering the templates install-hooks edited)
served by real dhcpd and dnsmasq on a namespace network, and the plugin's proxyDHCP file beside a plain site dhcpd:
what each firmware's DISCOVER (and REQUEST, and PXE boot server request) gets, per system."""
import contextlib
import os
import pathlib
import re
import shutil
import sys

import pytest

import netlab
from conftest import write_bed_config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qemu"))
import harness  # noqa: E402  (tests/integration/qemu, the QEMU client helpers)
from testbed import run_ok

pytestmark = pytest.mark.integration

WIN_MAC, IPXE_MAC, LINUX_MAC, OTHER_MAC = ("52:54:00:c0:00:01", "52:54:00:c0:00:02", "52:54:00:c0:00:03",
                                           "52:54:00:c0:00:99")
DISTRO, PROFILE = "win10-x86_64", "win10-x86_64-pro"
MODULES_CONF = pathlib.Path("/etc/cobbler/modules.conf")
# What each Cobbler DHCP manager writes outside the bed's trees (restored after the sync): the config it renders,
# and the dnsmasq manager's /etc/ethers.
WRITTEN = {"isc": pathlib.Path("/etc/dhcp/dhcpd.conf"), "dnsmasq": pathlib.Path("/etc/dnsmasq.conf")}
ETHERS = pathlib.Path("/etc/ethers")
MANAGERS = {"isc": "managers.isc", "dnsmasq": "managers.dnsmasq"}
SERVERS = {"isc": netlab.dhcpd, "dnsmasq": netlab.dnsmasq}
PROXY_CONF = pathlib.Path("/etc/cobbler/winpe/dnsmasq-proxy.conf")     # dhcp_snippets_dir of the bed's config
SITE_CONF = """# the site's DHCP server: addresses only, nothing about PXE
subnet 192.168.1.0 netmask 255.255.255.0 { range 192.168.1.100 192.168.1.200; option routers 192.168.1.1; }
"""


@contextlib.contextmanager
def kept(paths):
    """PATHS as they are now (content or absence) again on exit."""
    saved = {path: path.read_bytes() if path.exists() else None for path in paths}
    try:
        yield
    finally:
        for path, data in saved.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)


def with_dhcp_module(text, module):
    """Cobbler's modules.conf with its [dhcp] section naming MODULE."""
    changed, count = re.subn(r"(\[dhcp\]\s*\nmodule\s*=\s*)\S+", r"\g<1>" + module, text)
    assert count == 1, text
    return changed


def add_systems(bed, media, work):
    run_ok(bed, "import", "--path", media.iso, "--name", "win10")
    (work / "vmlinuz").write_bytes(b"\x7fKERNEL" * 8)
    (work / "initrd.img").write_bytes(b"INITRD" * 8)
    run_ok(bed, "distro", "add", "--name", "linux", "--arch", "x86_64", "--breed", "redhat", "--os-version",
           "rhel9", "--kernel", work / "vmlinuz", "--initrd", work / "initrd.img")
    run_ok(bed, "profile", "add", "--name", "linux-p", "--distro", "linux")
    for name, profile, mac, extra in (("winbox", PROFILE, WIN_MAC, ()),
                                      ("ipxebox", PROFILE, IPXE_MAC, ("--enable-ipxe", "true")),
                                      ("linuxbox", "linux-p", LINUX_MAC, ())):
        run_ok(bed, "system", "add", "--name", name, "--profile", profile, "--mac", mac, "--netboot-enabled",
               "true", *extra)


@pytest.fixture(scope="module")
def generated(winpe_bed, sample_media, tmp_path_factory):
    """The bed's Windows and Linux systems synced once per DHCP manager; {manager: path of its rendered config}."""
    missing = [name for name in ("dhcpd", "dnsmasq") if not shutil.which(name)]
    if os.geteuid() != 0 or missing:
        pytest.skip("needs root, dhcpd and dnsmasq (missing: %s)" % ", ".join(missing))
    bed, work = winpe_bed, tmp_path_factory.mktemp("cobbler-dhcp")
    bed.reset()
    write_bed_config("proxy_dhcp_network: 192.168.1.0\n")
    add_systems(bed, sample_media["win10-x64"], work)
    modules = MODULES_CONF.read_text(encoding="utf-8")
    rendered = {}
    with kept(list(WRITTEN.values()) + [ETHERS]):
        try:
            bed.set_settings({"manage_dhcp": True, "manage_dhcp_v4": True, "next_server_v4": netlab.SERVER_IP,
                              "enable_ipxe": False})     # Cobbler's default (the bed turns it on)
            for manager, module in MANAGERS.items():
                MODULES_CONF.write_text(with_dhcp_module(modules, module), encoding="utf-8")
                bed.restart_cobblerd()
                bed.task("sync")
                rendered[manager] = work / (manager + ".conf")
                shutil.copyfile(WRITTEN[manager], rendered[manager])
            rendered["proxy"] = work / "proxy.conf"
            shutil.copyfile(PROXY_CONF, rendered["proxy"])
        finally:
            MODULES_CONF.write_text(modules, encoding="utf-8")
            bed.set_settings({"manage_dhcp": False, "manage_dhcp_v4": False, "next_server_v4": "127.0.0.1",
                              "enable_ipxe": True})
            write_bed_config()
    return bed, rendered


@pytest.fixture(scope="module")
def served(request, generated, tmp_path_factory):
    """The lab for one mode (the test's indirect parameter), so pytest tears one down before the next starts:
    'isc' / 'dnsmasq' run the config that manager rendered (bridged, with a tap for QEMU); 'proxy' runs the site's
    plain dhcpd in its own namespace and the plugin's proxy file by dnsmasq on the Cobbler side."""
    mode, (bed, rendered) = request.param, generated
    work = tmp_path_factory.mktemp(mode)
    (work / "site.conf").write_text(SITE_CONF)
    with contextlib.ExitStack() as stack:
        lab = stack.enter_context(netlab.network(taps=1, site=mode == "proxy"))
        if mode == "proxy":
            stack.enter_context(netlab.dhcpd(work / "site.conf", work, dev=lab.site_dev, ns=netlab.SITE_NS))
            stack.enter_context(netlab.dnsmasq(rendered["proxy"], work, dev=lab.dev))
        else:
            stack.enter_context(SERVERS[mode](rendered[mode], work, dev=lab.dev))
        yield mode, bed, lab


def bcd(name, firmware):
    r"""Option 252 naming the BCD NAME (profile, or sys\<system>) of the Windows distro."""
    return ("\\images\\%s\\bcd\\%s%s" % (DISTRO, name, ".uefi" if firmware == "uefi" else "")).encode()


LOADER = {"uefi": "images/%s/sys/%%s/bootmgfw.efi" % DISTRO, "bios": "images/%s/pxeboot.n12" % DISTRO}


def uefi_loader(system):
    """The UEFI boot manager DHCP names for SYSTEM: its own copy (the boot-manager choice is per system)."""
    return LOADER["uefi"] % system
IPXE_URL = "ipxe-url"   # Cobbler's per-system iPXE script URL (stands for http://<server>:<port>/cblr/svc/...)
# (manager, MAC) -> what each client kind gets: (boot file, option 252).  Stock Cobbler's answers for the Linux
# system and the unknown MAC come from its templates as shipped: dhcp.template's pxeclients class (grub/grub.0,
# grub/grubx64.efi; an installed OS nothing), dnsmasq.template's `dhcp-boot=pxelinux.0` for every client.
ISC_STOCK = {"edk2-uefi-x64": ("grub/grubx64.efi", None), "bios-pxe-rom": ("grub/grub.0", None),
             "ipxe": ("grub/grub.0", None), "msft-5.0": ("", None)}
DNSMASQ_STOCK = dict.fromkeys(netlab.CLIENTS, ("pxelinux.0", None))
EXPECTED = {
    ("isc", WIN_MAC): {"edk2-uefi-x64": (uefi_loader("winbox"), bcd("sys\\winbox", "uefi")),
                       "bios-pxe-rom": (LOADER["bios"], bcd("sys\\winbox", "bios")),
                       "ipxe": ("grub/grub.0", None), "msft-5.0": ("", None)},
    # enable_ipxe: Cobbler's own branch, untouched (undionly.kpxe even to UEFI firmware, as Cobbler ships it)
    ("isc", IPXE_MAC): {"edk2-uefi-x64": ("undionly.kpxe", None), "bios-pxe-rom": ("undionly.kpxe", None),
                        "ipxe": (IPXE_URL, None), "msft-5.0": ("undionly.kpxe", None)},
    ("isc", LINUX_MAC): ISC_STOCK,
    ("isc", OTHER_MAC): ISC_STOCK,
    ("dnsmasq", WIN_MAC): {"edk2-uefi-x64": (uefi_loader("winbox"), bcd("sys\\winbox", "uefi")),
                           "bios-pxe-rom": (LOADER["bios"], bcd("sys\\winbox", "bios")),
                           "ipxe": (IPXE_URL, None), "msft-5.0": ("pxelinux.0", None)},
    ("dnsmasq", IPXE_MAC): {"edk2-uefi-x64": (uefi_loader("ipxebox"), bcd("sys\\ipxebox", "uefi")),
                            "bios-pxe-rom": (LOADER["bios"], bcd("sys\\ipxebox", "bios")),
                            "ipxe": (IPXE_URL, None), "msft-5.0": ("pxelinux.0", None)},
    ("dnsmasq", LINUX_MAC): DNSMASQ_STOCK,
    ("dnsmasq", OTHER_MAC): DNSMASQ_STOCK,
}
SYSTEMS = {WIN_MAC: "winbox", IPXE_MAC: "ipxebox", LINUX_MAC: "linuxbox", OTHER_MAC: None}


@pytest.mark.parametrize("mac", sorted(SYSTEMS))
@pytest.mark.parametrize("kind", sorted(netlab.CLIENTS))
@pytest.mark.parametrize("served", sorted(MANAGERS), indirect=True)
def test_offer(served, mac, kind):
    manager, bed, _lab = served
    offer = netlab.discover(kind, mac)
    print("MEASURED %s %s %s -> %r 252=%r %.2fs" % (manager, SYSTEMS[mac], kind, offer.filename,
                                                     offer.options.get(252), offer.seconds))
    filename, option = EXPECTED[(manager, mac)][kind]
    if filename == IPXE_URL:
        filename = "http://127.0.0.1:%d/cblr/svc/op/ipxe/system/%s" % (bed.http_port, SYSTEMS[mac])
    assert (offer.filename, offer.options.get(252)) == (filename, option)
    assert offer.next_server == netlab.SERVER_IP
    if option:   # the BCD the boot manager will ask for is staged, with the backslashes tftpd's remap turns
        assert (bed.tftproot / option.decode().replace("\\", "/").lstrip("/")).is_file()


# What the PXE boot server request (port 4011) to the proxy answers: known Windows systems' firmware gets iPXE and
# their iPXE Cobbler's per-system script; the Linux system and the unknown MAC get Cobbler's GRUB as the stock
# dhcp.template would give them, on UEFI through iPXE (GRUB's efinet reads no proxy answer: gen/dhcp.py).  An
# installed OS (MSFT 5.0) gets no proxy offer.
PROXY_WINDOWS = {"edk2-uefi-x64": "winpe/ipxe/snponly.efi", "bios-pxe-rom": "winpe/ipxe/undionly.kpxe",
                 "ipxe": IPXE_URL, "msft-5.0": None}
PROXY_OTHER = {"edk2-uefi-x64": "winpe/ipxe/snponly.efi", "bios-pxe-rom": "grub/grub.0", "ipxe": "grub/grub.0",
               "msft-5.0": None}
PROXY_EXPECTED = {WIN_MAC: PROXY_WINDOWS, IPXE_MAC: PROXY_WINDOWS, LINUX_MAC: PROXY_OTHER, OTHER_MAC: PROXY_OTHER}


@pytest.mark.parametrize("mac", sorted(SYSTEMS))
@pytest.mark.parametrize("kind", sorted(netlab.CLIENTS))
@pytest.mark.parametrize("served", ["proxy"], indirect=True)
def test_proxy(served, mac, kind):
    _mode, bed, _lab = served
    done = netlab.exchange(kind, mac, window=1.5, request=True, boot_server=True)
    print("MEASURED proxy %s %s -> offers %s, ack %s, boot %r 252=%r %.2fs"
          % (SYSTEMS[mac], kind, [(o.address, o.next_server, o.filename) for o in done.offers],
             done.ack and (done.ack.address, done.ack.filename), done.boot and done.boot.filename,
             done.boot and done.boot.options.get(252), done.boot.seconds if done.boot else 0))
    assert done.ack and done.ack.address.startswith("192.168.1.") and not done.ack.filename   # the site's lease
    expected = PROXY_EXPECTED[mac][kind]
    if expected == IPXE_URL:
        expected = "http://127.0.0.1:%d/cblr/svc/op/ipxe/system/%s" % (bed.http_port, SYSTEMS[mac])
    assert (done.boot and done.boot.filename) == expected
    if expected:
        assert done.boot.next_server == netlab.SERVER_IP and 252 not in done.boot.options
        assert [o.address for o in done.offers if o.options.get(54) == bytes([192, 168, 1, 5])] == ["0.0.0.0"]
    else:
        assert all(o.address != "0.0.0.0" for o in done.offers)     # the proxy stays silent


# OVMF on the DHCP config Cobbler rendered: (manager, MAC, stand-in marker, what its DhcpAck line must end with).
# Cobbler's dnsmasq.template gives UEFI Linux clients pxelinux.0, which OVMF cannot run: no Linux row there.
FIRMWARE_CASES = [
    ("isc", WIN_MAC, DISTRO, "file=%s opt252=%s" % (uefi_loader("winbox"), bcd("sys\\winbox", "uefi").decode())),
    ("isc", LINUX_MAC, "cobbler-grubx64", "file=grub/grubx64.efi opt252=-"),
    ("dnsmasq", WIN_MAC, DISTRO, "file=%s opt252=%s" % (uefi_loader("winbox"), bcd("sys\\winbox", "uefi").decode()))]


@pytest.mark.slow
@pytest.mark.parametrize("served, mac, marker, expected", FIRMWARE_CASES, indirect=["served"])
def test_uefi_firmware_pxe_on_cobblers_dhcp(served, tmp_path, mac, marker, expected):
    """OVMF's own PXE (no option ROM) on the tap, Cobbler's rendered config, tftpd-hpa on a copy of the bed's
    TFTP tree whose bootmgfw.efi and grubx64.efi are stand-ins: the Windows system's loader sees its BCD in option
    252, the Linux system reaches Cobbler's GRUB without it."""
    _mode, bed, lab = served
    missing = harness.missing_programs("uefi") + [p for p in ("in.tftpd", "gcc") if not shutil.which(p)]
    if missing:
        pytest.fail("missing: %s (./scripts/setup.sh installs them)" % ", ".join(missing))
    root, build = tmp_path / "tftp", str(tmp_path / "build")
    shutil.copytree(bed.tftproot, root)
    builder = harness.load_standins_builder()
    harness.place_standins(builder, str(root), [DISTRO], "uefi", build, ["winbox"])
    builder.build_efi("cobbler-grubx64", str(root / "grub" / "grubx64.efi"), build)
    with netlab.tftpd(root, tmp_path):
        result = harness.boot("uefi", netdev=harness.tap_netdev(lab.taps[0]), netns=netlab.SERVER_NS, mac=mac,
                              timeout=120)
    print("MEASURED %s (Cobbler-rendered) qemu uefi %s: exit %s in %.1f s\n%s"
          % (served[0], SYSTEMS[mac], result.exit_code, result.seconds, "\n".join(result.lines("STANDIN"))))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    assert result.lines("STANDIN-EFI %s pkt=dhcpack received=1 siaddr=%s %s" % (marker, netlab.SERVER_IP, expected)), \
        result.text[-3000:]
