"""Tests for cobbler_winpe.regf.writer: layout rules, determinism, and agreement with hivex and regipy."""
import struct

import pytest

from cobbler_winpe.errors import InputError
from cobbler_winpe.regf.reader import check_hive, read_hive
from cobbler_winpe.regf.records import DEFAULT_SECURITY, checksum
from cobbler_winpe.regf.tree import REG_BINARY, REG_DWORD, REG_SZ, Key, Value, flatten
from cobbler_winpe.regf.writer import write_hive

from bcd_fixtures import all_references, hivex_tree, reference_bytes, regipy_tree


def sample_tree():
    root = Key("NewStoreRoot")
    root.add("Description", [Value("KeyName", REG_SZ, "BCD00000000\0".encode("utf-16-le"))])
    objects = root.add("Objects")
    for name in ("{b}", "{A}", "{c}"):
        obj = objects.add(name)
        obj.add("Description", [Value("Type", REG_DWORD, struct.pack("<I", 0x10200003))])
        elements = obj.add("Elements")
        elements.add("26000010", [Value("Element", REG_BINARY, b"\x01")])
        elements.add("12000004", [Value("Element", REG_SZ, ("entry " + name + "\0").encode("utf-16-le"))])
    return root


def cells(data):
    """(offset, signed size) of every cell in every bin, offsets relative to 0x1000."""
    result, pos = [], 0
    length = struct.unpack_from("<I", data, 0x28)[0]
    while pos < length:
        size = struct.unpack_from("<I", data, 0x1000 + pos + 8)[0]
        cell = pos + 32
        while cell < pos + size:
            value = struct.unpack_from("<i", data, 0x1000 + cell)[0]
            result.append((cell, value))
            cell += abs(value)
        pos += size
    return result


def test_base_block_fields():
    data = write_hive(sample_tree(), timestamp=0x01D9000000000000, sequence=7)
    signature, seq1, seq2, stamp, major, minor, ftype, fformat, root, length, cluster = \
        struct.unpack_from("<4sIIQIIIIIII", data)
    assert (signature, seq1, seq2, stamp) == (b"regf", 7, 7, 0x01D9000000000000)
    assert (major, minor, ftype, fformat, root, cluster) == (1, 3, 0, 1, 0x20, 1)
    assert length == len(data) - 0x1000 and length % 0x1000 == 0
    assert struct.unpack_from("<I", data, 0x1FC)[0] == checksum(data)
    assert data[0x200:0x1000] == bytes(0xE00)
    assert data[0x1000:0x1004] == b"hbin" and struct.unpack_from("<Q", data, 0x1014)[0] == 0x01D9000000000000


def test_checksum_fixups():
    block = bytearray(512)
    assert checksum(block) == 1
    struct.pack_into("<I", block, 0, 0xFFFFFFFF)
    assert checksum(block) == 0xFFFFFFFE
    struct.pack_into("<I", block, 4, 0x0000FFFF)
    assert checksum(block) == 0xFFFF0000


