"""A raw PXE DHCP client run inside the client namespace: DISCOVER, REQUEST/ACK and PXE boot server discovery
(port 4011) as firmware sends them; prints each reply as one JSON line.  Only the standard library."""
import json
import socket
import struct
import subprocess
import sys
import time

DISCOVER, OFFER, REQUEST, ACK = 1, 2, 3, 5
BOOT_SERVER_PORT = 4011     # PXE spec / edk2 PXEBC_BS_DISCOVER_PORT
PXE_BOOT_MENU, PXE_BOOT_ITEM = 9, 71     # option 43 sub-options (PXE spec 2.1 table 2-1)
XID = 0x2b1d


def packet(kind, mac, options, ciaddr="0.0.0.0"):
    """A BOOTREQUEST of message type KIND with OPTIONS [(code, bytes)], broadcast flag set."""
    body = [(53, bytes([kind]))] + list(options)
    opts = b"".join(bytes([code, len(value)]) + value for code, value in body)
    head = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, XID, 0, 0x8000, socket.inet_aton(ciaddr),
                       bytes(4), bytes(4), bytes(4), mac, b"", b"")
    return head + b"\x63\x82\x53\x63" + opts + b"\xff"


def options(raw):
    """{code: value} of an options area (pad skipped, stops at end)."""
    found, i = {}, 0
    while i < len(raw) and raw[i] != 255:
        if raw[i] == 0:
            i += 1
            continue
        found[raw[i]] = raw[i + 2:i + 2 + raw[i + 1]]
        i += 2 + raw[i + 1]
    return found


def message_type(data):
    return options(data[240:]).get(53, b"\0")[0]


def boot_item(offer_data):
    """The first PXE boot menu item's type in a proxy OFFER's option 43, or None when it has no menu."""
    vendor = options(options(offer_data[240:]).get(43, b"") + b"\xff")
    menu = vendor.get(PXE_BOOT_MENU)
    return menu[:2] if menu else None


class Client:
    def __init__(self, dev, mac, base_options):
        self.dev, self.mac, self.base = dev, mac, base_options
        self.began = time.monotonic()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
        self.sock.bind(("0.0.0.0", 68))

    def ask(self, data, want, dest, window, tries=8):
        """Send DATA to DEST until a reply of type WANT comes (at most TRIES x 2 s), then keep collecting
        replies of that type for WINDOW seconds more; return them in arrival order."""
        got = []
        for _ in range(tries):
            self.sock.sendto(data, dest)
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    reply = self.sock.recv(4096)
                except socket.timeout:
                    break
                if reply[4:8] == struct.pack("!I", XID) and message_type(reply) == want:
                    got.append(reply)
                    emit(want, reply, self.began)
                    if not window:
                        return got
                    deadline = min(deadline, time.monotonic() + window)
            if got:
                return got
        return got


def emit(step, data, began):
    print(json.dumps({"type": step, "hex": data.hex(), "seconds": round(time.monotonic() - began, 2)}), flush=True)


def main():
    args = json.loads(sys.argv[1])
    mac = bytes.fromhex(args["mac"].replace(":", ""))
    base = [(code, bytes.fromhex(value)) for code, value in args["options"]]
    client = Client(args["dev"], mac, base)
    offers = client.ask(packet(DISCOVER, mac, base), OFFER, ("255.255.255.255", 67), args["window"])
    leased = [o for o in offers if o[16:20] != bytes(4)]
    if not args["request"] or not leased:
        return
    offer = leased[0]
    address, server = socket.inet_ntoa(offer[16:20]), options(offer[240:]).get(54, offer[20:24])
    client.ask(packet(REQUEST, mac, base + [(50, offer[16:20]), (54, server)]), ACK, ("255.255.255.255", 67), 0)
    proxies = [o for o in offers if o[16:20] == bytes(4) and not o[108:236].strip(b"\0")]
    if not args["boot_server"] or not proxies:
        return
    # PXE boot server discovery: the leased address on the NIC, then a REQUEST to the proxy's port 4011 with
    # the menu's first item (BIOS ROMs); an offer without a menu (edk2's "ProxyBinl" offer) gets it without one
    subprocess.run(["ip", "addr", "add", address + "/24", "dev", args["dev"]], check=True, timeout=30)
    try:
        item = boot_item(proxies[0])
        extra = [(43, bytes([PXE_BOOT_ITEM, 4]) + item + b"\0\0\xff")] if item else []
        proxy = socket.inet_ntoa(options(proxies[0][240:]).get(54, proxies[0][20:24]))
        client.ask(packet(REQUEST, mac, base + extra, ciaddr=address), ACK, (proxy, BOOT_SERVER_PORT), 0)
    finally:
        subprocess.run(["ip", "addr", "del", address + "/24", "dev", args["dev"]], timeout=30)


if __name__ == "__main__":
    main()
