"""Tests for cobbler_winpe.wim.header: real headers written by wimlib, and every check on a damaged one."""
import io
import struct

import pytest

from cobbler_winpe.errors import MediaError
from cobbler_winpe.wim import header as h
from media_fixtures import (OFF_BOOT_IDX, OFF_FLAGS, OFF_HDR_SIZE, OFF_IMAGE_COUNT, OFF_PART, OFF_TOTAL_PARTS,
                            OFF_VERSION, samples)  # noqa: F401


@pytest.fixture(scope="module")
def boot_wim(samples):
    return open(samples("win10-x64").boot_wims[""], "rb").read()


def test_boot_wim_header_fields(boot_wim):
    hdr = h.parse_header(boot_wim, "boot.wim")
    assert hdr.image_count == 2
    assert hdr.boot_index == 2
    assert hdr.compression == "lzx"
    assert hdr.wim_version == h.WIM_VERSION_DEFAULT
    assert (hdr.part_number, hdr.total_parts) == (1, 1)
    assert not hdr.is_split and not hdr.is_solid and not hdr.has_integrity
    assert not hdr.xml_data.is_compressed and hdr.xml_data.offset + hdr.xml_data.size_in_wim <= len(boot_wim)
    assert not hdr.boot_metadata.is_empty


def test_esd_is_solid_lzms(samples):
    with open(samples("win10-x64").installs[""], "rb") as fp:
        hdr = h.read_header(fp, "install.esd")
    assert hdr.is_solid and hdr.compression == "lzms" and hdr.image_count == 3


def test_swm_first_part(samples):
    with open(samples("server2019").installs[""], "rb") as fp:
        hdr = h.read_header(fp, "install.swm")
    assert hdr.part_number == 1 and hdr.total_parts >= 2 and hdr.is_split


def test_integrity_table_detected(tmp_path, samples):
    import shutil
    import subprocess
    wim = tmp_path / "boot.wim"
    shutil.copy(samples("win10-x64").boot_wims[""], wim)
    subprocess.run(["wimlib-imagex", "optimize", str(wim), "--check"], check=True, stdout=subprocess.DEVNULL)
    assert h.parse_header(wim.read_bytes(), "boot.wim").has_integrity


def _patched(data, offset, fmt, value):
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


@pytest.mark.parametrize("offset,fmt,value,message", [
    (0, "<8s", b"NOTAWIM\0", "bad magic"),
    (0, "<8s", b"WLPWM\0\0\0", "pipable"),
    (OFF_HDR_SIZE, "<I", 200, "header size is invalid"),
    (OFF_VERSION, "<I", 0x12345, "unsupported WIM version"),
    (OFF_PART, "<H", 3, "part number: 3 of 1"),
    (OFF_TOTAL_PARTS, "<H", 0, "part number"),
    (OFF_IMAGE_COUNT, "<I", 0xFFFFFFFF, "image count"),
    (OFF_BOOT_IDX, "<I", 7, "boot index 7"),
    (OFF_FLAGS, "<I", h.FLAG_WRITE_IN_PROGRESS, "write-in-progress"),
])
def test_damaged_header_names_the_field(boot_wim, offset, fmt, value, message):
    with pytest.raises(MediaError) as err:
        h.parse_header(_patched(boot_wim, offset, fmt, value), "boot.wim")
    assert message in str(err.value) and "boot.wim" in str(err.value)


@pytest.mark.parametrize("size", [0, 1, 8, 207])
def test_truncated_header(boot_wim, size):
    with pytest.raises(MediaError, match="truncated WIM header"):
        h.read_header(io.BytesIO(boot_wim[:size]), "boot.wim")


def test_garbage_is_not_a_wim():
    with pytest.raises(MediaError, match="not a WIM"):
        h.parse_header(bytes(range(256)), "x.wim")


def test_resource_header_round_values():
    raw = struct.pack("<7sBQQ", (5000).to_bytes(7, "little"), h.RESHDR_FLAG_COMPRESSED, 4096, 9000)
    res = h.ResourceHeader.parse(raw)
    assert (res.size_in_wim, res.offset, res.uncompressed_size) == (5000, 4096, 9000)
    assert res.is_compressed and not res.is_empty
