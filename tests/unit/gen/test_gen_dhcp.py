"""Unit tests of gen.dhcp: bootfile by arch, option 252 only for PXE clients of Windows systems, escaping."""
import pytest

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import dhcp
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile, WinSystem

DISTROS = [WinDistro("win10-x64", "x86_64", "10", "/m")]
PROFILES = [WinProfile("pro", "win10-x64")]


def _hosts(*systems):
    return dhcp.windows_hosts(systems, PROFILES, DISTROS)


def test_only_netbooting_windows_systems():
    hosts = _hosts(WinSystem("a", "pro", macs=("52:54:00:00:00:01",)),
                   WinSystem("b", "pro", macs=("52:54:00:00:00:02",), netboot_enabled=False),
                   WinSystem("c", "linux-profile", macs=("52:54:00:00:00:03",)))
    assert [system.name for system, _, _ in hosts] == ["a"]


def test_isc_host_block():
    text = dhcp.render_isc_dhcpd(_hosts(WinSystem("a", "pro", macs=("52-54-00-AB-CD-EF",))), Server("10.0.0.1"))
    assert "host cobbler-winpe-525400abcdef {" in text and "hardware ethernet 52:54:00:ab:cd:ef;" in text
    assert 'option user-class = "iPXE"' in text and '"http://10.0.0.1/cblr/svc/op/ipxe/system/a"' in text
    pxe = text.split('"PXEClient" {', 1)[1]
    assert "option cobbler-winpe-arch = 00:07 or option cobbler-winpe-arch = 00:09 or option cobbler-winpe-arch = 00:0b" in pxe
    assert "concat(option dhcp-parameter-request-list, fc);" in pxe   # firmware never asks for 252
    # UEFI: the system's boot manager and BCD, staged under its name (gen/staging.py system_bcd_plan)
    assert 'filename "images/win10-x64/sys/a/bootmgfw.efi";' in pxe and 'filename "images/win10-x64/pxeboot.n12";' in pxe
    assert 'option cobbler-winpe-bcd "\\\\images\\\\win10-x64\\\\bcd\\\\sys\\\\a.uefi";' in pxe
    assert "cobbler-winpe-bcd" not in text.split('"PXEClient" {', 1)[0].split("code 252")[1]   # not for iPXE


def test_dnsmasq_252_only_with_pxe_tag():
    text = dhcp.render_dnsmasq(_hosts(WinSystem("a", "pro", macs=("52:54:00:ab:cd:ef",))), Server("10.0.0.1"))
    options = [line for line in text.splitlines() if line.startswith("dhcp-option-force=")]
    assert len(options) == 3 and all("tag:cwpe-pxe" in line and "tag:!cwpe-ipxe" in line for line in options)
    assert "dhcp-match=set:cwpe-efi64,option:client-arch,7" in text
    assert "dhcp-match=set:cwpe-arm64,option:client-arch,11" in text
    assert "dhcp-userclass=set:cwpe-ipxe,iPXE" in text


@pytest.mark.parametrize("name", ['a"b', "a\nb"])
def test_injection_refused_or_escaped(name):
    distros = [WinDistro("win10-x64", "x86_64", "10", "/m")]
    profiles = [WinProfile("pro", "win10-x64")]
    hosts = dhcp.windows_hosts([WinSystem(name, "pro", macs=("52:54:00:00:00:01",))], profiles, distros)
    if "\n" in name:
        for render in (dhcp.render_dnsmasq, dhcp.render_isc_dhcpd):
            with pytest.raises(InputError):
                render(hosts, Server("10.0.0.1"))
    else:   # ISC quotes the system's boot file and BCD; dnsmasq's boot file field cannot hold a quote
        assert 'sys\\\\a\\"b.uefi";' in dhcp.render_isc_dhcpd(hosts, Server("10.0.0.1"))
        with pytest.raises(InputError, match="boot file"):
            dhcp.render_dnsmasq(hosts, Server("10.0.0.1"))


def test_bad_server_refused():
    with pytest.raises(InputError):
        dhcp.render_isc_dhcpd(_hosts(WinSystem("a", "pro", macs=("52:54:00:00:00:01",))), Server("1.2.3.4;"))


