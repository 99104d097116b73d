"""Tests for cobbler_winpe.bcd.pxe: PXE stores compared element by element with the WDS and setup-media stores."""
import struct

import pytest

from cobbler_winpe.bcd.elements import RAMDISKOPTIONS
from cobbler_winpe.bcd.pxe import build_pxe_store, pxe_store
from cobbler_winpe.bcd.store import read_store
from cobbler_winpe.errors import InputError
from cobbler_winpe.regf.reader import check_hive

from bcd_fixtures import SETUP_MEDIA_BIOS, SETUP_MEDIA_UEFI, WDS_X64, hivex_tree, reference_bytes, regipy_tree

MEDIA_OPTIONS = "{7619dcc8-fafe-11d9-b411-000476eba25f}"
MEDIA_LOADER = "{7619dcc9-fafe-11d9-b411-000476eba25f}"
WDS_OPTIONS = "{68d9e51c-a129-4ee1-9725-2ab00a957daf}"
STAMP = 0x01DB000000000000


def media_like(firmware):
    data = build_pxe_store(firmware, r"\boot\boot.sdi", [("Windows Setup", r"\sources\boot.wim")],
                           locale="en-US", timeout=30, timestamp=STAMP)
    return read_store(data)


def same_elements(ours, theirs, element_ids):
    for element_id in element_ids:
        mine, reference = ours.elements[element_id], theirs.elements[element_id]
        assert (mine.type, mine.data) == (reference.type, reference.data), "element %08x differs" % element_id


@pytest.mark.parametrize("firmware, name", [("bios", SETUP_MEDIA_BIOS), ("uefi", SETUP_MEDIA_UEFI)])
def test_matches_setup_media_elements(firmware, name):
    ours, media = media_like(firmware), read_store(reference_bytes(name))
    loader = ours.get(ours.get("{bootmgr}").get(0x23000003))
    media_loader = media.get(MEDIA_LOADER)
    same_elements(loader, media_loader, [0x12000002, 0x12000004, 0x12000005, 0x22000002, 0x26000010, 0x26000022])
    for device_id in (0x11000001, 0x21000001):   # same device, only the options GUID differs
        assert loader.elements[device_id].data[16:] == media_loader.elements[device_id].data[16:]
        assert loader.get(device_id).options == RAMDISKOPTIONS
    same_elements(ours.get(RAMDISKOPTIONS), media.get(MEDIA_OPTIONS), [0x31000003, 0x32000004])
    same_elements(ours.get("{bootmgr}"), media.get("{bootmgr}"), [0x12000004, 0x12000005])
    assert ours.get("{bootmgr}").get(0x25000004) == media.get("{bootmgr}").get(0x25000004) == 30
    assert ours.get("{bootmgr}").get(0x24000001) == [loader.guid]
    assert media_loader.get(0x12000002).endswith("winload." + ("exe" if firmware == "bios" else "efi"))
    assert ours.get("{bootmgr}").type == media.get("{bootmgr}").type == 0x10100002
    assert loader.type == media_loader.type and ours.get(RAMDISKOPTIONS).type == media.get(MEDIA_OPTIONS).type


def test_matches_wds_tftp_tuning_and_fontpath():
    data = build_pxe_store("uefi", r"\Boot\Boot.SDI", [("PE", r"\x\boot.wim")], tftp_blocksize=1456,
                           tftp_windowsize=4, tftp_varwindow=True, fontpath=r"\boot\fonts", timeout=30,
                           timestamp=STAMP)
    ours, wds = read_store(data), read_store(reference_bytes(WDS_X64))
    same_elements(ours.get(RAMDISKOPTIONS), wds.get(WDS_OPTIONS),
                  [0x31000003, 0x32000004, 0x35000007, 0x35000008, 0x3600000b])
    same_elements(ours.get("{bootmgr}"), wds.get("{bootmgr}"), [0x1200004a, 0x25000004])


def test_no_tuning_elements_unless_asked():
    store = pxe_store("bios", r"\b.sdi", [("PE", r"\b.wim")])
    assert sorted(store.get(RAMDISKOPTIONS).elements) == [0x12000004, 0x31000003, 0x32000004]
    assert sorted(store.get("{bootmgr}").elements) == [0x12000004, 0x23000003, 0x24000001, 0x25000004]


