"""A TFTP read client that asks for what the Windows boot manager asks for: blksize, tsize, windowsize, msftwindow.

Run: python3 bench/tftpclient.py HOST[:PORT] FILE [--blksize N] [--windowsize N] [--msftwindow] [--timeout S]
Prints one JSON line: seconds, bytes, the options the server granted, retransmitted ACKs, out-of-order blocks
(and with --sha256 the SHA-256 of what arrived).
Wire formats: RFC 1350 (RRQ/DATA/ACK/ERROR), RFC 2347 (OACK), RFC 2348 blksize, RFC 2349 tsize, RFC 7440
windowsize (the client ACKs the last block of each window, or the last block in order when one is missing).
msftwindow (WDS's variable window), as Wireshark's epan/dissectors/packet-tftp.c documents it from WDS traffic:
the RRQ carries msftwindow=31416, a server that grants it answers msftwindow=27182 in its OACK, and every ACK
after that carries one more byte: the number of DATA blocks the client wants before its next ACK.
"""
import argparse
import hashlib
import json
import socket
import struct
import sys
import time

RRQ, DATA, ACK, ERROR, OACK = 1, 3, 4, 5, 6
MSFT_ASK, MSFT_GRANT = "31416", "27182"
BOOTMGR_ORDER = ("tsize", "blksize", "windowsize", "msftwindow")   # the order the boot manager sends them


class TftpError(Exception):
    """The transfer failed: the server sent an ERROR, timed out, or broke the protocol."""


def request_options(blksize=None, windowsize=None, msftwindow=False, tsize=True):
    """The (name, value) pairs of an RRQ, in the boot manager's order; None or False leaves an option out."""
    values = {"tsize": "0" if tsize else None, "blksize": blksize, "windowsize": windowsize,
              "msftwindow": MSFT_ASK if msftwindow else None}
    return [(name, str(values[name])) for name in BOOTMGR_ORDER if values[name] is not None]


def rrq_packet(filename, options):
    """RRQ for FILENAME in octet mode with OPTIONS ([(name, value)]): every field NUL-terminated ASCII."""
    fields = [filename, "octet"] + [text for pair in options for text in pair]
    for text in fields:
        if "\0" in text:
            raise ValueError("TFTP request field holds a NUL byte: %r" % text)
    return struct.pack("!H", RRQ) + b"".join(text.encode("ascii") + b"\0" for text in fields)


def parse_oack(packet):
    """{name (lower case): value} of an OACK packet; raises TftpError when it is not one or is malformed."""
    if len(packet) < 2 or struct.unpack("!H", packet[:2])[0] != OACK:
        raise TftpError("not an OACK packet")
    body = packet[2:]
    if body and not body.endswith(b"\0"):
        raise TftpError("OACK field not NUL-terminated")
    fields = body[:-1].split(b"\0") if body else []
    if len(fields) % 2:
        raise TftpError("OACK holds an option without a value")
    return {fields[i].decode("ascii").lower(): fields[i + 1].decode("ascii") for i in range(0, len(fields), 2)}


def ack_packet(block, next_window=None):
    """ACK of BLOCK (mod 65536); with NEXT_WINDOW (msftwindow granted) one more byte: the next window wanted."""
    packet = struct.pack("!HH", ACK, block & 0xFFFF)
    if next_window is not None:
        if not 1 <= next_window <= 255:
            raise ValueError("msftwindow next window must be 1..255, not %d" % next_window)
        packet += bytes((next_window,))
    return packet


def granted(options, asked):
    """(blksize, windowsize, msftwindow on) the server granted: RFC defaults for what it left out of OACK."""
    blksize = int(options.get("blksize", 512))
    windowsize = int(options.get("windowsize", 1))
    asked_size = dict(asked)
    if "blksize" in asked_size and not 8 <= blksize <= int(asked_size["blksize"]):
        raise TftpError("server granted blksize %d, more than asked (%s)" % (blksize, asked_size["blksize"]))
    if not 1 <= windowsize <= int(asked_size.get("windowsize", 1)):
        raise TftpError("server granted windowsize %d, outside 1..%s" % (windowsize, asked_size.get("windowsize", 1)))
    return blksize, windowsize, options.get("msftwindow") == MSFT_GRANT


def error_text(packet):
    code = struct.unpack("!H", packet[2:4])[0] if len(packet) >= 4 else -1
    return "server error %d: %s" % (code, packet[4:].split(b"\0")[0].decode("ascii", "replace"))


