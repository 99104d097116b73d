"""DHCP snippets (ISC dhcpd, dnsmasq): per Windows system, the boot file by client arch and option 252 for PXE only;
and a dnsmasq proxyDHCP file for sites whose DHCP server is not Cobbler's."""
import ipaddress

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import layout, values
from cobbler_winpe.gen.startnet import base_url, mac_folder

# Option 93 client-arch values (RFC 4578 / IANA): which firmware asks.  The one table of them.
ARCH_BIOS = (0,)
ARCH_UEFI_X64 = (7, 9)
ARCH_UEFI_ARM64 = (11,)
TAG = "cwpe"
BCD_OPTION = 252
# PXE firmware does not ask for 252 (edk2 PxeBcDhcp4.c, BIOS PXE ROMs), so the server adds it to the list it
# answers; a client that sent no list gets the basics (1 mask, 3 routers, 6 DNS, 12 host name, 15 domain,
# 43 vendor, 66/67 TFTP server and boot file) plus 252.
ISC_FORCE_252 = ("if exists dhcp-parameter-request-list {",
                 "    option dhcp-parameter-request-list = concat(option dhcp-parameter-request-list, %02x);"
                 % BCD_OPTION,
                 "} else {",
                 "    option dhcp-parameter-request-list = 01:03:06:0c:0f:2b:42:43:%02x;" % BCD_OPTION,
                 "}")


def isc_arch(value):
    """An option 93 value the way ISC dhcpd compares the two-byte option: 7 -> 00:07."""
    return "%02x:%02x" % (value >> 8, value & 0xff)


def windows_hosts(systems, profiles, distros):
    """(system, profile, distro) for every netboot-enabled system whose profile and distro are Windows ones."""
    by_profile = {profile.name: profile for profile in profiles}
    by_distro = {distro.name: distro for distro in distros}
    hosts = []
    for system in sorted(systems, key=lambda item: item.name):
        profile = by_profile.get(system.profile)
        distro = by_distro.get(profile.distro) if profile else None
        if distro and system.netboot_enabled and system.macs:
            hosts.append((system, profile, distro))
    return hosts


def boot_file(distro, firmware):
    """The Windows NBP a PXE client of FIRMWARE gets, relative to tftproot."""
    return layout.nbp_file(distro.name, firmware)


def bcd_path(distro, profile, firmware):
    r"""Option 252: the profile's BCD as the boot manager requests it (\images\<distro>\bcd\<profile>[.uefi])."""
    return layout.windows_path(layout.bcd_file(distro.name, profile.name, firmware))


def ipxe_url(server, system):
    """What an iPXE client of SYSTEM chains: Cobbler's per-system iPXE script."""
    return "%s/cblr/svc/op/ipxe/system/%s" % (base_url(server), values.url_segment("system name", system.name))


def unique_macs(hosts):
    """(mac, system, profile, distro, [names of other systems with that MAC]) once per MAC (Cobbler's
    allow_duplicate_macs lets two systems share one): the first system by name serves it, the others are named."""
    seen, order = {}, []
    for system, profile, distro in hosts:
        for mac in system.macs:
            key = _mac(mac)
            if key in seen:
                if system.name not in seen[key][4] and system.name != seen[key][1].name:
                    seen[key][4].append(system.name)
                continue
            seen[key] = (mac, system, profile, distro, [])
            order.append(key)
    return [seen[key] for key in order]


def shared_mac_notes(system, skipped):
    """Comment lines naming the systems whose MAC SYSTEM's block already serves."""
    return ["# system %s shares this MAC; system %s is served" % (values.text("system name", name, 255),
                                                               values.text("system name", system.name, 255))
            for name in skipped]


def _mac(mac):
    return mac_folder(mac).replace("-", ":").lower()


def _quoted(what, value):
    """VALUE as a double-quoted ISC/dnsmasq string: backslash and quote escaped, controls refused."""
    value = values.text(what, value, 255)
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


def _plain(what, value):
    """VALUE for an unquoted dnsmasq field: no separators, quotes or spaces."""
    return values.text(what, value, 255, forbidden=',"# \'\\')


