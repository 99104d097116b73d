"""Tests for cobbler_winpe.bcd.device: byte-exact boot/partition/ramdisk elements, any path length, safe parsing."""
import struct

import pytest

from cobbler_winpe.bcd.device import (
    Device, LocalFileDescriptor, PartitionDescriptor, RawDescriptor, boot_device, ramdisk_device)
from cobbler_winpe.bcd.elements import RAMDISKOPTIONS
from cobbler_winpe.errors import InputError, MediaError
from cobbler_winpe.regf.reader import read_hive

from bcd_fixtures import SETUP_MEDIA_BIOS, SETUP_MEDIA_UEFI, all_references, reference_bytes

MEDIA_OPTIONS = "{7619dcc8-fafe-11d9-b411-000476eba25f}"
MEDIA_LOADER = "{7619dcc9-fafe-11d9-b411-000476eba25f}"


def element(store, guid, element_id):
    key = read_hive(store).subkey("Objects").subkey(guid).subkey("Elements").subkey(element_id)
    return key.value("Element").data


@pytest.mark.parametrize("name", [SETUP_MEDIA_BIOS, SETUP_MEDIA_UEFI])
@pytest.mark.parametrize("element_id", ["11000001", "21000001"])
def test_ramdisk_device_equals_setup_media_bytes(name, element_id):
    expected = element(reference_bytes(name), MEDIA_LOADER, element_id)
    assert ramdisk_device(r"\sources\boot.wim", MEDIA_OPTIONS).record() == expected
    assert len(expected) == 176


def test_boot_device_equals_setup_media_sdi_device():
    expected = element(reference_bytes(SETUP_MEDIA_BIOS), MEDIA_OPTIONS, "31000003")
    assert boot_device().record() == expected
    assert boot_device().record() == bytes(16) + struct.pack("<IIII", 5, 0, 0x48, 0) + bytes(56)


def test_ramdisk_with_ramdiskoptions_equals_bcdedit_bytes():
    store = read_hive(reference_bytes("pybcd/BCDTest"))
    found = []
    for _, key in store.walk():
        value = key.value("Element")
        if value and value.data[:16] == ramdisk_device("\\x").record()[:16]:
            found.append(value.data)
    assert found and ramdisk_device(r"\boot\boot.wim").record() in found
    assert len(ramdisk_device(r"\boot\boot.wim").record()) == 170


@pytest.mark.parametrize("length", range(1, 401))
def test_ramdisk_path_lengths_round_trip(length):
    path = ("\\" + "abcdefghij" * 40)[:length]
    raw = ramdisk_device(path).record()
    n = 2 * length + 2
    assert len(raw) == 140 + n
    assert struct.unpack_from("<I", raw, 0x18)[0] == 124 + n          # descriptor Size, plain u32 LE
    assert struct.unpack_from("<I", raw, 0x3C)[0] == 84 + n           # file path Length, plain u32 LE
    parsed = Device.parse(raw)
    assert parsed.descriptor.kind == "ramdisk" and parsed.descriptor.path == path
    assert parsed.options == RAMDISKOPTIONS and parsed.record() == raw


@pytest.mark.parametrize("name", all_references())
def test_every_reference_device_parses_and_records_identically(name):
    kinds = set()
    for _, key in read_hive(reference_bytes(name)).walk():
        value = key.value("Element")
        if value is not None and key.name[1] == "1":
            device = Device.parse(value.data)
            assert device.record() == value.data
            assert device.text() and device.to_dict()["text"] == device.text()
            kinds.add(device.descriptor.kind)
    assert kinds <= {"boot", "partition", "ramdisk", "file", "locate"}


def test_partition_styles_round_trip():
    gpt = Device(PartitionDescriptor("gpt", "{22ab2dc2-c9a4-4b72-8042-cd9a1365c79b}",
                                     "{67b32047-befa-4b22-906c-207b4b651b93}"))
    mbr = Device(PartitionDescriptor("mbr", 0x100000, 0x36234DA4))
    for device in (gpt, mbr):
        raw = device.record()
        assert len(raw) == 88 and Device.parse(raw).text() == device.text()
    assert "offset=0x100000" in mbr.text() and "signature=0x36234da4" in mbr.text()


def test_ramdisk_on_a_partition_text():
    inner = PartitionDescriptor("mbr", 0x100000, 1)
    device = Device(LocalFileDescriptor(3, inner, r"\Recovery\Winre.wim"), RAMDISKOPTIONS)
    parsed = Device.parse(device.record())
    assert parsed.text() == r"ramdisk=[partition=mbr:offset=0x100000,signature=0x00000001]\Recovery\Winre.wim," \
                            "{ramdiskoptions}"


def test_unknown_descriptor_kept_raw():
    raw = bytes(16) + struct.pack("<IIII", 9, 0, 20, 0) + b"\x01\x02\x03\x04"
    device = Device.parse(raw)
    assert isinstance(device.descriptor, RawDescriptor) and device.record() == raw
    assert device.descriptor.kind == "type9"


@pytest.mark.parametrize("raw", [
    b"", bytes(20),
    bytes(16) + struct.pack("<IIII", 5, 0, 0x4000, 0),
    bytes(16) + struct.pack("<IIII", 5, 0, 8, 0),
    ramdisk_device("\\a").record()[:-2],
])
def test_damaged_device_headers_are_media_errors(raw):
    with pytest.raises(MediaError, match="BCD device element"):
        Device.parse(raw)


@pytest.mark.parametrize("raw", [
    bytes(16) + struct.pack("<IIII", 0, 1, 40, 0) + struct.pack("<I", 3) + bytes(20),
    bytes(16) + struct.pack("<IIII", 0, 0, 24, 0) + struct.pack("<II", 6, 0),
])
def test_undecodable_bodies_are_kept_raw(raw):
    device = Device.parse(raw)
    assert isinstance(device.descriptor, RawDescriptor) and device.record() == raw


@pytest.mark.parametrize("path", ["", "a\0b", "\\" + "x" * 5000])
def test_bad_ramdisk_paths_are_input_errors(path):
    with pytest.raises(InputError):
        ramdisk_device(path)


def test_bad_options_guid_is_input_error():
    with pytest.raises(InputError):
        ramdisk_device("\\a", "{not-a-guid}")
