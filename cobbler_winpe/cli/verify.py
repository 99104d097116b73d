"""`cobbler-winpe verify`: would this client boot? Walks its chain over the real TFTP/HTTP servers, link by link."""
import re

from cobbler_winpe import troubleshooting
from cobbler_winpe.cli import main
from cobbler_winpe import names
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import values
from cobbler_winpe.verify import chain, lookup

FIRMWARES = {names.BIOS: names.BIOS, names.UEFI: names.UEFI, names.GRUB_CHAIN: names.GRUB_CHAIN,
             names.IPXE_CHAIN: names.FIRMWARE[names.BIOS].ipxe_platform,
             names.IPXE_EFI_CHAIN: names.FIRMWARE[names.UEFI].ipxe_platform}


def parse_host_port(text, default_port=69):
    """(host, port) from HOST, HOST:PORT, [V6] or [V6]:PORT."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?|([^:\[\]\s]+)(?::(\d+))?|([0-9A-Fa-f:]+)", text or "")
    if not match:
        raise InputError("--tftp %r" % text, "not HOST or HOST:PORT", "e.g. --tftp 127.0.0.1:69")
    host = values.host("--tftp %r" % text, match.group(1) or match.group(3) or match.group(5))
    port = int(match.group(2) or match.group(4) or default_port)
    if not 0 < port < 65536:
        raise InputError("--tftp %r" % text, "port out of range", "use 1-65535")
    return host, port


def servers_from(args, cobbler):
    """The Servers to ask: the command line first, then Cobbler's settings, then loopback defaults."""
    host, port = parse_host_port(args.tftp or cobbler.get("next_server_v4") or cobbler.get("server") or "127.0.0.1")
    http = args.http
    if not http:
        http = values.http_base(cobbler.get("server") or "127.0.0.1", cobbler.get("http_port") or 80)
    if not re.match(r"https?://[^/\s]+", http):
        raise InputError("--http %r" % http, "not an http:// URL", "e.g. --http http://127.0.0.1:80")
    rules = None
    try:
        rules = main.settings(args).tftpd_rules
    except InputError:
        rules = None
    return chain.Servers(tftp_host=host, tftp_port=port, http_base=http.rstrip("/"),
                         tftproot=args.tftproot or cobbler.get("tftpboot_location"), tftpd_rules=rules,
                         timeout=args.timeout)


def run(args):
    client = lookup.resolve(args.cobbler, system=args.system, profile=args.profile, mac=args.mac)
    servers = servers_from(args, lookup.settings(args.cobbler))
    firmware = args.firmware
    print("verify %s%s (profile %s, distro %s) as a %s client: tftp %s:%d, http %s" % (
        "system %s " % client.system if client.system else "", client.mac, client.profile, client.distro,
        firmware, servers.tftp_host, servers.tftp_port, servers.http_base))
    if firmware in (names.IPXE_CHAIN, names.IPXE_EFI_CHAIN):
        walker = chain.Walker(client, servers)
        walker.walk_ipxe(FIRMWARES[firmware], args.ipxe_script)
    else:
        walker = chain.walk(client, servers, firmware)
    for link in walker.links:
        print(link.line() + ("" if link.ok else troubleshooting.see(troubleshooting.link_row(link.name, link.detail))))
    failed = sum(not link.ok for link in walker.links)
    print("%s: %d links, %d failed" % ("PASS" if walker.passed else "FAIL", len(walker.links), failed))
    return 0 if walker.passed else 1


def register(subparsers):
    parser = subparsers.add_parser("verify", help="walk a client's boot chain over TFTP/HTTP and name the broken link")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--system", help="a Cobbler system name")
    who.add_argument("--profile", help="a Cobbler profile name (the client picks it from the menu)")
    who.add_argument("--mac", help="a client MAC (selects the system that has it)")
    parser.add_argument("--firmware", choices=sorted(FIRMWARES), default=names.BIOS,
                        help="%s: pxelinux; %s: iPXE (%s) from DHCP; %s: Cobbler's GRUB menu; %s / %s: Cobbler's "
                             "iPXE menu on BIOS / UEFI (default %s)" % (
                                 names.BIOS, names.UEFI, names.SNPONLY, names.GRUB_CHAIN, names.IPXE_CHAIN,
                                 names.IPXE_EFI_CHAIN, names.BIOS))
    parser.add_argument("--tftp", metavar="HOST[:PORT]", help="TFTP server (default Cobbler's next_server_v4:69)")
    parser.add_argument("--http", metavar="URL", help="web server base URL (default http://server:http_port)")
    parser.add_argument("--cobbler", metavar="URL", default=lookup.DEFAULT_URL, help="cobblerd's XML-RPC URL")
    parser.add_argument("--ipxe-script", metavar="URL", help="verify this iPXE script instead of Cobbler's")
    parser.add_argument("--tftproot", help="local TFTP tree used to explain failures (default from Cobbler)")
    main.config_option(parser)
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds per TFTP packet (default 2)")
    parser.set_defaults(func=run)
