"""A DHCP test network: server and client namespaces joined by a veth pair, servers run by PID, a raw client."""
import collections
import contextlib
import json
import pathlib
import socket
import subprocess
import time

import netclient
from testbed import stop_process

PREFIX = "cwdhcp"
SERVER_NS, CLIENT_NS, SITE_NS = PREFIX + "s", PREFIX + "c", PREFIX + "d"
SERVER_IF, CLIENT_IF, SITE_IF, SITE_PORT = PREFIX + "s0", PREFIX + "c0", PREFIX + "d0", PREFIX + "d1"
SERVER_IP = "192.168.1.5"       # Cobbler (stock dhcp.template's subnet is 192.168.1.0/24)
SITE_IP = "192.168.1.1"         # the site's own DHCP server in proxyDHCP tests
BRIDGE = "br0"                  # inside the server namespace: the servers listen on it when the lab is bridged
CLIENT_SCRIPT = pathlib.Path(__file__).with_name("netclient.py")

# DHCP requests as each firmware sends them: option 60, extra options, parameter request list (option 55).
# edk2 UefiPxeBcDxe PxeBcDhcp.c PxeBcBuildDhcpOptions(): the 35 ParaList entries, in its order (no 252)
EDK2_PRL = bytes([1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 26, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67,
                  97, 128, 129, 130, 131, 132, 133, 134, 135])
CLIENTS = {
    "edk2-uefi-x64": (b"PXEClient:Arch:00007:UNDI:003016", {93: b"\x00\x07", 94: b"\x01\x03\x10", 97: bytes(17)},
                      EDK2_PRL),
    "bios-pxe-rom": (b"PXEClient:Arch:00000:UNDI:002001", {93: b"\x00\x00", 94: b"\x01\x02\x01", 97: bytes(17)},
                     bytes([1, 2, 3, 5, 6, 11, 12, 13, 15, 16, 17, 18, 43, 54, 60, 67, 128, 129, 130, 131, 132,
                            133, 134, 135])),
    "ipxe": (b"PXEClient:Arch:00000:UNDI:002001", {93: b"\x00\x00", 77: b"iPXE"},
             bytes([1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203])),
    "msft-5.0": (b"MSFT 5.0", {}, bytes([1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252])),
}


def ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True, timeout=30)


Lab = collections.namedtuple("Lab", "dev taps site_dev")


@contextlib.contextmanager
def network(taps=0, site=False):
    """The server and client namespaces joined by a veth pair; deleted on exit, also after a failure.

    With TAPS (a count) or SITE the server side is a bridge (BRIDGE, holding SERVER_IP) with the veth end as a port,
    TAPS taps <prefix>t0.. for QEMU clients (`ip netns exec <server ns> qemu ... ifname=<tap>`), and with SITE a
    third namespace (the site's own DHCP server, SITE_IP) on another veth port.  Yields the Lab: the device
    the servers listen on, the tap names, and the site namespace's device."""
    names = [SERVER_NS, CLIENT_NS] + ([SITE_NS] if site else [])
    bridged = bool(taps or site)
    try:
        for ns in names:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)   # a crashed run's
            ip("netns", "add", ns)
        for ns in names:
            ip("-n", ns, "link", "set", "lo", "up")
        veth(SERVER_IF, SERVER_NS, CLIENT_IF, CLIENT_NS)
        dev = BRIDGE if bridged else SERVER_IF
        tap_names = ["%st%d" % (PREFIX, n) for n in range(taps)]
        if bridged:
            ip("-n", SERVER_NS, "link", "add", BRIDGE, "type", "bridge")
            for tap in tap_names:
                ip("-n", SERVER_NS, "tuntap", "add", "dev", tap, "mode", "tap")
            if site:
                veth(SITE_PORT, SERVER_NS, SITE_IF, SITE_NS)
                ip("-n", SITE_NS, "addr", "add", SITE_IP + "/24", "dev", SITE_IF)
            for port in [SERVER_IF] + tap_names + ([SITE_PORT] if site else []):
                ip("-n", SERVER_NS, "link", "set", port, "master", BRIDGE)
                ip("-n", SERVER_NS, "link", "set", port, "up")
        ip("-n", SERVER_NS, "addr", "add", SERVER_IP + "/24", "dev", dev)
        ip("-n", SERVER_NS, "link", "set", dev, "up")
        yield Lab(dev, tap_names, SITE_IF if site else None)
    finally:
        for ns in names:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def veth(one, one_ns, other, other_ns):
    """A veth pair ONE (in ONE_NS) - OTHER (in OTHER_NS), both up."""
    ip("link", "add", one, "type", "veth", "peer", "name", other)
    ip("link", "set", one, "netns", one_ns)
    ip("link", "set", other, "netns", other_ns)
    ip("-n", one_ns, "link", "set", one, "up")
    ip("-n", other_ns, "link", "set", other, "up")