def isc_definitions():
    """Option names the snippets use; include once at the top level (Cobbler's template has its own 93)."""
    return ("option cobbler-winpe-arch code 93 = unsigned integer 16;\n"
            "option cobbler-winpe-bcd code 252 = text;\n")


def isc_host_statements(system, profile, distro, server):
    """Statements for one host block: iPXE gets the menu URL; PXE ROMs get the NBP by arch and option 252."""
    pxe = 'substring (option vendor-class-identifier, 0, 9) = "PXEClient"'
    efi = " or ".join("option cobbler-winpe-arch = %s" % isc_arch(arch) for arch in ARCH_UEFI_X64 + ARCH_UEFI_ARM64)
    return "\n".join([
        'if exists user-class and option user-class = "iPXE" {',
        "    filename %s;" % _quoted("iPXE URL", ipxe_url(server, system)),
        "} elsif %s {" % pxe] + ["    " + line for line in ISC_FORCE_252] + [
        "    if %s {" % efi,
        "        filename %s;" % _quoted("boot file", boot_file(distro, "uefi")),
        "        option cobbler-winpe-bcd %s;" % _quoted("BCD path", bcd_path(distro, profile, "uefi")),
        "    } else {",
        "        filename %s;" % _quoted("boot file", boot_file(distro, "bios")),
        "        option cobbler-winpe-bcd %s;" % _quoted("BCD path", bcd_path(distro, profile, "bios")),
        "    }",
        "}"])


def render_isc_dhcpd(hosts, server):
    """ISC dhcpd include: the option definitions and a host block per MAC of each (system, profile, distro)."""
    out = ["# ISC dhcpd snippet generated by cobbler-winpe: do not edit.", isc_definitions()]
    address = values.host("TFTP server address", server.tftp_address)
    for mac, system, profile, distro, skipped in unique_macs(hosts):
        out += shared_mac_notes(system, skipped)
        body = isc_host_statements(system, profile, distro, server)
        out.append("host cobbler-winpe-%s {" % mac_folder(mac).replace("-", "").lower())
        out.append("    hardware ethernet %s;" % _mac(mac))
        out.append("    next-server %s;" % address)
        out.extend("    " + line for line in body.splitlines())
        out.append("}")
    return "\n".join(out) + "\n"


def render_dnsmasq(hosts, server):
    """dnsmasq include: client-arch/iPXE/PXE tags, then per MAC a boot file by arch and option 252 for PXE only."""
    address = values.host("TFTP server address", server.tftp_address)
    out = ["# dnsmasq snippet generated by cobbler-winpe: do not edit.",
           "# Boot files in the BOOTP file field: without this dnsmasq sends them as option 67 only to clients that",
           "# ask for 67, and pxeboot.n12 finds its TFTP folder from the file field (docs/boot-chains.md).",
           "dhcp-no-override",
           "dhcp-userclass=set:%s-ipxe,iPXE" % TAG,
           "dhcp-vendorclass=set:%s-pxe,PXEClient" % TAG]
    out += ["dhcp-match=set:%s-efi64,option:client-arch,%d" % (TAG, arch) for arch in ARCH_UEFI_X64]
    out += ["dhcp-match=set:%s-arm64,option:client-arch,%d" % (TAG, arch) for arch in ARCH_UEFI_ARM64]
    not_efi = "tag:!%s-efi64,tag:!%s-arm64" % (TAG, TAG)
    for mac, system, profile, distro, skipped in unique_macs(hosts):
        out += shared_mac_notes(system, skipped)
        host = "%s-%s" % (TAG, mac_folder(mac).replace("-", "").lower())
        out.append("dhcp-mac=set:%s,%s" % (host, _mac(mac)))   # a tag only: Cobbler keeps its dhcp-host
        out.append("dhcp-boot=tag:%s,tag:%s-ipxe,%s" % (host, TAG, _plain("iPXE URL", ipxe_url(server, system))))
        for arch_tags, firmware in (("tag:%s-efi64" % TAG, "uefi"), ("tag:%s-arm64" % TAG, "uefi"),
                                    (not_efi, "bios")):
            # PXE firmware only: an installed Windows (MSFT 5.0) keeps what the rest of the config gives it
            match = "tag:%s,tag:!%s-ipxe,tag:%s-pxe,%s" % (host, TAG, TAG, arch_tags)
            out.append("dhcp-boot=%s,%s,,%s" % (match, _plain("boot file", boot_file(distro, firmware)), address))
            out.append("dhcp-option-force=%s,%d,%s"
                       % (match, BCD_OPTION, _quoted("BCD path", bcd_path(distro, profile, firmware))))
    return "\n".join(out) + "\n"


