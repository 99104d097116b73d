"""Read a registry hive defensively into a Key tree; check_hive() also checks every structural rule."""
import struct

from cobbler_winpe.regf.records import (
    BASE_BLOCK_SIZE, BIN_ALIGN, HBIN_HEADER_SIZE, MAX_CELL_DATA, NIL, BaseBlock, BinHeader, KeyNode,
    SecurityKey, SubkeyList, ValueKey, fault, lf_hint, lh_hash, parse_value_list)
from cobbler_winpe.regf.tree import Key, Value, sort_key

MAX_HIVE_SIZE = 64 * 1024 * 1024
MAX_DEPTH = 64


def read_hive(data):
    """The root Key of hive bytes; raises MediaError on anything unsafe (bounds, loops, sizes, signatures)."""
    return _Reader(data, strict=False).read()


def check_hive(data):
    """Read and check a hive like the boot manager would; MediaError names the first faulty offset and field.

    On top of read_hive: checksum, sequence numbers, version, cell alignment, parent links, subkey
    order and hints, max-length fields and security reference counts.  Returns the root Key.
    """
    return _Reader(data, strict=True).read()


class _Reader:
    def __init__(self, data, strict):
        self.data = bytes(data)
        self.strict = strict
        self.cells = {}         # hbin-relative offset -> signed cell size
        self.seen = set()
        self.sk_refs = {}

    def fail(self, offset, field, why):
        return fault(offset + BASE_BLOCK_SIZE, field, why)

    def read(self):
        self.header = self.check_header()
        self.scan_bins()
        root = self.key(self.header.root, NIL, 0)
        if self.strict:
            self.check_security()
        return root

    # -- base block and bins ------------------------------------------------------------------
    def check_header(self):
        data = self.data
        if len(data) > MAX_HIVE_SIZE:
            raise fault(0, "file size", "%d bytes is larger than any hive this reads (%d)"
                        % (len(data), MAX_HIVE_SIZE))
        block = BaseBlock.parse(data)
        if block.signature != b"regf":
            raise fault(0, "signature", "expected 'regf', found %r" % block.signature)
        if block.major != 1 or not 2 <= block.minor <= 6:
            raise fault(0x14, "version", "version %d.%d is not a regf 1.2-1.6 hive" % (block.major, block.minor))
        if block.length == 0 or block.length % BIN_ALIGN:
            raise fault(0x28, "hive bins data size", "0x%x is zero or not a multiple of 4 KiB" % block.length)
        if BASE_BLOCK_SIZE + block.length > len(data):
            raise fault(0x28, "hive bins data size", "0x%x bytes of bins do not fit the %d-byte file (truncated?)"
                        % (block.length, len(data)))
        if self.strict:
            self.check_header_strict(block)
        return block

    def check_header_strict(self, block):
        if block.stored_checksum != block.computed_checksum:
            raise fault(0x1FC, "checksum", "stored 0x%08x, computed 0x%08x"
                        % (block.stored_checksum, block.computed_checksum))
        if block.seq1 != block.seq2:
            raise fault(0x4, "sequence numbers", "%d != %d: the hive is dirty (needs log replay)"
                        % (block.seq1, block.seq2))
        if not 3 <= block.minor <= 5 or block.file_type != 0 or block.file_format != 1:
            raise fault(0x18, "minor/type/format", "minor %d, type %d, format %d; the boot manager wants "
                        "minor 3-5, type 0, format 1" % (block.minor, block.file_type, block.file_format))
        if block.clustering != 1:
            raise fault(0x2C, "clustering factor", "%d, expected 1" % block.clustering)

    def scan_bins(self):
        pos = 0
        while pos < self.header.length:
            header = BinHeader.parse(self.data, BASE_BLOCK_SIZE + pos)
            if header.signature != b"hbin":
                raise self.fail(pos, "hbin.signature", "expected 'hbin', found %r" % header.signature)
            if header.offset != pos:
                raise self.fail(pos + 4, "hbin.offset", "bin says it is at 0x%x" % header.offset)
            if header.size == 0 or header.size % BIN_ALIGN:
                raise self.fail(pos + 8, "hbin.size", "0x%x is zero or not a multiple of 4 KiB" % header.size)
            if pos + header.size > self.header.length:
                raise self.fail(pos + 8, "hbin.size", "0x%x runs past the end of the bins at 0x%x"
                                % (header.size, self.header.length + BASE_BLOCK_SIZE))
            self.scan_cells(pos + HBIN_HEADER_SIZE, pos + header.size)
            pos += header.size

    def scan_cells(self, pos, end):
        while pos < end:
            size = struct.unpack_from("<i", self.data, BASE_BLOCK_SIZE + pos)[0]
            length = abs(size)
            if length < 8 or length % 8:
                raise self.fail(pos, "cell size", "%d is under 8 or not a multiple of 8" % size)
            if pos + length > end:
                raise self.fail(pos, "cell size", "%d crosses the bin end at 0x%x" % (size, end + BASE_BLOCK_SIZE))
            self.cells[pos] = size
            pos += length

    # -- cells ---------------------------------------------------------------------------------
    def cell(self, offset, field, shared=False):
        """Payload of the allocated cell at ``offset``; each non-shared cell may be used once only."""
        size = self.cells.get(offset)
        if size is None or size >= 0:
            raise self.fail(offset, field, "0x%x is not the start of an allocated cell" % offset)
        if not shared:
            if offset in self.seen:
                raise self.fail(offset, field, "cell is referenced twice (a loop or a shared list)")
            self.seen.add(offset)
        start = BASE_BLOCK_SIZE + offset + 4
        return memoryview(self.data)[start:start - 4 - size]

    def key(self, offset, parent, depth):
        node = KeyNode.parse(self.cell(offset, "nk"), offset + BASE_BLOCK_SIZE)
        if depth > MAX_DEPTH:
            raise self.fail(offset, "nk", "keys nest deeper than %d levels" % MAX_DEPTH)
        if self.strict and parent != NIL and node.parent != parent:
            raise self.fail(offset + 4 + 16, "nk.parent", "0x%x, but the key is listed under 0x%x"
                            % (node.parent, parent))
        self.sk_refs[node.security] = self.sk_refs.get(node.security, 0) + 1
        values = self.values(node, offset)
        children = [self.key(child, offset, depth + 1) for child in self.subkey_offsets(node, offset)]
        if self.strict:
            self.check_order_and_maxima(node, offset, values, children)
        return Key(node.name, values, children)

    def values(self, node, offset):
        if node.value_count == 0:
            return []
        if node.value_list == NIL:
            raise self.fail(offset + 44, "nk.value_list", "%d values but no list" % node.value_count)
        where = node.value_list + BASE_BLOCK_SIZE
        offsets = parse_value_list(self.cell(node.value_list, "value list"), node.value_count, where)
        return [self.value(vk_offset) for vk_offset in offsets]

    def value(self, offset):
        vk = ValueKey.parse(self.cell(offset, "vk"), offset + BASE_BLOCK_SIZE)
        length = vk.length
        if vk.inline:
            if length > 4:
                raise self.fail(offset + 8, "vk.data_size", "inline data of %d bytes (at most 4)" % length)
            return Value(vk.name, vk.type, vk.inline_data())
        if length == 0:
            if self.strict and vk.data_offset != NIL:
                raise self.fail(offset + 12, "vk.data_offset", "empty value points at cell 0x%x" % vk.data_offset)
            return Value(vk.name, vk.type, b"")
        data = self.cell(vk.data_offset, "vk.data_offset")
        if length > len(data) or (length > MAX_CELL_DATA and bytes(data[:2]) == b"db"):
            raise self.fail(offset + 8, "vk.data_size", "%d bytes do not fit the %d-byte data cell (big-data "
                            "records are not supported)" % (length, len(data)))
        return Value(vk.name, vk.type, bytes(data[:length]))

    def subkey_offsets(self, node, offset):
        if node.subkey_count == 0:
            return []
        if node.subkey_list == NIL:
            raise self.fail(offset + 32, "nk.subkey_list", "%d subkeys but no list" % node.subkey_count)
        offsets = self.subkey_list(node.subkey_list)
        if len(offsets) != node.subkey_count:
            raise self.fail(offset + 24, "nk.subkey_count", "%d, but the list holds %d"
                            % (node.subkey_count, len(offsets)))
        return [off for off, _, _ in offsets]

    def subkey_list(self, offset, nested=False, shared=False):
        """(nk offset, hint or None, list kind) of a list; 'ri' lists are followed one level down."""
        lst = SubkeyList.parse(self.cell(offset, "subkey list", shared), offset + BASE_BLOCK_SIZE)
        if lst.kind != b"ri":
            hints = lst.hints or [None] * len(lst.offsets)
            return [(off, hint, lst.kind) for off, hint in zip(lst.offsets, hints)]
        if nested:
            raise self.fail(offset, "ri", "an 'ri' list inside an 'ri' list")
        result = []
        for sub in lst.offsets:
            result.extend(self.subkey_list(sub, True, shared))
        return result

    # -- strict checks -------------------------------------------------------------------------
    def check_order_and_maxima(self, node, offset, values, children):
        where = offset + BASE_BLOCK_SIZE
        names = [child.name for child in children]
        for first, second in zip(names, names[1:]):
            if sort_key(first) >= sort_key(second):
                raise fault(where + 32, "nk.subkey_list order", "%r is listed before %r" % (first, second))
        self.check_hints(node)
        wanted = {"max subkey name length": (node.max_name & 0xFFFF, max([2 * len(n) for n in names] or [0])),
                  "max value name length": (node.max_value_name, max([2 * len(v.name) for v in values] or [0])),
                  "max value data size": (node.max_value_data, max([len(v.data) for v in values] or [0]))}
        for field, (stored, needed) in wanted.items():
            if stored < needed:
                raise fault(where, "nk." + field.replace(" ", "_"), "%d, but a child needs %d" % (stored, needed))

    def check_hints(self, node):
        entries = self.subkey_list(node.subkey_list, shared=True) if node.subkey_count else []
        for nk_offset, hint, kind in entries:
            name = KeyNode.parse(self.cell(nk_offset, "nk", shared=True), nk_offset + BASE_BLOCK_SIZE).name
            if not _hint_matches(kind, hint, name):
                raise self.fail(node.subkey_list, "%s hint" % kind.decode(), "hint %r does not match key %r"
                                % (hint, name))

    def check_security(self):
        for offset, count in sorted(self.sk_refs.items()):
            sk = SecurityKey.parse(self.cell(offset, "nk.security", shared=True), offset + BASE_BLOCK_SIZE)
            if sk.refcount != count:
                raise self.fail(offset + 16, "sk.refcount", "%d, but %d keys use it" % (sk.refcount, count))
            for link, field in ((sk.flink, "sk.flink"), (sk.blink, "sk.blink")):
                self.cell(link, field, shared=True)
                other = SecurityKey.parse(self.cell(link, field, shared=True), link + BASE_BLOCK_SIZE)
                back = other.blink if field == "sk.flink" else other.flink
                if back != offset:
                    raise self.fail(offset, field, "ring broken: 0x%x does not link back" % link)


def _hint_matches(kind, hint, name):
    """lf: the first four name characters (case-insensitive); lh: the name hash; li: nothing to check."""
    if kind == b"lf":
        return hint.upper() == lf_hint(name).upper()
    if kind == b"lh":
        return hint == lh_hash(name)
    return True
