"""On-disk regf records (base block, hbin header, nk, vk, sk, subkey and value lists): parse, new, record."""
import struct
from datetime import datetime, timezone

from cobbler_winpe.errors import MediaError

BASE_BLOCK_SIZE = 0x1000
HBIN_HEADER_SIZE = 0x20
BIN_ALIGN = 0x1000
NIL = 0xFFFFFFFF
MAX_CELL_DATA = 16344          # larger values need a 'db' record (minor > 3); BCD never does
INLINE_FLAG = 0x80000000

KEY_HIVE_ENTRY = 0x0004
KEY_NO_DELETE = 0x0008
KEY_COMP_NAME = 0x0020
VALUE_COMP_NAME = 0x0001

# O:BA G:SY D:(A;;KA;;;BA)(A;;KA;;;SY), control 0x8804: the 100-byte descriptor Microsoft wrote (notes §1.3).
DEFAULT_SECURITY = bytes.fromhex(
    "0100048848000000580000000000000014000000020034000200000000001800"
    "3f000f0001020000000000052000000020020000000014003f000f0001010000"
    "0000000512000000010200000000000520000000200200000101000000000005"
    "12000000")

_EPOCH_DIFF = 11644473600


def filetime(when=None):
    """FILETIME (100 ns ticks since 1601) of an int (taken as is), a datetime, or now when None."""
    if isinstance(when, int):
        return when
    if when is None:
        when = datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(round((when.timestamp() + _EPOCH_DIFF) * 10 ** 7))


def fault(where, field, why):
    """A MediaError for a damaged hive: where is a file offset, field the record field at fault."""
    return MediaError("hive offset 0x%x (%s)" % (where, field), why,
                      "the file is not an intact registry hive; rebuild the BCD store")


def encode_name(name):
    """(bytes, compressed?) of a key or value name: Latin-1 when possible, else UTF-16LE."""
    try:
        return name.encode("latin-1"), True
    except UnicodeEncodeError:
        return name.encode("utf-16-le"), False


def decode_name(raw, compressed, where, field):
    """The str of a stored name; odd UTF-16 lengths are a fault."""
    if compressed:
        return raw.decode("latin-1")
    if len(raw) % 2:
        raise fault(where, field, "UTF-16 name has odd length %d" % len(raw))
    return raw.decode("utf-16-le", "surrogatepass")


def _need(buf, size, where, field):
    if len(buf) < size:
        raise fault(where, field, "record needs %d bytes but the cell holds %d" % (size, len(buf)))


def checksum(block):
    """Base-block checksum: XOR of the first 127 dwords, with the 0 and ~0 fix-ups."""
    value = 0
    for word in struct.unpack_from("<127I", block):
        value ^= word
    if value == NIL:
        return 0xFFFFFFFE
    return value or 1


class BaseBlock:
    """The 4 KiB header: sequence numbers, version, root cell, hive bins size, checksum."""

    FORMAT = "<4sIIQIIIIIII64s"

    def __init__(self):
        self.seq1 = self.seq2 = 1
        self.timestamp = 0
        self.major, self.minor = 1, 3
        self.file_type, self.file_format = 0, 1
        self.root = 0x20
        self.length = 0
        self.clustering = 1
        self.filename = b""
        self.stored_checksum = 0
        self.signature = b"regf"

    @classmethod
    def new(cls, root, length, timestamp, seq=1):
        block = cls()
        block.seq1 = block.seq2 = seq
        block.root, block.length, block.timestamp = root, length, timestamp
        return block

    @classmethod
    def parse(cls, data):
        if len(data) < BASE_BLOCK_SIZE:
            raise fault(0, "base block", "file is %d bytes, shorter than the 4096-byte base block" % len(data))
        block = cls()
        (block.signature, block.seq1, block.seq2, block.timestamp, block.major, block.minor,
         block.file_type, block.file_format, block.root, block.length, block.clustering,
         block.filename) = struct.unpack_from(cls.FORMAT, data)
        block.stored_checksum = struct.unpack_from("<I", data, 0x1FC)[0]
        block.computed_checksum = checksum(data)
        return block

    def record(self):
        out = bytearray(BASE_BLOCK_SIZE)
        struct.pack_into(self.FORMAT, out, 0, b"regf", self.seq1, self.seq2, self.timestamp, self.major,
                         self.minor, self.file_type, self.file_format, self.root, self.length,
                         self.clustering, self.filename)
        struct.pack_into("<I", out, 0x1FC, checksum(out))
        return bytes(out)


