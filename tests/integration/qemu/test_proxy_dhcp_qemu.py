"""QEMU clients on a tap of the namespace network, served by the plugin's proxyDHCP file beside a plain site dhcpd:
OVMF's own PXE (no option ROM) and the e1000's iPXE ROM reach the loader the proxy names; a known Windows system
goes on through iPXE and the plugin's iPXE script to its distro's loader with option 252."""
import os
import shutil

import pytest

import harness
import netlab
from cobbler_winpe.gen import dhcp, layout, menus
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile, WinSystem

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DISTRO = WinDistro("win10-x64", "x86_64", "10", "/unused")
PROFILE = WinProfile("win10-x64-pro", DISTRO.name)
WIN_MAC, OTHER_MAC = "52:54:00:c0:01:01", "52:54:00:c0:01:99"
SYSTEM = WinSystem("winbox", PROFILE.name, macs=(WIN_MAC,))
GRUB_MARKER = {"bios": "cobbler-grub0", "uefi": "cobbler-grubx64"}     # stand-ins for Cobbler's GRUB loaders
SITE_CONF = """# the site's DHCP server: addresses only, nothing about PXE
subnet 192.168.1.0 netmask 255.255.255.0 { range 192.168.1.100 192.168.1.200; option routers 192.168.1.1; }
"""


def tftp_tree(root, work):
    """Stand-ins for Cobbler's GRUB and the distro's loaders, Debian's iPXE where the plugin stages it."""
    builder = harness.load_standins_builder()
    builder.build_nbp(GRUB_MARKER["bios"], os.path.join(root, dhcp.COBBLER_GRUB["bios"]))
    builder.build_efi(GRUB_MARKER["uefi"], os.path.join(root, dhcp.COBBLER_GRUB["uefi"]), work)
    harness.place_standins(builder, root, [DISTRO.name], "bios", work)
    harness.place_standins(builder, root, [DISTRO.name], "uefi", work, [SYSTEM.name])
    harness.add_ipxe(root, "snponly.efi", layout.IPXE_EFI)
    harness.add_ipxe(root, "undionly.kpxe", layout.IPXE_BIOS)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, taps)")
    missing = [name for name in ("dhcpd", "dnsmasq", "in.tftpd", harness.QEMU) if not shutil.which(name)]
    missing += harness.missing_programs("uefi")
    if missing:
        pytest.fail("missing: %s (./scripts/setup.sh installs them)" % ", ".join(sorted(set(missing))))
    work = tmp_path_factory.mktemp("proxy-qemu")
    root, web = work / "tftp", work / "web"
    tftp_tree(str(root), str(work / "build"))
    # Cobbler's per-system iPXE answer for a Windows system is the profile's chain script (gen/menus.py)
    harness.put_file(str(web), "cblr/svc/op/ipxe/system/%s" % SYSTEM.name,
                     menus.ipxe_script(menus.ipxe_chain_lines(DISTRO, PROFILE, tftp_server=netlab.SERVER_IP)))
    hosts = dhcp.windows_hosts([SYSTEM], [PROFILE], [DISTRO])
    (work / "proxy.conf").write_text(dhcp.render_dnsmasq_proxy(hosts, Server(netlab.SERVER_IP), "192.168.1.0"))
    (work / "site.conf").write_text(SITE_CONF)
    with netlab.network(taps=1, site=True) as net, \
            netlab.dhcpd(work / "site.conf", work, dev=net.site_dev, ns=netlab.SITE_NS), \
            netlab.dnsmasq(work / "proxy.conf", work, dev=net.dev), \
            netlab.tftpd(root, work), netlab.http(web, work):
        yield net


def boot(lab, firmware, mac, who):
    """One QEMU client of FIRMWARE with MAC on the lab's tap; its stand-in lines are printed as the measurement."""
    result = harness.boot(firmware, netdev=harness.tap_netdev(lab.taps[0]), netns=netlab.SERVER_NS, mac=mac,
                          timeout=150)
    print("MEASURED proxy qemu %s %s: exit %s in %.1f s\n%s" % (firmware, who, result.exit_code, result.seconds,
                                                                "\n".join(result.lines("STANDIN"))))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    return result


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_unknown_machine_gets_cobblers_grub(lab, firmware):
    """BIOS: grub.0 straight from the proxy.  UEFI: iPXE first, whose PXE base code hands GRUB one DHCP ACK naming
    the TFTP server and GRUB's own path (what GRUB's efinet builds its prefix from; the site's ACK has neither)."""
    result = boot(lab, firmware, OTHER_MAC, "unknown")
    assert any(GRUB_MARKER[firmware] in line and "opt252=-" in line for line in result.lines("STANDIN")), \
        result.text[-3000:]
    assert not any("opt252=\\" in line for line in result.lines("STANDIN"))
    if firmware == "uefi":
        ack = "STANDIN-EFI %s pkt=dhcpack received=1 siaddr=%s file=%s opt252=-" % (
            GRUB_MARKER[firmware], netlab.SERVER_IP, dhcp.COBBLER_GRUB[firmware])
        assert result.lines(ack), result.text[-3000:]


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_windows_system_reaches_its_loader_with_252(lab, firmware):
    result = boot(lab, firmware, WIN_MAC, SYSTEM.name)
    expected = "siaddr=%s file=%s opt252=%s" % (netlab.SERVER_IP, layout.nbp_file(DISTRO.name, firmware),
                                                menus.bcd_option(DISTRO, PROFILE, firmware))
    prefix = "STANDIN-%s %s " % ("EFI" if firmware == "uefi" else "NBP", DISTRO.name)
    assert any(line.endswith(expected) for line in result.lines(prefix)), result.text[-3000:]
    # the cached PXE reply (from the proxy) names the loader too, not the script URL (menus.PROXY_FILENAME)
    reply = result.lines(prefix + ("pkt=pxereply" if firmware == "uefi" else "pkt=3"))
    assert reply and " file=%s " % layout.nbp_file(DISTRO.name, firmware) in reply[0], result.text[-3000:]
