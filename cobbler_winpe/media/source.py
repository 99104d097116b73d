"""One read-only interface over Windows media: an ISO file (UDF, Joliet, ISO9660/Rock Ridge), a directory tree, or a
bare boot image file (a WinPE .wim, presented as sources/boot.wim)."""
import io
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from typing import NamedTuple, Optional

from cobbler_winpe import names
from cobbler_winpe.errors import InputError, MediaError, ToolError
from cobbler_winpe.fsutil import confined_target, is_safe_name
from cobbler_winpe.wim import header

MAX_ENTRIES = 1000000      # walk() refuses media with more entries (a loop or a hostile image)
MAX_DEPTH = 64
COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """One name in a media directory: its stored name, type, size and the backend's handle to reach it."""
    name: str
    is_dir: bool
    size: int
    handle: object
    refused: Optional[str] = None   # why this entry may not be used (e.g. a symlink leaving the tree)
    same_data: object = None        # equal for names holding the same stored data (hard links, shared extents)


def split_relpath(relpath):
    """A media-relative path -> its components; refuses absolute paths, '..', NUL and backslashes."""
    if not isinstance(relpath, str):
        raise InputError(repr(relpath), "a media path must be a string")
    if "\0" in relpath or "\\" in relpath:
        raise InputError(repr(relpath), "media path holds a NUL or a backslash", "use '/' between names")
    if relpath.startswith("/"):
        raise InputError(relpath, "media path must be relative to the media root")
    parts = [p for p in relpath.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InputError(relpath, "media path must not contain '..'")
    return parts


class Media:
    """Read-only media: case-insensitive lookup, streaming reads, walking and copying.

    Subclasses provide _root_handle(), _list(handle) -> [Entry] and _open(handle).
    """

    kind = None

    def __init__(self, path):
        self.path = path
        self.label = None
        self._dirs = {}

    # -- backend hooks --------------------------------------------------------------------------
    def _root_handle(self):
        raise NotImplementedError

    def _list(self, handle):
        raise NotImplementedError

    def _open(self, handle):
        raise NotImplementedError

    # -- lookup ---------------------------------------------------------------------------------
    def _children(self, stored_dir, handle):
        """{lowercase name: Entry} of a directory, cached; the first of case-twins wins lookups."""
        children = self._dirs.get(stored_dir)
        if children is None:
            children = {}
            for entry in self._list(handle):
                children.setdefault(entry.name.lower(), entry)
            self._dirs[stored_dir] = children
        return children

    def _lookup(self, relpath):
        """(stored relpath, Entry) for a path, case-insensitively, or None; the root's Entry is a dir."""
        stored = ""
        entry = Entry("", True, 0, self._root_handle())
        for part in split_relpath(relpath):
            if not entry.is_dir:
                return None
            found = self._children(stored, entry.handle).get(part.lower())
            if found is None:
                return None
            stored = found.name if not stored else stored + "/" + found.name
            if found.refused:
                raise MediaError(self.where(stored), found.refused)
            entry = found
        return stored, entry

    def where(self, stored):
        """How errors name a path on the media: <media path>:<path on it>."""
        return "%s:%s" % (self.path, stored)

    def find(self, relpath):
        """The path as stored on the media (its real case), or None when absent."""
        hit = self._lookup(relpath)
        return hit[0] if hit else None

    def exists(self, relpath):
        return self._lookup(relpath) is not None

    def is_dir(self, relpath):
        hit = self._lookup(relpath)
        return bool(hit and hit[1].is_dir)

    def _file(self, relpath):
        hit = self._lookup(relpath)
        if hit is None:
            raise MediaError(self.where(relpath), "no such file on the media")
        if hit[1].is_dir:
            raise MediaError(self.where(hit[0]), "is a directory, expected a file")
        return hit

    def size(self, relpath):
        return self._file(relpath)[1].size

    def open(self, relpath):
        """A binary file object streaming the file (seekable); close it (or use ``with``)."""
        stored, entry = self._file(relpath)
        try:
            return self._open(entry.handle)
        except MediaError:
            raise
        except Exception as err:  # pycdlib and OS errors on a damaged medium
            raise MediaError(self.where(stored), "cannot open (%s)" % err) from None

    def listdir(self, relpath=""):
        """Stored names in a directory (sorted)."""
        hit = self._lookup(relpath)
        if hit is None or not hit[1].is_dir:
            raise MediaError(self.where(relpath), "no such directory on the media")
        return sorted(e.name for e in self._children(hit[0], hit[1].handle).values())

    def local_path(self, relpath):
        """A host path to read the file directly (trees only), else None."""
        return None

    # -- walking and copying --------------------------------------------------------------------
    def walk(self):
        """Yield (relpath, is_dir, size) for every entry, parents before children; bounded."""
        for rel, entry in self._walk_entries():
            yield rel, entry.is_dir, entry.size

    def _walk_entries(self):
        stack = [("", self._root_handle(), 0)]
        count = 0
        while stack:
            stored_dir, handle, depth = stack.pop()
            for entry in sorted(self._children(stored_dir, handle).values(), key=lambda e: e.name):
                rel = entry.name if not stored_dir else stored_dir + "/" + entry.name
                if entry.refused:
                    raise MediaError(self.where(rel), entry.refused)
                count += 1
                if count > MAX_ENTRIES or depth >= MAX_DEPTH:
                    raise MediaError(self.path, "media tree too large or too deep (a symlink loop?)")
                yield rel, entry
                if entry.is_dir:
                    stack.append((rel, entry.handle, depth + 1))

    def stored_bytes(self, entries):
        """What the medium takes on disk, the most an honest copy of it can write."""
        raise NotImplementedError

    def copy_plan(self, dest):
        """The (relpath, Entry) list copy_tree() writes, after checking the bytes it writes against the
        medium's own size and the free space at ``dest`` (one line when either is short); writes nothing."""
        entries = list(self._walk_entries())
        self._check_budget(entries, dest)
        return entries

    def copy_tree(self, dest, progress=None, prune_keeping=None, plan=None):
        """Stream every file to ``dest`` (created if missing); progress(relpath, size) after each file.

        Names that share stored data on the medium become hard links in ``dest`` (a copy where the file
        system refuses links). Nothing is written unless copy_plan() (or the ``plan`` it gave) passed. With
        ``prune_keeping`` (a set of relpaths), files and folders in ``dest`` that neither the medium nor that
        set lists are then deleted (links never followed). Returns the bytes placed."""
        entries = plan if plan is not None else self.copy_plan(dest)
        os.makedirs(dest, exist_ok=True)
        real_dest = os.path.realpath(dest)
        first = {}   # same_data -> the target holding it
        for rel, entry in entries:
            target = confined_target(real_dest, rel)
            if entry.is_dir:
                os.makedirs(target, exist_ok=True)
                continue
            key = entry.same_data
            if key not in first or not _link(first[key], target):
                self._copy_file(rel, entry.size, target)
                if key is not None:
                    first.setdefault(key, target)
            if progress:
                progress(rel, entry.size)
        if prune_keeping is not None:
            prune_except(real_dest, {rel for rel, _entry in entries} | set(prune_keeping))
        return sum(entry.size for _rel, entry in entries)

    def _check_budget(self, entries, dest):
        files = [entry for _rel, entry in entries if not entry.is_dir]
        to_write = _unique_bytes(files)
        on_medium = self.stored_bytes(files)
        if to_write > on_medium:
            raise MediaError(self.path, "its files would write %s but the medium holds only %s (overlapping or "
                             "sparse files; refused)" % (_mib(to_write), _mib(on_medium)),
                             "the medium is damaged or forged: copy it again from the original")
        room = shutil.disk_usage(_existing_parent(dest)).free + _unique_bytes(_files_in(dest))
        if to_write > room:
            raise ToolError(dest, "copying the medium needs %s, only %s is free there (counting the files it "
                            "replaces)" % (_mib(to_write), _mib(room)),
                            "free space on that file system or move the destination to a larger one")

    def _copy_file(self, rel, size, target):
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(target))
        try:
            with os.fdopen(fd, "wb") as out, self.open(rel) as src:
                copied = _copy_stream(src, out)
            if copied != size:
                raise MediaError(self.where(rel), "read %d of %d bytes (truncated media?)" % (copied, size),
                                 "copy the media again from the original")
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    # -- lifetime -------------------------------------------------------------------------------
    def close(self):
        self._dirs = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _copy_stream(src, out):
    copied = 0
    while True:
        chunk = src.read(COPY_CHUNK)
        if not chunk:
            return copied
        out.write(chunk)
        copied += len(chunk)


