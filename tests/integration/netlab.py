"""A DHCP test network: server and client namespaces joined by a veth pair, servers run by PID, a raw client."""
import collections
import contextlib
import struct
import subprocess
import time

from testbed import stop_process

PREFIX = "cwdhcp"
SERVER_NS, CLIENT_NS = PREFIX + "s", PREFIX + "c"
SERVER_IF, CLIENT_IF = PREFIX + "s0", PREFIX + "c0"
SERVER_IP = "192.168.1.5"

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


@contextlib.contextmanager
def network():
    """Both namespaces and the veth pair; deleted on exit, also after a failure."""
    try:
        for ns in (SERVER_NS, CLIENT_NS):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)   # a crashed run's
            ip("netns", "add", ns)
        ip("link", "add", SERVER_IF, "type", "veth", "peer", "name", CLIENT_IF)
        ip("link", "set", SERVER_IF, "netns", SERVER_NS)
        ip("link", "set", CLIENT_IF, "netns", CLIENT_NS)
        ip("-n", SERVER_NS, "addr", "add", SERVER_IP + "/24", "dev", SERVER_IF)
        for ns, dev in ((SERVER_NS, SERVER_IF), (CLIENT_NS, CLIENT_IF), (SERVER_NS, "lo"), (CLIENT_NS, "lo")):
            ip("-n", ns, "link", "set", dev, "up")
        yield
    finally:
        for ns in (SERVER_NS, CLIENT_NS):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


@contextlib.contextmanager
def server(argv, log_path):
    """ARGV running in the server namespace; stopped by its PID on exit."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["ip", "netns", "exec", SERVER_NS] + argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(1.0)
        assert proc.poll() is None, open(log_path).read()
        yield proc
    finally:
        stop_process(proc)


def dhcpd(conf, work):
    (work / "leases").write_text("")
    return server(["dhcpd", "-4", "-f", "-cf", str(conf), "-lf", str(work / "leases"), "-pf", str(work / "pid"),
                   SERVER_IF], work / "dhcpd.log")


def dnsmasq(conf, work):
    """dnsmasq in the foreground on CONF (DHCP only: port 0 turns its DNS off), leases and log under WORK."""
    (work / "dnsmasq.leases").write_text("")
    return server(["dnsmasq", "--keep-in-foreground", "--conf-file=%s" % conf, "--port=0", "--user=root",
                   "--interface=%s" % SERVER_IF, "--bind-interfaces", "--pid-file=%s" % (work / "dnsmasq.pid"),
                   "--dhcp-leasefile=%s" % (work / "dnsmasq.leases"), "--log-dhcp", "--log-facility=-"],
                  work / "dnsmasq.log")


CLIENT_CODE = r'''
import socket, sys, time
packet = bytes.fromhex(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[2].encode())
s.bind(("0.0.0.0", 68)); s.settimeout(2)
began = time.monotonic()
for _ in range(8):
    s.sendto(packet, ("255.255.255.255", 67))
    try:
        print(s.recv(4096).hex(), "%.2f" % (time.monotonic() - began)); break
    except socket.timeout:
        pass
'''


Offer = collections.namedtuple("Offer", "filename options seconds next_server")


def discover(kind, mac):
    """Send KIND's DISCOVER from the client namespace; return the Offer: boot file (option 67 when present, which
    edk2's PxeBcDhcp4.c prefers and dnsmasq sends instead of the file field to clients that ask for 67, else the
    file field), options dict, seconds it took, siaddr."""
    vendor, extra, prl = CLIENTS[kind]
    opts = b"".join(bytes([code, len(value)]) + value for code, value in
                    [(53, b"\x01"), (55, prl), (60, vendor)] + sorted(extra.items()))
    chaddr = bytes.fromhex(mac.replace(":", ""))
    packet = struct.pack("!BBBBIHHIIII16s64s128s", 1, 1, 6, 0, 0x2b1d, 0, 0x8000, 0, 0, 0, 0, chaddr, b"", b"")
    packet += b"\x63\x82\x53\x63" + opts + b"\xff"
    done = subprocess.run(["ip", "netns", "exec", CLIENT_NS, "python3", "-c", CLIENT_CODE, packet.hex(), CLIENT_IF],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip(), "no OFFER for %s: %s" % (kind, done.stderr)
    reply, seconds = done.stdout.split()
    data = bytes.fromhex(reply)
    found = options(data[240:])
    filename = found[67].rstrip(b"\0") if 67 in found else data[108:236].split(b"\0")[0]
    return Offer(filename.decode(), found, float(seconds), ".".join(str(b) for b in data[20:24]))


def options(raw):
    found, i = {}, 0
    while i < len(raw) and raw[i] != 255:
        if raw[i] == 0:
            i += 1
            continue
        found[raw[i]] = raw[i + 2:i + 2 + raw[i + 1]]
        i += 2 + raw[i + 1]
    return found