def test_cells_aligned_and_bins_end_in_one_free_cell():
    data = write_hive(sample_tree(), timestamp=0)
    found = cells(data)
    assert all(abs(size) % 8 == 0 for _, size in found)
    assert found[0] == (0x20, -(((4 + 76 + len("NewStoreRoot")) + 7) // 8 * 8))
    assert found[-1][1] > 0 and found[-1][0] + found[-1][1] == len(data) - 0x1000
    assert sum(1 for _, size in found if size > 0) == 1


def test_root_and_key_flags_parent_and_security():
    data = write_hive(sample_tree(), timestamp=0)
    root_flags, = struct.unpack_from("<H", data, 0x1000 + 0x20 + 4 + 2)
    root_parent, = struct.unpack_from("<I", data, 0x1000 + 0x20 + 4 + 16)
    assert root_flags == 0x2C and root_parent == 0xFFFFFFFF
    sk = data.index(b"sk\0\0", 0x1000)
    flink, blink, refcount, length = struct.unpack_from("<IIII", data, sk + 4)
    assert flink == blink == sk - 4 - 0x1000
    assert refcount == sum(1 for _ in sample_tree().walk()) == 3 + 3 * 5
    assert data[sk + 20:sk + 20 + length] == DEFAULT_SECURITY


def test_inline_and_cell_data():
    root = Key("r", [Value("small", REG_BINARY, b"\x01\x02\x03"), Value("four", REG_DWORD, b"\x04\0\0\0"),
                     Value("big", REG_BINARY, bytes(range(200))), Value("empty", REG_SZ, b"")])
    data = write_hive(root, timestamp=0)
    vk = data.index(b"vk\x05\x00")
    size, offset = struct.unpack_from("<II", data, vk + 4)
    assert size == 0x80000003 and offset == 0x030201
    empty = data.index(b"empty") - 20
    assert struct.unpack_from("<II", data, empty + 4) == (0, 0xFFFFFFFF)
    assert read_hive(data).values == root.values


def test_subkeys_sorted_by_uppercase_name_with_lf_hints():
    root = Key("r", subkeys=[Key("cb"), Key("b"), Key("A"), Key("Ca"), Key("_x")])
    data = write_hive(root, timestamp=0)
    assert [k.name for k in check_hive(data).subkeys] == ["A", "b", "Ca", "cb", "_x"]
    lf = data.index(b"lf\x05\x00")
    assert [data[lf + 8 + 8 * i:lf + 12 + 8 * i] for i in range(5)] == [b"A\0\0\0", b"b\0\0\0", b"Ca\0\0",
                                                                      b"cb\0\0", b"_x\0\0"]


def test_max_length_fields():
    data = write_hive(sample_tree(), timestamp=0)
    root = struct.unpack_from("<IIII", data, 0x1000 + 0x20 + 4 + 52)
    assert root == (len("Description") * 2, 0, 0, 0)


def test_deterministic_with_injected_timestamp():
    assert write_hive(sample_tree(), timestamp=12345) == write_hive(sample_tree(), timestamp=12345)
    assert write_hive(sample_tree(), timestamp=1) != write_hive(sample_tree(), timestamp=2)


def test_large_cell_gets_its_own_bin():
    root = Key("r", [Value("v%d" % i, REG_BINARY, bytes([i]) * 9000) for i in range(3)])
    data = write_hive(root, timestamp=0)
    assert check_hive(data).values == root.values
    sizes = [struct.unpack_from("<I", data, 0x1000 + off + 8)[0] for off in range(0, len(data) - 0x1000, 0x1000)
             if data[0x1000 + off:0x1004 + off] == b"hbin"]
    assert sizes[0] == 0x1000 and all(size == 0x3000 for size in sizes[1:]) and len(sizes) == 4


@pytest.mark.parametrize("root, why", [
    (Key("r", subkeys=[Key("a"), Key("A")]), "both called"),
    (Key("r", subkeys=[Key("a\\b")]), "backslash"),
    (Key("r", subkeys=[Key("")]), "empty"),
    (Key("r", [Value("v", REG_BINARY, bytes(16345))]), "over 16344"),
    (Key("r", [Value("v", 1, b""), Value("V", 1, b"")]), "both called"),
    (Key("r", [Value("v" * 16384, 1, b"")]), "at most 16383"),
])
def test_rejects_bad_trees(root, why):
    with pytest.raises(InputError, match=why):
        write_hive(root, timestamp=0)


@pytest.mark.parametrize("name", all_references())
def test_rewritten_reference_reads_back_identical_in_hivex_and_regipy(name, tmp_path):
    original = tmp_path / "original"
    original.write_bytes(reference_bytes(name))
    rebuilt = tmp_path / "rebuilt"
    rebuilt.write_bytes(write_hive(read_hive(original.read_bytes()), timestamp=0))
    check_hive(rebuilt.read_bytes())
    assert hivex_tree(rebuilt)[0] == hivex_tree(original)[0]
    assert regipy_tree(rebuilt) == regipy_tree(original)
    assert flatten(read_hive(rebuilt.read_bytes())) == flatten(read_hive(original.read_bytes()))


def test_hivex_commits_generated_hive_unchanged(tmp_path):
    path = tmp_path / "hive"
    data = write_hive(sample_tree(), timestamp=0)
    path.write_bytes(data)
    tree, handle = hivex_tree(path, write=True)
    committed = tmp_path / "committed"
    handle.commit(str(committed))
    after = committed.read_bytes()
    # hivex bumps both sequence numbers (1 -> 2); every other byte, the checksum included, is unchanged.
    assert struct.unpack_from("<II", after, 4) == (2, 2)
    assert after[:4] + after[12:] == data[:4] + data[12:]
    check_hive(after)
    assert hivex_tree(committed)[0] == tree
