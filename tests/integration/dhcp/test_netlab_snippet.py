"""Real ISC dhcpd on a namespace network serving the standalone snippet: what each firmware's DISCOVER gets."""
import os

import pytest

import netlab
from cobbler_winpe.gen import dhcp
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile, WinSystem

pytestmark = pytest.mark.integration
WIN_MAC, OTHER_MAC = "52:54:00:12:34:56", "52:54:00:99:99:99"


@pytest.fixture
def lab(tmp_path):
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/dhcpd"):
        pytest.skip("needs root and isc-dhcp-server")
    hosts = dhcp.windows_hosts([WinSystem("pc1", "pro", macs=(WIN_MAC,))], [WinProfile("pro", "win10")],
                               [WinDistro("win10", "x86_64", "10", "/m")])
    (tmp_path / "winpe.conf").write_text(dhcp.render_isc_dhcpd(hosts, Server(netlab.SERVER_IP)))
    conf = tmp_path / "dhcpd.conf"
    conf.write_text('option system-arch code 93 = unsigned integer 16;\ninclude "%s";\n'
                    "subnet 192.168.1.0 netmask 255.255.255.0 { range 192.168.1.100 192.168.1.200; }\n"
                    % (tmp_path / "winpe.conf"))
    with netlab.network(), netlab.dhcpd(conf, tmp_path):
        yield


@pytest.mark.parametrize("kind, mac, filename, bcd", [
    ("edk2-uefi-x64", WIN_MAC, "images/win10/sys/pc1/bootmgfw.efi", b"\\images\\win10\\bcd\\sys\\pc1.uefi"),
    ("bios-pxe-rom", WIN_MAC, "images/win10/pxeboot.n12", b"\\images\\win10\\bcd\\sys\\pc1"),
    ("ipxe", WIN_MAC, "http://192.168.1.5/cblr/svc/op/ipxe/system/pc1", None),
    ("msft-5.0", WIN_MAC, "", None),
    ("edk2-uefi-x64", OTHER_MAC, "", None),
])
def test_offer(lab, kind, mac, filename, bcd):
    offer = netlab.discover(kind, mac)
    print("%s %s -> %r 252=%r %.2fs" % (kind, mac, offer.filename, offer.options.get(252), offer.seconds))
    assert (offer.filename, offer.options.get(252)) == (filename, bcd)