class BinHeader:
    """The 32-byte 'hbin' header: offset of the bin (from 0x1000) and its size."""

    FORMAT = "<4sIIQQI"

    def __init__(self, offset=0, size=BIN_ALIGN, timestamp=0):
        self.signature = b"hbin"
        self.offset, self.size, self.timestamp = offset, size, timestamp

    @classmethod
    def parse(cls, data, pos):
        header = cls()
        header.signature, header.offset, header.size, _, header.timestamp, _ = \
            struct.unpack_from(cls.FORMAT, data, pos)
        return header

    new = __init__

    def record(self):
        return struct.pack(self.FORMAT, b"hbin", self.offset, self.size, 0, self.timestamp, 0)


class KeyNode:
    """An 'nk' cell: one key, with links to its parent, subkey list, value list and security cell."""

    FORMAT = "<2sHQIIIIIIIIIIIIIIIHH"
    SIZE = struct.calcsize(FORMAT)   # 76

    def __init__(self, name="", flags=KEY_COMP_NAME, timestamp=0):
        self.name, self.flags, self.timestamp = name, flags, timestamp
        self.access = 0
        self.parent = NIL
        self.subkey_count = self.volatile_count = 0
        self.subkey_list, self.volatile_list = NIL, NIL
        self.value_count, self.value_list = 0, NIL
        self.security, self.class_offset = NIL, NIL
        self.max_name = self.max_class = self.max_value_name = self.max_value_data = 0
        self.workvar = self.class_length = 0

    new = __init__

    @classmethod
    def parse(cls, buf, where):
        _need(buf, cls.SIZE, where, "nk")
        node = cls()
        (sig, node.flags, node.timestamp, node.access, node.parent, node.subkey_count,
         node.volatile_count, node.subkey_list, node.volatile_list, node.value_count,
         node.value_list, node.security, node.class_offset, node.max_name, node.max_class,
         node.max_value_name, node.max_value_data, node.workvar, name_length,
         node.class_length) = struct.unpack_from(cls.FORMAT, buf)
        if sig != b"nk":
            raise fault(where, "nk.signature", "expected 'nk', found %r" % sig)
        _need(buf, cls.SIZE + name_length, where, "nk.name_length")
        raw = bytes(buf[cls.SIZE:cls.SIZE + name_length])
        node.name = decode_name(raw, node.flags & KEY_COMP_NAME, where, "nk.name")
        return node

    @staticmethod
    def size_for(name):
        return KeyNode.SIZE + len(encode_name(name)[0])

    def record(self):
        raw, compressed = encode_name(self.name)
        flags = (self.flags | KEY_COMP_NAME) if compressed else (self.flags & ~KEY_COMP_NAME)
        return struct.pack(self.FORMAT, b"nk", flags, self.timestamp, self.access, self.parent,
                           self.subkey_count, self.volatile_count, self.subkey_list, self.volatile_list,
                           self.value_count, self.value_list, self.security, self.class_offset,
                           self.max_name, self.max_class, self.max_value_name, self.max_value_data,
                           self.workvar, len(raw), self.class_length) + raw


class ValueKey:
    """A 'vk' cell: a value's name, type and data (inline when 4 bytes or less, else in its own cell)."""

    FORMAT = "<2sHIIIHH"
    SIZE = struct.calcsize(FORMAT)   # 20

    def __init__(self, name="", regtype=0, data_size=0, data_offset=NIL):
        self.name, self.type = name, regtype
        self.data_size, self.data_offset = data_size, data_offset

    @classmethod
    def new(cls, name, regtype, data, data_offset=NIL):
        """A vk for ``data``: inline (left-aligned in the offset field) when <= 4 bytes."""
        if 0 < len(data) <= 4:
            inline = struct.unpack("<I", data.ljust(4, b"\0"))[0]
            return cls(name, regtype, len(data) | INLINE_FLAG, inline)
        return cls(name, regtype, len(data), data_offset if data else NIL)

    @classmethod
    def parse(cls, buf, where):
        _need(buf, cls.SIZE, where, "vk")
        sig, name_length, size, offset, regtype, flags, _ = struct.unpack_from(cls.FORMAT, buf)
        if sig != b"vk":
            raise fault(where, "vk.signature", "expected 'vk', found %r" % sig)
        _need(buf, cls.SIZE + name_length, where, "vk.name_length")
        raw = bytes(buf[cls.SIZE:cls.SIZE + name_length])
        name = decode_name(raw, flags & VALUE_COMP_NAME, where, "vk.name")
        return cls(name, regtype, size, offset)

    @property
    def inline(self):
        return bool(self.data_size & INLINE_FLAG)

    @property
    def length(self):
        return self.data_size & ~INLINE_FLAG

    def inline_data(self):
        return struct.pack("<I", self.data_offset)[:self.length]

    @staticmethod
    def size_for(name):
        return ValueKey.SIZE + len(encode_name(name)[0])

    def record(self):
        raw, compressed = encode_name(self.name)
        return struct.pack(self.FORMAT, b"vk", len(raw), self.data_size, self.data_offset, self.type,
                           VALUE_COMP_NAME if compressed else 0, 0) + raw