@contextlib.contextmanager
def server(argv, log_path, ns=SERVER_NS):
    """ARGV running in namespace NS; stopped by its PID on exit."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["ip", "netns", "exec", ns] + argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(1.0)
        assert proc.poll() is None, open(log_path).read()
        yield proc
    finally:
        stop_process(proc)


def dhcpd(conf, work, dev=SERVER_IF, ns=SERVER_NS):
    (work / "leases").write_text("")
    return server(["dhcpd", "-4", "-f", "-cf", str(conf), "-lf", str(work / "leases"), "-pf", str(work / "pid"),
                   dev], work / "dhcpd.log", ns)


def dnsmasq(conf, work, dev=SERVER_IF):
    """dnsmasq in the foreground on CONF (DHCP only: port 0 turns its DNS off), leases and log under WORK."""
    (work / "dnsmasq.leases").write_text("")
    return server(["dnsmasq", "--keep-in-foreground", "--conf-file=%s" % conf, "--port=0", "--user=root",
                   "--interface=%s" % dev, "--bind-interfaces", "--pid-file=%s" % (work / "dnsmasq.pid"),
                   "--dhcp-leasefile=%s" % (work / "dnsmasq.leases"), "--log-dhcp", "--log-facility=-"],
                  work / "dnsmasq.log")


def tftpd(root, work):
    """tftpd-hpa in the foreground on SERVER_IP:69 serving ROOT (as root: pytest's folders are private)."""
    return server(["in.tftpd", "--foreground", "--listen", "--address", SERVER_IP + ":69", "--secure", "--user",
                   "root", str(root)], work / "tftpd.log")


def http(root, work):
    """A static HTTP server on SERVER_IP:80 serving ROOT."""
    return server(["python3", "-m", "http.server", "80", "--bind", SERVER_IP, "--directory", str(root)],
                  work / "http.log")


Offer = collections.namedtuple("Offer", "type filename options seconds next_server address")
Exchange = collections.namedtuple("Exchange", "offers ack boot")


def exchange(kind, mac, window=0.0, request=False, boot_server=False):
    """KIND's DISCOVER from the client namespace (netclient.py), its OFFERs collected for WINDOW seconds after the
    first; with REQUEST the REQUEST/ACK for the first offer that leases an address; with BOOT_SERVER also PXE boot
    server discovery on port 4011 of the first proxy offer that has a boot menu.  Returns the Exchange."""
    vendor, extra, prl = CLIENTS[kind]
    base = [(55, prl), (60, vendor)] + sorted(extra.items())
    args = {"dev": CLIENT_IF, "mac": mac, "window": window, "request": request, "boot_server": boot_server,
            "options": [(code, value.hex()) for code, value in base]}
    done = subprocess.run(["ip", "netns", "exec", CLIENT_NS, "python3", str(CLIENT_SCRIPT), json.dumps(args)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    replies = [reply(json.loads(line)) for line in done.stdout.splitlines()]
    offers = [r for r in replies if r.type == netclient.OFFER]
    acks = [r for r in replies if r.type == netclient.ACK]
    assert offers, "no OFFER for %s %s: %s" % (kind, mac, done.stderr)
    return Exchange(offers, acks[0] if acks else None, acks[1] if len(acks) > 1 else None)


def discover(kind, mac):
    """The first OFFER to KIND's DISCOVER."""
    return exchange(kind, mac).offers[0]


def reply(line):
    """An Offer from one netclient.py line: boot file (option 67 when present, which edk2's PxeBcDhcp4.c prefers
    and dnsmasq sends instead of the file field to clients that ask for 67, else the file field), options,
    seconds since the DISCOVER, siaddr, yiaddr."""
    data = bytes.fromhex(line["hex"])
    found = netclient.options(data[240:])
    filename = found[67].rstrip(b"\0") if 67 in found else data[108:236].split(b"\0")[0]
    return Offer(found[53][0], filename.decode(), found, line["seconds"], socket.inet_ntoa(data[20:24]),
                 socket.inet_ntoa(data[16:20]))