# proxyDHCP: dnsmasq's client system types (pxe-service CSA names, dnsmasq(8)) per firmware, and what Cobbler's
# stock dhcp.template gives each (grub.0 from `cobbler mkloaders`; grubx64.efi for both UEFI x64 arch values).
PROXY_CSA = (("x86PC", "bios"), ("X86-64_EFI", "uefi"), ("BC_EFI", "uefi"))
PROXY_IPXE = {"bios": layout.IPXE_BIOS, "uefi": layout.IPXE_EFI}
COBBLER_GRUB = {"bios": "grub/grub.0", "uefi": "grub/grubx64.efi"}
PROXY_HEAD = """# dnsmasq proxyDHCP generated by cobbler-winpe: do not edit (docs/dhcp.md, "proxyDHCP").
# The site's DHCP server keeps handing out addresses; this answers PXE clients only.  Start it on the
# Cobbler server (port=0 turns dnsmasq's DNS off):  dnsmasq --keep-in-foreground --conf-file=THIS_FILE
# A dnsmasq proxy reply carries no option 252 (measured), so a known Windows system's PXE firmware gets iPXE,
# whose second request gets Cobbler's per-system iPXE script; that sets 252 and chains the Windows loader.
port=0
dhcp-range={network},proxy
dhcp-userclass=set:{tag}-ipxe,iPXE"""


def proxy_network(value):
    """The IPv4 network address dnsmasq's `dhcp-range=<network>,proxy` needs (host bits zero)."""
    try:
        return str(ipaddress.IPv4Address(values.text("proxy_dhcp_network", value, 15)))
    except ipaddress.AddressValueError:
        raise InputError("proxy_dhcp_network", "not an IPv4 network address: %r" % value,
                         "set it to the PXE clients' subnet address, e.g. 192.168.1.0") from None


def render_dnsmasq_proxy(hosts, server, network):
    """dnsmasq proxyDHCP configuration: known Windows systems (by MAC) to iPXE and then Cobbler's per-system
    iPXE script; every other PXE client (Linux systems, unknown machines) to Cobbler's GRUB."""
    address = values.host("TFTP server address", server.tftp_address)
    out = [PROXY_HEAD.format(network=proxy_network(network), tag=TAG)]
    for mac, system, _profile, distro, skipped in unique_macs(hosts):
        out += shared_mac_notes(system, skipped)
        if distro.arch == "arm64":     # no arm64 iPXE is staged and the proxy cannot carry 252: no answer
            out.append("# system %s: arm64, not served by this proxy"
                       % values.text("system name", system.name, 255))
            continue
        host = "%s-%s" % (TAG, mac_folder(mac).replace("-", "").lower())
        out += ["dhcp-mac=set:%s-win,%s" % (TAG, _mac(mac)), "dhcp-mac=set:%s,%s" % (host, _mac(mac))]
        url = _plain("iPXE URL", ipxe_url(server, system))
        for csa, firmware in PROXY_CSA:
            out.append('pxe-service=tag:%s,tag:!%s-ipxe,%s,"Windows (iPXE)",%s,%s'
                       % (host, TAG, csa, PROXY_IPXE[firmware], address))
            out.append('pxe-service=tag:%s,tag:%s-ipxe,%s,"Windows",%s' % (host, TAG, csa, url))
    out += ['pxe-service=tag:!%s-win,%s,"Cobbler",%s,%s' % (TAG, csa, COBBLER_GRUB[firmware], address)
            for csa, firmware in PROXY_CSA]
    return "\n".join(out) + "\n"
