"""A small TFTP read client (RFC 1350 RRQ, RFC 2348 blksize, RFC 2349 tsize): fetches what a PXE client would."""
import socket
import struct
from dataclasses import dataclass
from typing import Optional

RRQ, DATA, ACK, ERROR, OACK = 1, 3, 4, 5, 6
ERROR_NAMES = {0: "not defined", 1: "file not found", 2: "access violation", 3: "disk full",
               4: "illegal operation", 5: "unknown transfer id", 6: "file exists", 7: "no such user",
               8: "option negotiation refused"}
RFC1350_BLKSIZE = 512
DEFAULT_BLKSIZE = 1456        # what bootmgr asks for by default (WDS ramdisktftpblocksize)
MAX_PACKET = 65468
MAX_BLOCKS = 1 << 22          # bounds a transfer even when the server never sends a short block


class TftpFailure(Exception):
    """A transfer failed: ``code`` is the TFTP error code (None for timeouts and protocol faults)."""

    def __init__(self, code, message):
        super().__init__(code, message)
        self.code, self.message = code, message

    def __str__(self):
        if self.code is None:
            return self.message
        return "TFTP error %d (%s): %s" % (self.code, ERROR_NAMES.get(self.code, "unknown"), self.message)


@dataclass
class TftpResult:
    """The bytes read (all, or the first ``limit``), the size the server announced, and whether it is complete."""
    data: bytes
    tsize: Optional[int]
    complete: bool


def _request(filename, blksize):
    name = filename.encode("utf-8")
    if b"\0" in name or len(name) > 400:
        raise TftpFailure(None, "file name %r cannot be sent in a TFTP request" % filename)
    return struct.pack("!H", RRQ) + name + b"\0octet\0blksize\0%d\0tsize\0000\0" % blksize


def _parse_oack(payload):
    parts = payload.split(b"\0")
    options = {}
    for index in range(0, len(parts) - 1, 2):
        options[parts[index].decode("ascii", "replace").lower()] = parts[index + 1].decode("ascii", "replace")
    return options


def _error(payload):
    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 0
    return TftpFailure(code, payload[2:].split(b"\0")[0].decode("utf-8", "replace") or ERROR_NAMES.get(code, "?"))


class _Transfer:
    """One RRQ: sends, retransmits the last packet on timeout (bounded), and acknowledges each block."""

    def __init__(self, host, port, timeout, retries):
        self.server = (host, port)
        self.peer = None
        self.retries = retries
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.last = None

    def send(self, packet, to=None):
        self.last = (packet, to or self.peer or self.server)
        self.sock.sendto(packet, self.last[1])

    def receive(self):
        """The next (opcode, payload) from the transfer's peer; retransmits on timeout, at most ``retries`` times."""
        for _attempt in range(self.retries + 1):
            try:
                while True:
                    packet, sender = self.sock.recvfrom(MAX_PACKET + 4)
                    if self.peer is None and sender[0] == self.server[0]:
                        self.peer = sender
                    if sender == self.peer and len(packet) >= 2:
                        return struct.unpack("!H", packet[:2])[0], packet[2:]
            except socket.timeout:
                self.sock.sendto(*self.last)
        raise TftpFailure(None, "no answer from %s:%d after %d tries" % (self.server + (self.retries + 1,)))

    def abort(self):
        if self.peer:
            self.sock.sendto(struct.pack("!HH", ERROR, 0) + b"enough read\0", self.peer)

    def close(self):
        self.sock.close()


def tftp_get(host, port, filename, limit=None, blksize=DEFAULT_BLKSIZE, timeout=2.0, retries=3,
             max_bytes=1 << 31):
    """Read FILENAME from a TFTP server as a PXE client would (octet mode, blksize and tsize options).

    limit: stop (sending an ERROR to end the transfer) once that many bytes arrived; None reads to the end.
    Raises TftpFailure for server errors, timeouts and malformed replies.
    """
    transfer = _Transfer(host, port, timeout, retries)
    try:
        transfer.send(_request(filename, blksize))
        return _read_blocks(transfer, limit, max_bytes)
    except OSError as err:
        raise TftpFailure(None, "cannot talk to %s:%d: %s" % (host, port, err.strerror or err)) from None
    finally:
        transfer.close()


def _read_blocks(transfer, limit, max_bytes):
    size, tsize, expected, chunks, received = RFC1350_BLKSIZE, None, 1, [], 0
    for _ in range(MAX_BLOCKS):
        opcode, payload = transfer.receive()
        if opcode == ERROR:
            raise _error(payload)
        if opcode == OACK and expected == 1 and not chunks:
            options = _parse_oack(payload)
            size = int(options.get("blksize", RFC1350_BLKSIZE))
            tsize = int(options["tsize"]) if options.get("tsize", "").isdigit() else None
            transfer.send(struct.pack("!HH", ACK, 0))
            continue
        if opcode != DATA or len(payload) < 2:
            raise TftpFailure(None, "unexpected TFTP packet (opcode %d)" % opcode)
        block = struct.unpack("!H", payload[:2])[0]
        if block != expected & 0xFFFF:
            continue   # a duplicate of an earlier block: the retransmitted ACK covers it
        data = payload[2:]
        chunks.append(data)
        received += len(data)
        if received > max_bytes:
            raise TftpFailure(None, "file larger than %d bytes" % max_bytes)
        if limit is not None and received >= limit and len(data) == size:
            transfer.abort()
            return TftpResult(b"".join(chunks), tsize, False)
        transfer.send(struct.pack("!HH", ACK, block))
        if len(data) < size:
            return TftpResult(b"".join(chunks), tsize, True)
        expected += 1
    raise TftpFailure(None, "more than %d blocks" % MAX_BLOCKS)