def _unique_bytes(files):
    """Total size of Entry-like files, counting names that share data once."""
    sizes = {}
    for number, entry in enumerate(files):
        sizes[entry.same_data if entry.same_data is not None else ("own", number)] = entry.size
    return sum(sizes.values())


def _link(existing, target):
    """Hard-link ``existing`` at ``target`` (replacing it); False when the file system will not."""
    tmp = "%s.tmp-link-%d" % (target, os.getpid())
    try:
        os.link(existing, tmp)
    except OSError:
        return False
    os.replace(tmp, target)
    return True


def _files_in(folder):
    """Entries for the regular files under ``folder`` (symlinks not followed), one identity per inode."""
    found = []
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            st = os.lstat(os.path.join(parent, name))
            if stat.S_ISREG(st.st_mode):
                found.append(Entry(name, False, st.st_size, None, same_data=(st.st_dev, st.st_ino)))
    return found


def prune_except(root, keep):
    """Delete what lies under ``root`` but not in ``keep`` (relpaths); symlinks are removed, never followed."""
    for parent, dirs, files in os.walk(root, topdown=False):
        for name in files + dirs:
            path = os.path.join(parent, name)
            if os.path.relpath(path, root).replace(os.sep, "/") in keep:
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)   # its content went first (bottom-up walk)
            else:
                os.unlink(path)


