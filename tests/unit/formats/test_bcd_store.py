"""Tests for cobbler_winpe.bcd.store and values: reference stores through the model, dumps, value encodings."""
import json
import random
import re

import pytest

from cobbler_winpe.bcd.device import boot_device
from cobbler_winpe.bcd.store import BcdObject, Element, Store, dump_store, format_dump, read_store
from cobbler_winpe.bcd.values import decode_value, encode_value
from cobbler_winpe.errors import InputError, MediaError
from cobbler_winpe.regf.reader import check_hive, read_hive
from cobbler_winpe.regf.tree import REG_BINARY, REG_MULTI_SZ, REG_SZ, Key, flatten
from cobbler_winpe.regf.writer import write_hive

from bcd_fixtures import (REFERENCE_DIR, SETUP_MEDIA_BIOS, all_references, hivex_tree, reference_bytes,
                          regipy_tree)

LINE = re.compile(r"^  ([0-9a-f]{8}) (\S+)\s+REG(\d+)\s+len=(\d+)")


def bcddump_elements(name):
    """{(guid, element id): (name, regtype, length)} from the .bcddump.txt written beside a reference."""
    result, guid = {}, None
    for line in (REFERENCE_DIR / (name + ".bcddump.txt")).read_text().splitlines():
        if line.startswith("Object "):
            guid = line.split()[1]
        match = LINE.match(line)
        if match:
            result[(guid, match.group(1))] = (match.group(2), int(match.group(3)), int(match.group(4)))
    return result


@pytest.mark.parametrize("name", all_references())
def test_store_rebuilt_from_model_reads_back_identical(name, tmp_path):
    original = tmp_path / "original"
    original.write_bytes(reference_bytes(name))
    rebuilt = tmp_path / "rebuilt"
    rebuilt.write_bytes(read_store(original.read_bytes()).record(timestamp=0))
    check_hive(rebuilt.read_bytes())
    assert flatten(read_hive(rebuilt.read_bytes())) == flatten(read_hive(original.read_bytes()))
    assert hivex_tree(rebuilt)[0] == hivex_tree(original)[0]
    assert regipy_tree(rebuilt) == regipy_tree(original)


@pytest.mark.parametrize("name", all_references())
def test_dump_agrees_with_the_hivex_listing(name):
    dump = dump_store(read_store(reference_bytes(name)))
    json.dumps(dump)
    ours = {}
    for obj in dump["objects"]:
        for element in obj["elements"]:
            assert "error" not in element
            ours[(obj["guid"], element["id"])] = element
    listed = bcddump_elements(name)
    assert set(ours) == set(listed)
    for key, (listed_name, regtype, _) in listed.items():
        assert ours[key]["regtype"] == regtype
        if listed_name != "?":
            assert ours[key]["name"] == listed_name
    assert format_dump(dump).count("\n  ") == len(listed)


def test_setup_media_values_decode():
    store = read_store(reference_bytes(SETUP_MEDIA_BIOS))
    bootmgr = store.get("{bootmgr}")
    assert bootmgr.get(0x25000004) == 30                      # a 1-byte integer on the media
    assert store.get("{dbgsettings}").get(0x15000014) == 115200  # a 3-byte integer
    assert bootmgr.get(0x24000001) == ["{7619dcc9-fafe-11d9-b411-000476eba25f}"]
    loader = store.get("{7619dcc9-fafe-11d9-b411-000476eba25f}")
    assert loader.get(0x12000002) == "\\windows\\system32\\boot\\winload.exe"
    assert loader.get(0x26000022) is True and loader.get(0x260000b0) is False
    assert loader.get(0x11000001).text() == "ramdisk=[boot]\\sources\\boot.wim,{7619dcc8-fafe-11d9-b411-000476eba25f}"


@pytest.mark.parametrize("element_id, value, regtype, data", [
    (0x12000004, "Windows", REG_SZ, "Windows\0".encode("utf-16-le")),
    (0x23000003, "{BOOTMGR}", REG_SZ, "{9dea862c-5cdd-4e70-acc1-f32b344d4795}\0".encode("utf-16-le")),
    (0x24000001, ["{ramdiskoptions}", "{9DEA862C-5CDD-4E70-ACC1-F32B344D4795}"], REG_MULTI_SZ,
     "{ae5534e0-a924-466c-b836-758539a3ee3a}\0{9dea862c-5cdd-4e70-acc1-f32b344d4795}\0\0".encode("utf-16-le")),
    (0x25000004, 30, REG_BINARY, bytes([30]) + bytes(7)),
    (0x26000022, True, REG_BINARY, b"\x01"),
    (0x17000077, [1, 2], REG_BINARY, bytes([1]) + bytes(7) + bytes([2]) + bytes(7)),
    (0x31000003, boot_device(), REG_BINARY, boot_device().record()),
])
def test_value_encodings(element_id, value, regtype, data):
    assert encode_value(element_id, value) == (regtype, data)
    assert encode_value(element_id, decode_value(element_id, data)) == (regtype, data)


def test_object_list_lengths_match_bcdedit():
    assert len(encode_value(0x24000001, ["{bootmgr}"])[1]) == 80
    assert len(encode_value(0x24000001, ["{bootmgr}", "{memdiag}"])[1]) == 158
    assert len(encode_value(0x23000003, "{bootmgr}")[1]) == 78


@pytest.mark.parametrize("element_id, value", [
    (0x25000004, -1), (0x25000004, 2 ** 64), (0x25000004, True), (0x26000022, 1), (0x12000004, "a\0b"),
    (0x23000003, "not a guid"), (0x11000001, "boot"), (0x24000001, ["{x}"]),
])
def test_bad_values_are_input_errors(element_id, value):
    with pytest.raises(InputError):
        encode_value(element_id, value)


@pytest.mark.parametrize("element_id, data", [
    (0x25000004, b""), (0x25000004, bytes(9)), (0x12000004, b"abc"), (0x17000077, bytes(7)),
    (0x26000022, b""),
])
def test_bad_data_are_media_errors(element_id, data):
    with pytest.raises(MediaError):
        decode_value(element_id, data)


def test_undecodable_element_is_shown_not_raised():
    obj = BcdObject("{bootmgr}", 0x10100002, [Element(0x25000004, REG_BINARY, bytes(9))])
    dump = dump_store(Store(objects=[obj]))
    element = dump["objects"][0]["elements"][0]
    assert element["value"] is None and element["raw"] == "00" * 9 and "25000004" in element["error"]


@pytest.mark.parametrize("root", [
    Key("r"),
    Key("r", subkeys=[Key("Objects", subkeys=[Key("not-a-guid")])]),
    Key("r", subkeys=[Key("Objects", subkeys=[Key("{9dea862c-5cdd-4e70-acc1-f32b344d4795}")])]),
])
def test_stores_missing_bcd_parts_are_media_errors(root):
    with pytest.raises(MediaError):
        read_store(write_hive(root, timestamp=0))


def test_duplicate_objects_rejected():
    with pytest.raises(InputError):
        Store(objects=[BcdObject("{bootmgr}", 1), BcdObject("{9DEA862C-5CDD-4E70-ACC1-F32B344D4795}", 1)])


def test_random_damage_reads_or_fails_cleanly():
    original = reference_bytes(SETUP_MEDIA_BIOS)
    rng = random.Random(7)
    for _ in range(1500):
        data = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(0x1000, 0x2000)] = rng.randrange(256)
        try:
            json.dumps(dump_store(read_store(bytes(data))))
        except MediaError:
            pass