class Transfer:
    """One read: sends the RRQ, takes the OACK (or a first DATA), then receives blocks window by window."""

    def __init__(self, server, filename, options, timeout=1.0, retries=5, digest=False):
        self.server, self.filename, self.options = server, filename, options
        self.timeout, self.retries = timeout, retries
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.settimeout(timeout)
        self.peer = None
        self.blksize, self.windowsize, self.msft = 512, 1, False
        self.size = self.resent = self.out_of_order = 0
        self.tsize = None
        self.digest = hashlib.sha256() if digest else None

    def run(self):
        start = time.monotonic()
        try:
            first = self._open()
            self._receive(first)
        finally:
            self.sock.close()
        seconds = time.monotonic() - start
        if self.tsize is not None and self.tsize != self.size:
            raise TftpError("received %d bytes, tsize said %d" % (self.size, self.tsize))
        return {"seconds": seconds, "bytes": self.size, "blksize": self.blksize, "windowsize": self.windowsize,
                "msftwindow": self.msft, "tsize": self.tsize, "resent_acks": self.resent,
                "out_of_order": self.out_of_order, "sha256": self.digest.hexdigest() if self.digest else None}

    def _ack(self, block):
        self.sock.sendto(ack_packet(block, self.windowsize if self.msft else None), self.peer)

    def _recv(self):
        """Next packet from the server (the first one fixes its transfer port); None on a timeout."""
        try:
            packet, source = self.sock.recvfrom(65536)
        except socket.timeout:
            return None
        if self.peer is None and source[0] == self.server[0]:
            self.peer = source
        if source != self.peer:
            return b""
        if packet[:2] == struct.pack("!H", ERROR):
            raise TftpError(error_text(packet))
        return packet

    def _open(self):
        """Send the RRQ (again on silence); returns the first DATA packet, or None after an OACK (ACK 0 sent)."""
        request = rrq_packet(self.filename, self.options)
        for _ in range(self.retries + 1):
            self.sock.sendto(request, self.server)
            packet = self._recv()
            while packet == b"":
                packet = self._recv()
            if packet is None:
                continue
            if packet[:2] == struct.pack("!H", OACK):
                options = parse_oack(packet)
                self.blksize, self.windowsize, self.msft = granted(options, self.options)
                self.tsize = int(options["tsize"]) if "tsize" in options else None
                self._ack(0)
                return None
            return packet
        raise TftpError("no answer to the read request from %s:%d" % self.server)

    def _receive(self, packet):
        """Blocks until the short last one; ACK every windowsize in-order blocks, or the last in order on a gap."""
        expected, in_window, silent, gap_acked = 1, 0, 0, False
        while True:
            if packet is None:
                packet = self._recv()
            if packet is None:
                silent += 1
                if silent > self.retries:
                    raise TftpError("timed out waiting for block %d" % expected)
                self.resent += 1
                self._ack(expected - 1)
                in_window = 0
                continue
            silent = 0
            if len(packet) < 4 or struct.unpack("!H", packet[:2])[0] != DATA:
                packet = None
                continue
            block = struct.unpack("!H", packet[2:4])[0]
            if block != expected & 0xFFFF:
                self.out_of_order += 1
                if not gap_acked:   # a gap: ask once to go on after the last block received in order
                    self._ack(expected - 1)
                    in_window, gap_acked = 0, True
                packet = None
                continue
            gap_acked = False
            payload = len(packet) - 4
            self.size += payload
            if self.digest:
                self.digest.update(packet[4:])
            in_window += 1
            last = payload < self.blksize
            if last or in_window >= self.windowsize:
                self._ack(expected)
                in_window = 0
            if last:
                return
            expected += 1
            packet = None


def parse_server(text):
    host, _, port = text.partition(":")
    return host, int(port or 69)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server", help="HOST or HOST:PORT")
    parser.add_argument("filename")
    parser.add_argument("--blksize", type=int)
    parser.add_argument("--windowsize", type=int)
    parser.add_argument("--msftwindow", action="store_true")
    parser.add_argument("--no-tsize", action="store_true")
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--sha256", action="store_true", help="also hash what arrived (costs CPU)")
    args = parser.parse_args(argv)
    options = request_options(args.blksize, args.windowsize, args.msftwindow, not args.no_tsize)
    try:
        result = Transfer(parse_server(args.server), args.filename, options, args.timeout,
                          digest=args.sha256).run()
    except (TftpError, OSError) as err:
        print(json.dumps({"error": str(err)}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