def _existing_parent(path):
    path = os.path.abspath(path)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return path


def _mib(size):
    return "%.1f MiB" % (size / 1048576)


class TreeNode(NamedTuple):
    """Where a tree entry was found when listed: its real path and the inode it was then."""
    path: str
    dev: int
    ino: int
    disk: int = 0   # bytes the file takes on disk (st_blocks)


class TreeMedia(Media):
    """A directory tree (a mounted or copied medium); symlinks must stay inside it.

    Reads never follow a link: a file is opened component by component with O_NOFOLLOW from the tree's root and
    must still be the inode the listing saw, so a name swapped for a symlink during a copy is refused."""

    kind = "tree"

    def __init__(self, path):
        super().__init__(path)
        self.root = os.path.realpath(path)

    def _root_handle(self):
        return TreeNode(self.root, 0, 0)

    def _list(self, handle):
        try:
            with os.scandir(handle.path) as it:
                return [self._entry(d) for d in it]
        except OSError as err:
            raise MediaError(handle.path, "cannot list directory (%s)" % err.strerror) from None

    def _entry(self, dirent):
        refused = None if is_safe_name(dirent.name) else "unsafe file name (refused)"
        path = dirent.path
        if dirent.is_symlink():
            path = os.path.realpath(dirent.path)
            if path != self.root and not path.startswith(self.root + os.sep):
                refused = "symlink points outside the media tree (refused)"
        try:
            st = os.stat(path)
        except OSError:
            return Entry(dirent.name, False, 0, TreeNode(path, 0, 0), refused or "broken symlink or unreadable file")
        if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            refused = refused or "not a regular file or directory"
        return Entry(dirent.name, stat.S_ISDIR(st.st_mode), 0 if stat.S_ISDIR(st.st_mode) else st.st_size,
                     TreeNode(path, st.st_dev, st.st_ino, st.st_blocks * 512), refused,
                     same_data=(st.st_dev, st.st_ino))

    def stored_bytes(self, entries):
        """Disk usage of the tree's files, each inode once, with 1/8 (and 1 MiB) slack for compressing file
        systems and tiny files stored inline."""
        used = {entry.same_data: entry.handle.disk for entry in entries}
        return sum(used.values()) * 9 // 8 + COPY_CHUNK

    def _open(self, handle):
        fd = open_nofollow(self.root, os.path.relpath(handle.path, self.root))
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (handle.dev, handle.ino):
            os.close(fd)
            raise MediaError(handle.path, "changed since the tree was listed (refused)",
                             "import from a tree that nobody else can write to")
        return os.fdopen(fd, "rb")

    def local_path(self, relpath):
        hit = self._lookup(relpath)
        return hit[1].handle.path if hit else None


