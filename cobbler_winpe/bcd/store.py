"""The BCD object model (store, objects, elements) and its mapping to and from a registry hive."""
import struct

from cobbler_winpe.bcd.elements import (
    FORMAT_NAMES, OBJECT_TYPE_NAMES, canonical_guid, element_format, element_name, guid_alias)
from cobbler_winpe.bcd.values import decode_value, encode_value, json_value
from cobbler_winpe.errors import InputError, MediaError
from cobbler_winpe.regf.reader import read_hive
from cobbler_winpe.regf.tree import REG_DWORD, REG_SZ, Key, Value
from cobbler_winpe.regf.writer import write_hive

DEFAULT_ROOT = "NewStoreRoot"


def _damaged(what, why):
    return MediaError(what, why, "the file is not a usable BCD store; rebuild it")


class Element:
    """One element: id, registry type and the data bytes (kept exactly as read)."""

    def __init__(self, element_id, regtype, data):
        self.id, self.type, self.data = element_id, regtype, bytes(data)

    @classmethod
    def new(cls, element_id, value):
        return cls(element_id, *encode_value(element_id, value))

    @classmethod
    def parse(cls, key):
        """From an Elements\\XXXXXXXX key holding an 'Element' value."""
        try:
            element_id = int(key.name, 16)
        except ValueError:
            element_id = -1
        value = key.value("Element")
        if len(key.name) != 8 or element_id < 0 or value is None:
            raise _damaged("BCD element key %r" % key.name, "not 8 hex digits with an 'Element' value")
        return cls(element_id, value.type, value.data)

    @property
    def value(self):
        return decode_value(self.id, self.data)

    def record(self):
        return Key("%08x" % self.id, [Value("Element", self.type, self.data)])


class BcdObject:
    """One object: GUID key name, object type and elements by id; extra Description values kept as read."""

    def __init__(self, guid, object_type, elements=(), extra_values=()):
        self.guid, self.type = guid, object_type
        self.elements = {element.id: element for element in elements}
        self.extra_values = list(extra_values)

    def set(self, element_id, value):
        """Add or replace an element from a Python value; returns self for chaining."""
        self.elements[element_id] = Element.new(element_id, value)
        return self

    def get(self, element_id, default=None):
        element = self.elements.get(element_id)
        return default if element is None else element.value

    @classmethod
    def parse(cls, key):
        if canonical_guid(key.name) is None:
            raise _damaged("BCD object key %r" % key.name, "the name is not a GUID")
        description, elements = key.subkey("Description"), key.subkey("Elements")
        type_value = description.value("Type") if description else None
        if type_value is None or len(type_value.data) != 4:
            raise _damaged("BCD object %s" % key.name, "no 4-byte Description\\Type value")
        extra = [value for value in description.values if value.name.upper() != "TYPE"]
        parsed = [Element.parse(sub) for sub in (elements.subkeys if elements else [])]
        return cls(key.name, struct.unpack("<I", type_value.data)[0], parsed, extra)

    def record(self):
        description = [Value("Type", REG_DWORD, struct.pack("<I", self.type))] + self.extra_values
        key = Key(self.guid)
        key.add("Description", description)
        elements = key.add("Elements")
        elements.subkeys = [self.elements[eid].record() for eid in sorted(self.elements)]
        return key


class Store:
    """A BCD store: the root key name, the root Description values and the objects by GUID."""

    def __init__(self, root_name=DEFAULT_ROOT, description_values=None, objects=()):
        self.root_name = root_name
        self.description_values = description_values if description_values is not None else \
            [Value("KeyName", REG_SZ, "BCD00000000\0".encode("utf-16-le"))]
        self.objects = {}
        for obj in objects:
            self.add(obj)

    def add(self, obj):
        guid = canonical_guid(obj.guid)
        if guid is None or guid in self.objects:
            raise InputError("BCD object %s" % obj.guid, "not a GUID or already in the store",
                             "give each object its own GUID")
        self.objects[guid] = obj
        return obj

    def get(self, guid):
        return self.objects.get(canonical_guid(guid) or "")

    def to_hive(self):
        root = Key(self.root_name)
        root.add("Description", self.description_values)
        objects = root.add("Objects")
        objects.subkeys = [obj.record() for obj in self.objects.values()]
        return root

    def record(self, timestamp=None):
        """Hive bytes of the store (``timestamp``: FILETIME int or datetime; None = now)."""
        return write_hive(self.to_hive(), timestamp)


def read_store(data):
    """The Store in BCD hive bytes; MediaError when the hive or its BCD layout is damaged."""
    root = read_hive(data)
    objects = root.subkey("Objects")
    if objects is None:
        raise _damaged("BCD store", "the root key has no 'Objects' subkey")
    description = root.subkey("Description")
    return Store(root.name, list(description.values) if description else [],
                 [BcdObject.parse(key) for key in objects.subkeys])


def dump_element(element, object_type):
    entry = {"id": "%08x" % element.id, "name": element_name(element.id, object_type),
             "format": FORMAT_NAMES.get(element_format(element.id), "unknown"), "regtype": element.type}
    try:
        entry["value"] = json_value(element.value)
    except MediaError as err:
        entry["value"] = None
        entry["error"] = str(err)
        entry["raw"] = element.data.hex()
    return entry


def dump_store(store):
    """JSON-able dict of a store: root name, Description values, and every object with its elements."""
    return {
        "root": store.root_name,
        "description": [{"name": v.name, "regtype": v.type, "data": v.data.hex()}
                        for v in store.description_values],
        "objects": [{"guid": obj.guid, "alias": guid_alias(obj.guid), "type": "0x%08x" % obj.type,
                     "type_name": OBJECT_TYPE_NAMES.get(obj.type, ""),
                     "elements": [dump_element(obj.elements[eid], obj.type) for eid in sorted(obj.elements)]}
                    for _, obj in sorted(store.objects.items())],
    }


def _text_value(value):
    if isinstance(value, dict):
        return value.get("text", "")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_alias_or(v) for v in value) if all(isinstance(v, str) for v in value) \
            else ", ".join(str(v) for v in value)
    if isinstance(value, str):
        return _alias_or(value)
    return str(value)


def _alias_or(text):
    return guid_alias(text) or text


def format_dump(dump):
    """Human-readable lines of a dump_store() dict (what `cobbler-winpe bcd dump` prints)."""
    lines = ["root key: %s" % dump["root"]]
    for obj in dump["objects"]:
        lines.append("")
        lines.append("%s %s type 0x%s (%s)" % (obj["guid"], obj["alias"], obj["type"][2:],
                                               obj["type_name"] or "unknown type"))
        for element in obj["elements"]:
            shown = element.get("error") or _text_value(element["value"])
            lines.append("  %s %-24s %s" % (element["id"], element["name"] or "?", shown))
    return "\n".join(lines) + "\n"
