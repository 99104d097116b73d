"""Small file-system helpers shared by every layer: atomic writes, safe joins and safe names from media."""
import os
import stat
import tempfile

from cobbler_winpe.errors import InputError, MediaError

TEMP_PREFIX = ".tmp-"   # write_temp names: .tmp-<writer pid>-<random>


def write_atomic(path, data, mode=0o644, group=None):
    """Write DATA (bytes or str) to PATH through a temp file in the same folder and a rename.

    With GROUP (a gid), the file is owned by that group and a file holding DATA with another mode or group is
    written again.  Returns True when the file changed, False when it already held exactly DATA (nothing is
    written then).
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        with open(path, "rb") as handle:
            same_access = group is None or _access(os.fstat(handle.fileno())) == (mode, group)
            if handle.read(len(data) + 1) == data and same_access:
                return False
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    tmp = write_temp(path, data, mode, group)
    try:
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def create_once(path, data, mode=0o600):
    """Create PATH holding DATA unless it exists; returns True when this call created it.

    The file is written in full under a temp name and hard-linked into place, which fails when PATH exists:
    of two processes creating it at once exactly one wins, and nobody ever reads a partial file."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = write_temp(path, data, mode)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


def _access(st):
    return stat.S_IMODE(st.st_mode), st.st_gid


def write_temp(path, data, mode, group=None):
    """DATA in a new temp file with MODE (and GROUP) beside PATH (its folder made if needed); returns its path."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="%s%d-" % (TEMP_PREFIX, os.getpid()), dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if group is not None:
                os.fchown(handle.fileno(), -1, group)
        os.chmod(tmp, mode)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def safe_join(root, relpath):
    """ROOT/RELPATH, refusing a RELPATH that is absolute or climbs out of ROOT."""
    parts = relpath.replace("\\", "/").split("/")
    if relpath.startswith(("/", "\\")) or ".." in parts or "\0" in relpath:
        raise InputError(relpath, "path leaves %s" % root, "use a plain relative path")
    return os.path.join(root, *[p for p in parts if p not in ("", ".")])


def remove_dead_temps(folder):
    """Delete the temp files write_temp left in FOLDER for writers no longer running (killed mid-write);
    a temp of a live process is left alone. Returns how many went."""
    removed = 0
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    for name in names:
        pid = name[len(TEMP_PREFIX):].split("-", 1)[0]
        if not name.startswith(TEMP_PREFIX) or not pid.isdigit() or _running(int(pid)):
            continue
        try:
            os.unlink(os.path.join(folder, name))
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_safe_name(name):
    """True when a name stored on media can be used as one path component on this host."""
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\0")


def confined_target(real_dest, rel):
    """real_dest/rel for a '/'-separated relative name: every name checked, no symlink may lead elsewhere."""
    parts = rel.split("/")
    if not all(is_safe_name(p) for p in parts):
        raise MediaError(rel, "unsafe name (refused)")
    target = os.path.join(real_dest, *parts)
    parent = os.path.realpath(os.path.dirname(target))
    if parent != real_dest and not parent.startswith(real_dest + os.sep):
        raise MediaError(target, "destination leads outside %s (refused)" % real_dest)
    if os.path.islink(target):
        raise MediaError(target, "destination is a symlink (refused)")
    return target
