"""In-memory registry tree (keys holding typed values) that the hive writer takes and the reader returns."""

REG_NONE = 0
REG_SZ = 1
REG_EXPAND_SZ = 2
REG_BINARY = 3
REG_DWORD = 4
REG_MULTI_SZ = 7
REG_QWORD = 11


class Value:
    """One named value: registry type number and raw data bytes."""

    __slots__ = ("name", "type", "data")

    def __init__(self, name, regtype, data):
        self.name = name
        self.type = regtype
        self.data = bytes(data)

    def __eq__(self, other):
        return isinstance(other, Value) and (self.name, self.type, self.data) == \
            (other.name, other.type, other.data)

    def __repr__(self):
        return "Value(%r, %d, %r)" % (self.name, self.type, self.data)


class Key:
    """One key: a name, values in stored order and subkeys (the writer sorts them)."""

    def __init__(self, name, values=None, subkeys=None):
        self.name = name
        self.values = list(values or [])
        self.subkeys = list(subkeys or [])

    def subkey(self, name):
        """The direct subkey called ``name`` (case-insensitive), or None."""
        return _named(self.subkeys, name)

    def value(self, name):
        """The value called ``name`` (case-insensitive), or None."""
        return _named(self.values, name)

    def add(self, name, values=None):
        """Append and return a new subkey."""
        key = Key(name, values)
        self.subkeys.append(key)
        return key

    def walk(self, path=""):
        """Yield (path, key) for this key and every key below it, depth first."""
        here = path + "\\" + self.name if path else self.name
        yield here, self
        for key in self.subkeys:
            yield from key.walk(here)


def sort_key(name):
    """Registry order of a name: uppercased, compared by UTF-16 code unit."""
    return name.upper().encode("utf-16-be")


def flatten(root):
    """Map of 'path' (case-folded, root excluded) -> sorted list of (value name, type, data); for comparisons."""
    result = {}
    for path, key in root.walk():
        rel = path[len(root.name):].upper()
        result[rel] = sorted((v.name.upper(), v.type, v.data) for v in key.values)
    return result


def _named(entries, name):
    """The first of ENTRIES whose .name is NAME, compared case-insensitively as the registry does."""
    wanted = name.upper()
    return next((entry for entry in entries if entry.name.upper() == wanted), None)
