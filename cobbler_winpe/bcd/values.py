"""Encode and decode BCD element values by format: device, string, object, object list, integer(s), boolean."""
import struct

from cobbler_winpe.bcd.device import Device
from cobbler_winpe.bcd.elements import (
    FORMAT_BOOLEAN, FORMAT_DEVICE, FORMAT_INTEGER, FORMAT_INTEGER_LIST, FORMAT_OBJECT, FORMAT_OBJECT_LIST,
    FORMAT_STRING, canonical_guid, element_format)
from cobbler_winpe.errors import InputError, MediaError
from cobbler_winpe.regf.tree import REG_BINARY, REG_MULTI_SZ, REG_SZ

MAX_STRING = 8000


def _bad(element_id, why):
    return MediaError("BCD element %08x" % element_id, why, "the store is damaged; rewrite the element")


def _wrong(element_id, value, want):
    return InputError("BCD element %08x" % element_id, "%r is not %s" % (value, want), "pass %s" % want)


def _utf16(element_id, data):
    if len(data) % 2:
        raise _bad(element_id, "string data has odd length %d" % len(data))
    return data.decode("utf-16-le", "surrogatepass")


def _guid(element_id, text):
    guid = canonical_guid(text) if isinstance(text, str) else None
    if guid is None:
        raise _wrong(element_id, text, "a GUID like {9dea862c-5cdd-4e70-acc1-f32b344d4795} or an alias")
    return guid


def _check_text(element_id, value):
    if not isinstance(value, str) or "\0" in value or len(value) > MAX_STRING:
        raise _wrong(element_id, value, "text without NUL of at most %d characters" % MAX_STRING)
    return value


def _integer(element_id, value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** 64:
        raise _wrong(element_id, value, "an integer from 0 to 2**64-1")
    return struct.pack("<Q", value)


def encode_value(element_id, value):
    """(registry type, bytes) of ``value`` for the element's format; InputError when it does not fit."""
    fmt = element_format(element_id)
    if fmt == FORMAT_DEVICE:
        if not isinstance(value, Device):
            raise _wrong(element_id, value, "a Device")
        return REG_BINARY, value.record()
    if fmt == FORMAT_STRING:
        return REG_SZ, (_check_text(element_id, value) + "\0").encode("utf-16-le", "surrogatepass")
    if fmt == FORMAT_OBJECT:
        return REG_SZ, (_guid(element_id, value) + "\0").encode("utf-16-le")
    if fmt == FORMAT_OBJECT_LIST:
        text = "".join(_guid(element_id, guid) + "\0" for guid in value) + "\0"
        return REG_MULTI_SZ, text.encode("utf-16-le")
    if fmt == FORMAT_INTEGER:
        return REG_BINARY, _integer(element_id, value)
    if fmt == FORMAT_BOOLEAN:
        if not isinstance(value, bool):
            raise _wrong(element_id, value, "True or False")
        return REG_BINARY, bytes([value])
    if fmt == FORMAT_INTEGER_LIST:
        return REG_BINARY, b"".join(_integer(element_id, item) for item in value)
    raise _wrong(element_id, value, "a value of a known element format (1-7)")


def decode_value(element_id, data):
    """The Python value of element data: Device, str, '{guid}', [guids], int, bool or [ints]."""
    fmt = element_format(element_id)
    if fmt == FORMAT_DEVICE:
        return Device.parse(data)
    if fmt in (FORMAT_STRING, FORMAT_OBJECT):
        text = _utf16(element_id, data)
        return text[:-1] if text.endswith("\0") else text
    if fmt == FORMAT_OBJECT_LIST:
        return [item for item in _utf16(element_id, data).split("\0") if item]
    if fmt == FORMAT_INTEGER:
        if not 1 <= len(data) <= 8:
            raise _bad(element_id, "integer of %d bytes (1 to 8 expected)" % len(data))
        return int.from_bytes(data, "little")     # setup media store 1-3 byte integers
    if fmt == FORMAT_BOOLEAN:
        if not 1 <= len(data) <= 8:
            raise _bad(element_id, "boolean of %d bytes" % len(data))
        return any(data)
    if fmt == FORMAT_INTEGER_LIST:
        if len(data) % 8:
            raise _bad(element_id, "integer list of %d bytes (not a multiple of 8)" % len(data))
        return [value for (value,) in struct.iter_unpack("<Q", data)]
    raise _bad(element_id, "unknown element format %d" % fmt)


def json_value(value):
    """A JSON-able form of a decoded value (devices become dicts)."""
    if isinstance(value, Device):
        return value.to_dict()
    return value
