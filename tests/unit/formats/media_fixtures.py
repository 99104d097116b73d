"""Shared helpers for the media/WIM/detect/inspect tests: sample media built once per session, WIM byte surgery."""
import shutil
import struct
import subprocess

import pytest

from cobbler_winpe.sample.media import build_sample_media, preset

_BUILT = {}
_BASE = []


def require_tools():
    for program in ("wimlib-imagex", "genisoimage"):
        if shutil.which(program) is None:
            pytest.skip("%s is not installed (Debian packages wimtools, genisoimage)" % program)


def sample(tmp_path_factory, name, **changes):
    """The SampleMedia for preset ``name`` with ``changes``, built once per test session."""
    require_tools()
    key = name + repr(sorted(changes.items()))
    if key not in _BUILT:
        if not _BASE:
            _BASE.append(tmp_path_factory.mktemp("samples"))
        spec = preset(name, **changes)
        spec = spec.__class__(**dict(spec.__dict__, name="%s-%d" % (name, len(_BUILT))))
        _BUILT[key] = build_sample_media(str(_BASE[0]), spec)
    return _BUILT[key]


@pytest.fixture(scope="session")
def samples(tmp_path_factory):
    """samples(name, **changes) -> SampleMedia (cached for the session)."""
    return lambda name, **changes: sample(tmp_path_factory, name, **changes)


# Offsets of header fields (see cobbler_winpe/wim/header.py).
OFF_HDR_SIZE = 8
OFF_VERSION = 12
OFF_FLAGS = 16
OFF_PART = 40
OFF_TOTAL_PARTS = 42
OFF_IMAGE_COUNT = 44
OFF_XML_RESHDR = 72
OFF_BOOT_IDX = 120


def with_xml(wim_bytes, xml_bytes, flags=0):
    """A copy of a WIM whose XML resource is replaced by ``xml_bytes`` appended at the end."""
    data = bytearray(wim_bytes)
    offset = len(data)
    data += xml_bytes
    size = len(xml_bytes)
    struct.pack_into("<7sBQQ", data, OFF_XML_RESHDR, size.to_bytes(7, "little"), flags, offset, size)
    return bytes(data)


def utf16(text):
    return b"\xff\xfe" + text.encode("utf-16-le")


def wiminfo_xml(path):
    """The XML as wimlib's own wiminfo prints it (an independent reader), as text."""
    out = subprocess.run(["wiminfo", "--xml", path], stdout=subprocess.PIPE, check=True).stdout
    return out.decode("utf-16")