class SecurityKey:
    """An 'sk' cell: a self-relative security descriptor shared by ``refcount`` keys, in a ring of sk cells."""

    FORMAT = "<2sHIIII"
    SIZE = struct.calcsize(FORMAT)   # 20

    def __init__(self, descriptor=DEFAULT_SECURITY, refcount=0, flink=NIL, blink=NIL):
        self.descriptor, self.refcount, self.flink, self.blink = descriptor, refcount, flink, blink

    new = __init__

    @classmethod
    def parse(cls, buf, where):
        _need(buf, cls.SIZE, where, "sk")
        sig, _, flink, blink, refcount, length = struct.unpack_from(cls.FORMAT, buf)
        if sig != b"sk":
            raise fault(where, "sk.signature", "expected 'sk', found %r" % sig)
        _need(buf, cls.SIZE + length, where, "sk.descriptor_length")
        return cls(bytes(buf[cls.SIZE:cls.SIZE + length]), refcount, flink, blink)

    def size(self):
        return self.SIZE + len(self.descriptor)

    def record(self):
        return struct.pack(self.FORMAT, b"sk", 0, self.flink, self.blink, self.refcount,
                           len(self.descriptor)) + self.descriptor


def lf_hint(name):
    """The 4-byte 'lf' hint: the first four characters of the name, NUL-padded."""
    return name[:4].encode("latin-1", "replace").ljust(4, b"\0")


def lh_hash(name):
    """The 'lh' hash: h = h*37 + c over the UTF-16 code units of the uppercased name."""
    value = 0
    units = name.upper().encode("utf-16-le")
    for (unit,) in struct.iter_unpack("<H", units):
        value = (value * 37 + unit) & 0xFFFFFFFF
    return struct.pack("<I", value)


class SubkeyList:
    """A subkey list cell: 'lf'/'lh' (offset + hint), 'li' (offsets) or 'ri' (offsets of other lists)."""

    KINDS = (b"lf", b"lh", b"li", b"ri")

    def __init__(self, kind=b"lf", offsets=None, hints=None):
        self.kind = kind
        self.offsets = list(offsets or [])
        self.hints = list(hints or [])

    @classmethod
    def new(cls, offsets_and_names):
        """An 'lf' list from (nk offset, name) pairs already in registry order."""
        pairs = list(offsets_and_names)
        return cls(b"lf", [off for off, _ in pairs], [lf_hint(name) for _, name in pairs])

    @classmethod
    def parse(cls, buf, where):
        _need(buf, 4, where, "subkey list")
        kind, count = struct.unpack_from("<2sH", buf)
        if kind not in cls.KINDS:
            raise fault(where, "subkey list signature", "expected lf/lh/li/ri, found %r" % kind)
        step = 8 if kind in (b"lf", b"lh") else 4
        _need(buf, 4 + count * step, where, "%s.count" % kind.decode())
        result = cls(kind)
        for index in range(count):
            pos = 4 + index * step
            result.offsets.append(struct.unpack_from("<I", buf, pos)[0])
            if step == 8:
                result.hints.append(bytes(buf[pos + 4:pos + 8]))
        return result

    @staticmethod
    def size_for(count):
        return 4 + 8 * count

    def record(self):
        out = struct.pack("<2sH", self.kind, len(self.offsets))
        for index, offset in enumerate(self.offsets):
            out += struct.pack("<I", offset)
            if self.kind in (b"lf", b"lh"):
                out += self.hints[index]
        return out


def parse_value_list(buf, count, where):
    """The vk offsets of a value-list cell holding ``count`` entries."""
    _need(buf, 4 * count, where, "nk.value_count")
    return list(struct.unpack_from("<%dI" % count, buf))


def record_value_list(offsets):
    return struct.pack("<%dI" % len(offsets), *offsets)
