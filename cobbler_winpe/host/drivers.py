"""Reading a host driver folder (winpe_drivers): its files and which .inf files are network drivers (gen/drivers.py)."""
import os

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen.drivers import MAX_FILES, META_KEY, NET_CLASS, SAFE_NAME, DriverSet, inf_class, set_name


def _walk(folder):
    """Every regular file below FOLDER as a posix relpath; one line and no set for what cmd or the share
    could not carry (unsafe names, links)."""
    found = []
    for here, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(dirs) + sorted(names):
            path = os.path.join(here, name)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            if os.path.islink(path):
                raise InputError("metadata %s: %s" % (META_KEY, path), "is a symbolic link",
                                 "copy the real files into the driver folder")
            if not SAFE_NAME.fullmatch(name):
                raise InputError("metadata %s: %s" % (META_KEY, path), "name holds characters cmd.exe would change",
                                 "rename it to letters, digits, space and . _ ( ) + -")
            if os.path.isfile(path):
                found.append(rel)
        if len(found) > MAX_FILES:
            raise InputError("metadata %s: %s" % (META_KEY, folder), "more than %d files" % MAX_FILES,
                             "point it at the drivers this OS needs")
    return found


def scan(folder):
    """The DriverSet of a host FOLDER (an absolute path)."""
    if not os.path.isabs(folder) or not os.path.isdir(folder):
        raise InputError("metadata %s: %r" % (META_KEY, folder), "not an absolute path of a folder",
                         "give the host folder holding the .inf trees")
    files = _walk(folder)
    net, other = [], []
    for rel in files:
        if rel.lower().endswith(".inf"):
            with open(os.path.join(folder, rel), "rb") as handle:
                (net if inf_class(handle.read(1 << 20)) == NET_CLASS else other).append(rel)
    return DriverSet(set_name(folder), folder, tuple(files), tuple(net), tuple(other))
