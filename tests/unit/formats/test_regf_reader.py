"""Tests for cobbler_winpe.regf.reader: reference hives pass, every broken rule and hostile input is a MediaError."""
import random
import struct
import time

import pytest

from cobbler_winpe.errors import MediaError
from cobbler_winpe.regf.reader import check_hive, read_hive
from cobbler_winpe.regf.records import checksum
from cobbler_winpe.regf.tree import REG_BINARY, REG_SZ, Key, Value
from cobbler_winpe.regf.writer import write_hive

from bcd_fixtures import all_references, hivex_tree, reference_bytes

ROOT = 0x1020          # file offset of the root nk cell
NK = ROOT + 4          # start of the root nk record


def sample():
    root = Key("Root")
    for name in ("alpha", "Beta", "gamma"):
        child = root.add(name, [Value("Element", REG_SZ, (name * 3 + "\0").encode("utf-16-le"))])
        child.add("leaf", [Value("x", REG_BINARY, b"\x01")])
    return write_hive(root, timestamp=0)


def patch(data, offset, fmt, *values, fix_checksum=True):
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, *values)
    if fix_checksum:
        struct.pack_into("<I", out, 0x1FC, checksum(out))
    return bytes(out)


def root_field(data, offset):
    return struct.unpack_from("<I", data, NK + offset)[0]


def lf_offset(data):
    return 0x1000 + root_field(data, 28) + 4


@pytest.mark.parametrize("name", all_references())
def test_every_reference_store_passes_the_check(name):
    data = reference_bytes(name)
    root = check_hive(data)
    assert root.subkey("Objects") is not None and root.subkey("Description") is not None


@pytest.mark.parametrize("name", all_references())
def test_reader_agrees_with_hivex(name, tmp_path):
    path = tmp_path / "hive"
    path.write_bytes(reference_bytes(name))
    ours = {}
    root = read_hive(path.read_bytes())
    for where, key in root.walk():
        rel = where[len(root.name):]
        ours[rel] = sorted((v.name, v.type, v.data) for v in key.values)
    assert ours == hivex_tree(path)[0]


def test_generated_sample_passes():
    root = check_hive(sample())
    assert [k.name for k in root.subkeys] == ["alpha", "Beta", "gamma"]
    assert root.subkeys[1].values[0].data == "BetaBetaBeta\0".encode("utf-16-le")


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d[:4095], "base block"),
    (lambda d: b"regX" + d[4:], "signature"),
    (lambda d: patch(d, 0x28, "<I", 0x7FFFF000), "hive bins data size"),
    (lambda d: patch(d, 0x28, "<I", 0x1234), "hive bins data size"),
    (lambda d: d[:0x1800], "hive bins data size"),
    (lambda d: patch(d, 0x14, "<I", 2), "version"),
    (lambda d: patch(d, 0x1000, "<4s", b"hbxx"), "hbin.signature"),
    (lambda d: patch(d, 0x1008, "<I", 0x100000), "hbin.size"),
    (lambda d: patch(d, ROOT, "<i", -0x7FFFFFF8), "cell size"),
    (lambda d: patch(d, ROOT, "<i", -13), "cell size"),
    (lambda d: patch(d, 0x24, "<I", 0x24), "nk"),
    (lambda d: patch(d, NK, "<2s", b"xx"), "nk.signature"),
    (lambda d: patch(d, NK + 20, "<I", 0xFFFF), "count"),
    (lambda d: patch(d, NK + 36, "<I", 0x7FFFFFFF), "nk.value_list"),
    (lambda d: patch(d, NK + 72, "<H", 0xFFFF), "nk.name_length"),
    (lambda d: patch(d, lf_offset(d) + 4, "<I", 0x20), "referenced twice"),
    (lambda d: patch(d, lf_offset(d) + 4, "<I", 0x30000), "nk"),
])
def test_hostile_hives_fail_with_media_error(mutate, field):
    data = mutate(sample())
    for reader in (read_hive, check_hive):
        with pytest.raises(MediaError) as caught:
            reader(data)
        assert field in str(caught.value)
        assert "hive offset 0x" in str(caught.value)


def test_absurd_value_size():
    data = sample()
    vk = data.index(b"vk\x07\x00")
    for size in (0x7FFFFFF0, 0x80000009):
        with pytest.raises(MediaError, match="vk.data_size"):
            read_hive(patch(data, vk + 4, "<I", size))


def test_value_count_beyond_the_list_cell():
    data = sample()
    child = 0x1000 + struct.unpack_from("<I", data, lf_offset(data) + 4)[0] + 4
    with pytest.raises(MediaError, match="nk.value_count"):
        read_hive(patch(data, child + 36, "<I", 5000))


def test_loop_through_a_child_subkey_list():
    data = sample()
    first_child = struct.unpack_from("<I", data, lf_offset(data) + 4)[0]
    child_nk = 0x1000 + first_child + 4
    child_list = struct.unpack_from("<I", data, child_nk + 28)[0]
    looped = patch(data, 0x1000 + child_list + 4 + 4, "<I", 0x20)
    with pytest.raises(MediaError, match="referenced twice"):
        read_hive(looped)


@pytest.mark.parametrize("mutate, field", [
    (lambda d: patch(d, 0x1FC, "<I", 0x1234, fix_checksum=False), "checksum"),
    (lambda d: patch(d, 0x8, "<I", 9), "sequence numbers"),
    (lambda d: patch(d, 0x2C, "<I", 0), "clustering factor"),
    (lambda d: patch(d, 0x18, "<I", 6), "minor/type/format"),
    (lambda d: _swap_first_two(d), "order"),
    (lambda d: patch(d, lf_offset(d) + 8, "<4s", b"zzzz"), "lf hint"),
    (lambda d: patch(d, NK + 52, "<I", 2), "max_subkey_name_length"),
    (lambda d: _child_parent(d, 0x1234), "nk.parent"),
    (lambda d: patch(d, d.index(b"sk\0\0") + 12, "<I", 3), "sk.refcount"),
])
def test_structural_faults_found_by_check_only(mutate, field):
    data = mutate(sample())
    with pytest.raises(MediaError, match=field.replace(".", r"\.")):
        check_hive(data)
    read_hive(data)


def _swap_first_two(data):
    pos = lf_offset(data) + 4
    first, second = data[pos:pos + 8], data[pos + 8:pos + 16]
    return data[:pos] + second + first + data[pos + 16:]


def _child_parent(data, value):
    child = struct.unpack_from("<I", data, lf_offset(data) + 4)[0]
    return patch(data, 0x1000 + child + 4 + 16, "<I", value)


def test_random_damage_is_media_error_or_readable_and_fast():
    original = sample()
    rng = random.Random(4)
    start = time.monotonic()
    for _ in range(3000):
        data = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(0x1000, len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[:rng.randrange(len(data))]
        for reader in (read_hive, check_hive):
            try:
                reader(bytes(data))
            except MediaError:
                pass
    assert time.monotonic() - start < 20


def test_oversized_file_rejected_without_parsing():
    with pytest.raises(MediaError, match="file size"):
        read_hive(b"regf" + bytes(64 * 1024 * 1024))