def test_arch_values_as_isc_compares_them():
    assert [dhcp.isc_arch(v) for v in dhcp.ARCH_BIOS + dhcp.ARCH_UEFI_X64 + dhcp.ARCH_UEFI_ARM64] == \
        ["00:00", "00:07", "00:09", "00:0b"]


def test_shared_mac_gives_one_block_naming_the_other():
    hosts = _hosts(WinSystem("a", "pro", macs=("52:54:00:00:00:01",)), WinSystem("b", "pro", macs=("52-54-00-00-00-01",)))
    for render in (dhcp.render_isc_dhcpd, dhcp.render_dnsmasq):
        text = render(hosts, Server("10.0.0.1"))
        assert text.count("52:54:00:00:00:01") == 1 and "system b shares this MAC; system a is served" in text


def test_dnsmasq_uefi_menu_only_for_unknown_uefi_pxe_clients():
    hosts = _hosts(WinSystem("a", "pro", macs=("52:54:00:ab:cd:ef",)))
    assert "winpe/menu" not in dhcp.render_dnsmasq(hosts, Server("10.0.0.1"))
    lines = dhcp.render_dnsmasq(hosts, Server("10.0.0.1"), uefi_menu=True).splitlines()
    boots = [line for line in lines if "winpe/menu" in line and line.startswith("dhcp-boot=")]
    assert boots == ["dhcp-boot=tag:!known,tag:!cwpe-ipxe,tag:cwpe-efi64,winpe/menu/x64/bootmgfw.efi,,10.0.0.1",
                     "dhcp-boot=tag:!known,tag:!cwpe-ipxe,tag:cwpe-arm64,winpe/menu/arm64/bootmgfw.efi,,10.0.0.1"]
    assert 'dhcp-option-force=tag:!known,tag:!cwpe-ipxe,tag:cwpe-efi64,tag:cwpe-pxe,252,"\\\\winpe\\\\menu\\\\x64\\\\BCD"' in lines


@pytest.mark.parametrize("network", ["192.168.1", "10.0.0.0/24", "", "fe80::1", "10.0.0.0\nport=53"])
def test_proxy_network_refused(network):
    with pytest.raises(InputError):
        dhcp.render_dnsmasq_proxy(_hosts(), Server("10.0.0.1"), network)


def test_proxy_leaves_arm64_systems_out():
    distros = DISTROS + [WinDistro("w11a", "arm64", "11", "/m")]
    hosts = dhcp.windows_hosts([WinSystem("armbox", "arm", macs=("52:54:00:00:00:07",))],
                               PROFILES + [WinProfile("arm", "w11a")], distros)
    text = dhcp.render_dnsmasq_proxy(hosts, Server("10.0.0.1"), "10.0.0.0")
    assert "52:54:00:00:00:07" not in text and "# system armbox: arm64, not served by this proxy" in text


@pytest.mark.parametrize("ipxe_menu, after", [(False, "grub/grubx64.efi"), (True, "ipxe/default.ipxe")])
def test_proxy_sends_other_uefi_clients_through_ipxe(ipxe_menu, after):
    """Behind a proxy GRUB cannot find its TFTP server on UEFI (no server in the site's ACK): UEFI clients that are
    not Windows systems get iPXE first, then Cobbler's grubx64.efi (or its iPXE menu); BIOS ones grub.0 directly."""
    lines = dhcp.render_dnsmasq_proxy(_hosts(), Server("10.0.0.1"), "10.0.0.0", ipxe_menu).splitlines()
    others = [line for line in lines if line.startswith("pxe-service=tag:!cwpe-win,")]
    assert others == ['pxe-service=tag:!cwpe-win,x86PC,"Cobbler",grub/grub.0,10.0.0.1'] + [
        line for csa in ("X86-64_EFI", "BC_EFI") for line in (
            'pxe-service=tag:!cwpe-win,tag:!cwpe-ipxe,%s,"Cobbler (iPXE)",winpe/ipxe/snponly.efi,10.0.0.1' % csa,
            'pxe-service=tag:!cwpe-win,tag:cwpe-ipxe,%s,"Cobbler",%s,10.0.0.1' % (csa, after))]