def open_nofollow(root, rel):
    """A read-only fd of root/rel reached without following any symlink below ``root``; MediaError when one is met."""
    dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    parts = rel.split(os.sep)
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            os.close(dir_fd)
            dir_fd = next_fd
        # O_NONBLOCK: a FIFO swapped in must not hang the open (regular files ignore it)
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=dir_fd)
    except OSError as err:
        raise MediaError(os.path.join(root, rel), "cannot open without following a link (%s; refused)"
                         % err.strerror, "import from a tree that nobody else can write to") from None
    finally:
        os.close(dir_fd)


class IsoMedia(Media):
    """An ISO image read through pycdlib: UDF first, then Joliet, then Rock Ridge, then plain ISO9660."""

    kind = "iso"

    def __init__(self, path):
        super().__init__(path)
        import pycdlib  # a dependency of the package; imported here so trees work without it
        self._iso = pycdlib.PyCdlib()
        # Unbuffered: pycdlib seeks before every read, so read-ahead would only multiply the bytes read.
        try:
            self._fp = open(path, "rb", buffering=0)
        except OSError as err:
            raise MediaError(path, "cannot read (%s)" % err.strerror) from None
        try:
            self._iso.open_fp(self._fp)
        except Exception as err:  # pycdlib raises several types on garbage, all mean "not an ISO"
            self._iso = None
            self._fp.close()
            raise MediaError(path, "not a readable ISO 9660/UDF image (%s)" % _short(err),
                             "check the file is a complete Windows ISO") from None
        self._check_size()
        self.namespace = self._pick_namespace()
        self.label = self._read_label()

    def _check_size(self):
        """Refuse an ISO shorter than its primary volume descriptor says (a cut download or copy)."""
        pvd = self._iso.pvd
        expected = getattr(pvd, "space_size", 0) * getattr(pvd, "log_block_size", 0)
        actual = os.path.getsize(self.path)
        if expected and actual < expected:
            self.close()
            raise MediaError(self.path, "truncated ISO (%d of %d bytes)" % (actual, expected),
                             "download or copy the ISO again")

    def _pick_namespace(self):
        iso = self._iso
        if iso.has_udf():
            return "udf"
        if iso.has_joliet():
            return "joliet"
        if iso.has_rock_ridge():
            return "rr"
        return "iso"

    def _read_label(self):
        raw = getattr(self._iso.pvd, "volume_identifier", b"") or b""
        label = raw.decode("latin-1").strip(" \0")
        return label or None

    def _root_handle(self):
        return "/"

    def _list(self, handle):
        try:
            records = list(self._iso.list_children(**{self.namespace + "_path": handle}))
        except Exception as err:
            raise MediaError(self.where(handle), "cannot list ISO directory (%s)" % _short(err)) from None
        entries = []
        for rec in records:
            entry = self._entry(handle, rec)
            if entry is not None:
                entries.append(entry)
        return entries

    def _entry(self, parent, rec):
        """An Entry for a pycdlib record, or None for '.' and '..'."""
        if rec is None:
            return None
        if self.namespace == "udf":
            raw = rec.file_identifier()
            encoding = getattr(rec.file_ident, "encoding", "latin-1") if rec.file_ident else "latin-1"
            name = stored = raw.decode(encoding, "replace")
            symlink = rec.is_symlink()
        else:
            if rec.is_dot() or rec.is_dotdot():
                return None
            name, stored, symlink = self._dr_name(rec)
        handle = parent.rstrip("/") + "/" + stored
        refused = None
        if not is_safe_name(name):
            refused = "unsafe file name on the ISO (refused)"
        elif symlink:
            refused = "symlink on the ISO (not supported)"
        size = 0 if rec.is_dir() else rec.get_data_length()
        return Entry(name, rec.is_dir(), size, handle, refused, same_data=self._data_place(rec, size))

    def _data_place(self, rec, size):
        """Where a file's bytes lie in the image: names with the same place and size hold the same data."""
        if rec.is_dir() or not size:
            return None
        if self.namespace == "udf":
            extents = tuple((getattr(ad, "part_ref_num", 0), ad.log_block_num, ad.extent_length)
                            for ad in rec.alloc_descs)
            return ("udf", extents, size) if extents else None   # no extents: the data sits in the entry
        return ("extent", rec.extent_location(), size)

    def stored_bytes(self, entries):
        """The ISO file's size: every file's data lies inside it."""
        return os.path.getsize(self.path)

    def _dr_name(self, rec):
        """(display name, name to pass back to pycdlib, is symlink) for an ISO9660/Joliet/RR record."""
        raw = rec.file_identifier()
        if self.namespace == "joliet":
            stored = raw.decode("utf-16-be", "replace")
            return _strip_version(stored), stored, False
        if self.namespace == "rr" and rec.rock_ridge is not None:
            stored = rec.rock_ridge.name().decode("utf-8", "replace")
            return stored, stored, rec.rock_ridge.is_symlink()
        stored = raw.decode("latin-1")
        return _strip_version(stored), stored, False

    def _open(self, handle):
        return _IsoFile(self._iso.open_file_from_iso(**{self.namespace + "_path": handle}))

    def close(self):
        super().close()
        try:
            if self._iso is not None:
                self._iso.close()
        finally:
            self._iso = None
            self._fp.close()


