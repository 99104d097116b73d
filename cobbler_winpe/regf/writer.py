"""Write a registry hive (regf 1.3, lf lists, one shared security cell) from a Key tree, deterministically."""
import struct

from cobbler_winpe.errors import InputError
from cobbler_winpe.regf.records import (
    BIN_ALIGN, HBIN_HEADER_SIZE, KEY_COMP_NAME, KEY_HIVE_ENTRY, KEY_NO_DELETE, MAX_CELL_DATA, NIL,
    BaseBlock, BinHeader, KeyNode, SecurityKey, SubkeyList, ValueKey, filetime, record_value_list)
from cobbler_winpe.regf.tree import sort_key

MAX_NAME = 255
MAX_VALUE_NAME = 16383
MAX_DEPTH = 64


def _roundup(value, align):
    return (value + align - 1) // align * align


class _Layout:
    """Cell allocator over 4 KiB hive bins; records are rendered once every offset is known."""

    def __init__(self):
        self.bins = []          # [offset, size, end of used space]
        self.cells = []         # (offset, cell size)
        self.records = {}       # offset -> record object (with record()) or bytes

    def alloc(self, payload_length):
        size = _roundup(4 + payload_length, 8)
        if not self.bins or self.bins[-1][2] + size > self.bins[-1][0] + self.bins[-1][1]:
            start = self.bins[-1][0] + self.bins[-1][1] if self.bins else 0
            bin_size = max(BIN_ALIGN, _roundup(size + HBIN_HEADER_SIZE, BIN_ALIGN))
            self.bins.append([start, bin_size, start + HBIN_HEADER_SIZE])
        offset = self.bins[-1][2]
        self.bins[-1][2] += size
        self.cells.append((offset, size))
        return offset

    def put(self, offset, record):
        """Attach the record (object with record() or bytes) whose cell starts at ``offset``."""
        self.records[offset] = record

    def render(self, timestamp):
        area = bytearray(self.bins[-1][0] + self.bins[-1][1])
        for index, (start, size, used) in enumerate(self.bins):
            area[start:start + HBIN_HEADER_SIZE] = BinHeader(start, size, timestamp if index == 0 else 0).record()
            if used < start + size:
                struct.pack_into("<i", area, used, start + size - used)
        for offset, size in self.cells:
            record = self.records[offset]
            payload = record if isinstance(record, bytes) else record.record()
            struct.pack_into("<i", area, offset, -size)
            area[offset + 4:offset + 4 + len(payload)] = payload
        return bytes(area)


def _check_name(name, where, is_root=False):
    if not isinstance(name, str) or (not name and not is_root):
        raise InputError(where, "key name %r is empty or not text" % (name,), "give every key a name")
    if "\\" in name or len(name) > MAX_NAME:
        raise InputError(where, "key name %r has a backslash or is over %d characters" % (name, MAX_NAME),
                         "use a plain name")


def _sorted_subkeys(key, where):
    ordered = sorted(key.subkeys, key=lambda k: sort_key(k.name))
    for first, second in zip(ordered, ordered[1:]):
        if sort_key(first.name) == sort_key(second.name):
            raise InputError(where, "two subkeys are both called %r (names are case-insensitive)"
                             % second.name, "rename one")
    return ordered


class _Writer:
    def __init__(self, layout, timestamp):
        self.layout, self.timestamp = layout, timestamp
        self.sk_offset = None
        self.key_count = 0

    def place_key(self, key, parent, where, depth=0):
        """Allocate the key's cells (and, under the root, the shared sk); return its nk offset."""
        is_root = parent == NIL
        _check_name(key.name, where, is_root)
        if depth > MAX_DEPTH:
            raise InputError(where, "keys nest deeper than %d levels" % MAX_DEPTH, "flatten the tree")
        flags = KEY_COMP_NAME | (KEY_HIVE_ENTRY | KEY_NO_DELETE if is_root else 0)
        node = KeyNode(key.name, flags, self.timestamp)
        offset = self.layout.alloc(KeyNode.size_for(key.name))
        if self.sk_offset is None:
            self.sk_offset = self.layout.alloc(SecurityKey().size())
        self.key_count += 1
        node.parent, node.security = parent, self.sk_offset
        self.place_values(node, key.values, where)
        self.place_subkeys(node, offset, key, where, depth)
        self.layout.put(offset, node)
        return offset

    def place_values(self, node, values, where):
        if not values:
            return
        names = set()
        node.value_count = len(values)
        node.value_list = self.layout.alloc(4 * len(values))
        offsets = []
        for value in values:
            if value.name.upper() in names:
                raise InputError(where, "two values are both called %r" % value.name, "rename one")
            names.add(value.name.upper())
            offsets.append(self.place_value(value, where))
            node.max_value_name = max(node.max_value_name, 2 * len(value.name))
            node.max_value_data = max(node.max_value_data, len(value.data))
        self.layout.put(node.value_list, record_value_list(offsets))

    def place_value(self, value, where):
        if not isinstance(value.name, str) or len(value.name) > MAX_VALUE_NAME:
            raise InputError("%s value %r" % (where, value.name), "the name is not text of at most %d "
                             "characters" % MAX_VALUE_NAME, "use a shorter name")
        if len(value.data) > MAX_CELL_DATA:
            raise InputError("%s value %r" % (where, value.name), "data is %d bytes, over %d"
                             % (len(value.data), MAX_CELL_DATA), "store smaller values")
        offset = self.layout.alloc(ValueKey.size_for(value.name))
        data_offset = NIL
        if len(value.data) > 4:
            data_offset = self.layout.alloc(len(value.data))
            self.layout.put(data_offset, value.data)
        self.layout.put(offset, ValueKey.new(value.name, value.type, value.data, data_offset))
        return offset

    def place_subkeys(self, node, offset, key, where, depth):
        if not key.subkeys:
            return
        ordered = _sorted_subkeys(key, where)
        node.subkey_count = len(ordered)
        node.subkey_list = self.layout.alloc(SubkeyList.size_for(len(ordered)))
        children = [(self.place_key(child, offset, where + "\\" + child.name, depth + 1), child.name)
                    for child in ordered]
        node.max_name = max(2 * len(child.name) for child in ordered)
        self.layout.put(node.subkey_list, SubkeyList.new(children))


def write_hive(root, timestamp=None, sequence=1):
    """Bytes of a hive holding ``root`` (a regf.tree.Key). ``timestamp``: FILETIME int or datetime; None = now."""
    stamp = filetime(timestamp)
    layout = _Layout()
    writer = _Writer(layout, stamp)
    root_offset = writer.place_key(root, NIL, root.name or "(root)")
    sk_offset = writer.sk_offset
    layout.put(sk_offset, SecurityKey(refcount=writer.key_count, flink=sk_offset, blink=sk_offset))
    area = layout.render(stamp)
    return BaseBlock.new(root_offset, len(area), stamp, sequence).record() + area