def test_menu_of_several_entries():
    entries = [("One", "/images/one/boot.wim"), ("Two", r"images\two\boot.wim"), ("Three", r"\three.wim")]
    store = pxe_store("uefi", "/images/boot.sdi", entries, default=1, loadoptions="/MININT")
    bootmgr = store.get("{bootmgr}")
    order = bootmgr.get(0x24000001)
    assert len(order) == 3 and bootmgr.get(0x23000003) == order[1] and bootmgr.get(0x25000004) == 30
    loaders = [store.get(guid) for guid in order]
    assert [entry.get(0x12000004) for entry in loaders] == ["One", "Two", "Three"]
    assert [entry.get(0x11000001).descriptor.path for entry in loaders] == \
        [r"\images\one\boot.wim", r"\images\two\boot.wim", r"\three.wim"]
    assert all(entry.get(0x12000030) == "/MININT" for entry in loaders)
    assert all(entry.get(0x12000002) == r"\windows\system32\boot\winload.efi" for entry in loaders)
    assert store.get(RAMDISKOPTIONS).get(0x32000004) == r"\images\boot.sdi"
    assert len(store.objects) == 5


def test_custom_loader_and_single_entry_timeout():
    store = pxe_store("bios", r"\b.sdi", [("PE", r"\b.wim")], loader="/windows/system32/winload.exe")
    loader = store.get(store.get("{bootmgr}").get(0x23000003))
    assert loader.get(0x12000002) == r"\windows\system32\winload.exe"
    assert store.get("{bootmgr}").get(0x25000004) == 0


def test_long_wim_path_round_trips_through_hivex(tmp_path):
    wim = "\\" + "\\".join(["d%02d" % i for i in range(100)]) + "\\boot.wim"
    path = tmp_path / "BCD"
    path.write_bytes(build_pxe_store("bios", r"\boot.sdi", [("Long", wim)], timestamp=STAMP))
    store = read_store(path.read_bytes())
    loader = store.get(store.get("{bootmgr}").get(0x23000003))
    assert loader.get(0x11000001).descriptor.path == wim and len(wim) > 400
    tree = hivex_tree(path)[0]
    key = "\\Objects\\%s\\Elements\\11000001" % loader.guid
    assert tree[key] == [("Element", 3, loader.elements[0x11000001].data)]


def test_deterministic_with_timestamp():
    args = ("bios", r"\b.sdi", [("A", r"\a.wim"), ("B", r"\b.wim")])
    assert build_pxe_store(*args, timestamp=STAMP) == build_pxe_store(*args, timestamp=STAMP)
    assert build_pxe_store(*args, timestamp=STAMP) != build_pxe_store(*args, timestamp=STAMP + 1)
    assert struct.unpack_from("<Q", build_pxe_store(*args, timestamp=STAMP), 12)[0] == STAMP


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_generated_stores_pass_check_and_survive_hivex_commit(firmware, tmp_path):
    data = build_pxe_store(firmware, r"\boot\boot.sdi", [("A", r"\a\boot.wim"), ("B", r"\b\boot.wim")],
                           tftp_blocksize=1456, tftp_windowsize=8, tftp_varwindow=True, timestamp=STAMP)
    check_hive(data)
    path = tmp_path / "BCD"
    path.write_bytes(data)
    tree, handle = hivex_tree(path, write=True)
    committed = tmp_path / "BCD.committed"
    handle.commit(str(committed))
    after = committed.read_bytes()
    assert after[:4] + after[12:] == data[:4] + data[12:]     # only the two sequence numbers move
    assert hivex_tree(committed)[0] == tree
    assert regipy_tree(committed) == regipy_tree(path)
    check_hive(after)


@pytest.mark.parametrize("kwargs, field", [
    (dict(firmware="arm"), "firmware"),
    (dict(entries=[]), "entries"),
    (dict(default=1), "default"),
    (dict(default=-1), "default"),
    (dict(timeout=-5), "timeout"),
    (dict(tftp_blocksize=100), "block size"),
    (dict(tftp_blocksize=70000), "block size"),
    (dict(tftp_windowsize=0), "window size"),
    (dict(entries=[("", r"\a.wim")]), "title"),
    (dict(entries=[("A", "")]), "WIM path"),
    (dict(sdi_path="\\"), "SDI path"),
])
def test_bad_arguments_are_input_errors(kwargs, field):
    args = dict(firmware="bios", sdi_path=r"\b.sdi", entries=[("A", r"\a.wim")])
    args.update(kwargs)
    with pytest.raises(InputError, match=field):
        build_pxe_store(**args)