class _IsoFile(io.RawIOBase):
    """A file inside the ISO: a seekable binary stream over pycdlib's reader, closed with the stream."""

    def __init__(self, cdio):
        super().__init__()
        self._cdio = cdio
        cdio.__enter__()

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, buf):
        return self._cdio.readinto(buf)

    def read(self, size=-1):
        return self._cdio.read(size)

    def seek(self, offset, whence=io.SEEK_SET):
        return self._cdio.seek(offset, whence)

    def tell(self):
        return self._cdio.tell()

    def close(self):
        if not self.closed:
            self._cdio.__exit__(None, None, None)
        super().close()


def _strip_version(name):
    """ISO9660 'SETUP.EXE;1' -> 'SETUP.EXE', 'README.;1' -> 'README'."""
    base, sep, version = name.rpartition(";")
    if sep and version.isdigit():
        name = base
    return name[:-1] if name.endswith(".") and len(name) > 1 else name


def _short(err):
    text = str(err) or type(err).__name__
    return text.splitlines()[0][:200]


class WimFileMedia(Media):
    """A bare boot image file (e.g. LiteTouchPE_x64.wim): media holding only sources/boot.wim, which is that file."""

    kind = "wim"
    LAYOUT = ("sources", names.BOOT_WIM)

    def __init__(self, path):
        super().__init__(path)
        self.file = os.path.realpath(path)

    def _root_handle(self):
        return ()

    def _list(self, handle):
        if handle == ():
            return [Entry(self.LAYOUT[0], True, 0, (self.LAYOUT[0],))]
        if handle == (self.LAYOUT[0],):
            return [Entry(self.LAYOUT[1], False, os.path.getsize(self.file), self.LAYOUT)]
        return []

    def _open(self, handle):
        return open(self.file, "rb")

    def stored_bytes(self, entries):
        """The boot image file's size: it is the one file this medium holds."""
        return os.path.getsize(self.file)

    def where(self, stored):
        """The file itself for its one file (errors name what the admin gave), else as other media do."""
        return self.path if split_relpath(stored) == list(self.LAYOUT) else super().where(stored)

    def local_path(self, relpath):
        hit = self._lookup(relpath)
        return self.file if hit and hit[1].handle == self.LAYOUT else None


def _is_wim_file(path):
    """True when PATH starts like a WIM (any kind: wim/header.py then reads it, or says why it cannot)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(header.MAGIC)) in (header.MAGIC, header.PWM_MAGIC)
    except OSError as err:
        raise MediaError(path, "cannot read (%s)" % err.strerror) from None


def open_media(path):
    """Open a Windows ISO file, media tree or bare WIM read-only; raises MediaError when it is none of them."""
    if not isinstance(path, str) or not path:
        raise InputError(repr(path), "media path must be a non-empty string")
    if os.path.isdir(path):
        return TreeMedia(path)
    if os.path.isfile(path):
        return WimFileMedia(path) if _is_wim_file(path) else IsoMedia(path)
    if os.path.exists(path):
        raise MediaError(path, "neither an ISO file nor a directory")
    raise MediaError(path, "no such file or directory")
