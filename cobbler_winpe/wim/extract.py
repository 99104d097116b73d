"""Extract files from (and add files to) a WIM image through wimlib-imagex: case-insensitive, confined to dest."""
import contextlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from cobbler_winpe import names
from cobbler_winpe.errors import InputError, MediaError
from cobbler_winpe.fsutil import confined_target, is_safe_name
from cobbler_winpe.wim import bootfiles
from cobbler_winpe.wim.info import read_wim_info_path
from cobbler_winpe.wim.tool import run_tool

WINLOAD_DIRS = ("windows/system32/boot", "windows/system32")
ARGV_BATCH = 200
_ENV = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")


@dataclass
class WimListing:
    """The paths of one WIM image, for case-insensitive lookups: stored paths without the leading '/'."""
    files: dict = field(default_factory=dict)   # lower path -> stored path (files and directories)
    dirs: set = field(default_factory=set)      # lower paths that are directories

    def find(self, path):
        return self.files.get(path.lower())

    def children(self, directory):
        """Stored paths of the non-directory entries directly inside ``directory`` (lower-case path)."""
        prefix = directory.lower().rstrip("/") + "/"
        return sorted(stored for low, stored in self.files.items()
                      if low.startswith(prefix) and "/" not in low[len(prefix):] and low not in self.dirs)

    def under(self, directory):
        """Stored paths of every non-directory entry below ``directory``, recursively."""
        prefix = directory.lower().rstrip("/") + "/"
        return sorted(stored for low, stored in self.files.items()
                      if low.startswith(prefix) and low not in self.dirs)


@dataclass
class BootFiles:
    """Boot files written under ``dest``, as '/'-separated paths relative to it (the WIM's own case)."""
    dest: str
    bios: List[str] = field(default_factory=list)
    uefi: List[str] = field(default_factory=list)
    fonts: List[str] = field(default_factory=list)
    mui: List[str] = field(default_factory=list)
    stl: List[str] = field(default_factory=list)
    sdi: List[str] = field(default_factory=list)
    staged: dict = field(default_factory=dict)  # path -> staged name (wim/bootfiles.py)
    winload: Optional[str] = None               # e.g. \Windows\System32\Boot\winload (no extension)
    winload_exts: Tuple[str, ...] = ()          # which of "exe", "efi" the image holds

    def all(self):
        return self.bios + self.uefi + self.fonts + self.mui + self.stl + self.sdi

    def find(self, name):
        """The relative path of the written file with this base name (any case), or None."""
        return next((p for p in self.all() if p.rsplit("/", 1)[-1].lower() == name.lower()), None)


def _ref_args(wim_path):
    """--ref for the other parts of a split WIM (install.swm, install2.swm, ...); wimlib expands the glob."""
    if not wim_path.lower().endswith(".swm"):
        return []
    stem = wim_path[:-4]
    return ["--ref=%s*%s" % (glob_escape(stem), wim_path[-4:])]


def glob_escape(text):
    return "".join("[%s]" % c if c in "*?[" else c for c in text)


def list_wim(wim_path, index):
    """All paths of image ``index`` (wimlib-imagex dir); names unusable on this host are left out."""
    out = run_tool(["wimlib-imagex", "dir", wim_path, str(index)], env=_ENV)
    listing = WimListing()
    for line in out.decode("utf-8", "replace").splitlines():
        path = line.strip("/")
        if not path or not all(is_safe_name(p) for p in path.split("/")):
            continue
        listing.files.setdefault(path.lower(), path)
        parent = path.lower().rpartition("/")[0]
        while parent and parent not in listing.dirs:
            listing.dirs.add(parent)
            parent = parent.rpartition("/")[0]
    return listing


def normalize_wim_path(path):
    """A path inside a WIM ('\\Windows\\Boot' or 'Windows/Boot') -> 'Windows/Boot'; refuses '..'."""
    if not isinstance(path, str) or "\0" in path:
        raise InputError(repr(path), "WIM path must be a string without NUL")
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InputError(path, "WIM path must not contain '..'")
    return "/".join(parts)


def _resolve(listing, wanted, missing_ok, where):
    """Requested paths -> stored file paths (a directory stands for every file below it)."""
    found = []
    for path in wanted:
        norm = normalize_wim_path(path)
        if norm.lower() in listing.dirs:
            found += listing.under(norm)
        elif listing.find(norm):
            found.append(listing.find(norm))
        elif not missing_ok:
            raise MediaError(where, "no %s in the image" % path)
    return list(dict.fromkeys(found))


def _extract_stored(wim_path, index, stored, dest):
    """Extract exact stored paths into a private dir inside dest, then move regular files into place."""
    os.makedirs(dest, exist_ok=True)
    real_dest = os.path.realpath(dest)
    tmp = tempfile.mkdtemp(prefix=".wim-extract-", dir=real_dest)
    try:
        for start in range(0, len(stored), ARGV_BATCH):
            batch = ["/" + p for p in stored[start:start + ARGV_BATCH]]
            run_tool(["wimlib-imagex", "extract", wim_path, str(index)] + batch + _ref_args(wim_path)
                     + ["--dest-dir=" + tmp, "--preserve-dir-structure", "--no-acls", "--no-globs"], env=_ENV)
        for rel in stored:
            _move_regular(os.path.join(tmp, *rel.split("/")), confined_target(real_dest, rel), wim_path, rel)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return stored


def _move_regular(src, target, wim_path, rel):
    try:
        st = os.lstat(src)
    except OSError:
        raise MediaError("%s:%s" % (wim_path, rel), "wimlib did not extract it") from None
    if not stat.S_ISREG(st.st_mode):
        raise MediaError("%s:%s" % (wim_path, rel), "not a regular file in the image (refused)")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(src, target)


def extract_files(wim_path, index, paths, dest, missing_ok=False):
    """Extract files or whole directories of image ``index`` case-insensitively to dest/<stored path>.

    Returns the '/'-separated stored paths written, relative to dest.
    """
    index = checked_index(wim_path, index)
    listing = list_wim(wim_path, index)
    stored = _resolve(listing, paths, missing_ok, "%s image %s" % (wim_path, index))
    return _extract_stored(wim_path, index, stored, dest) if stored else []


def _boot_selection(listing):
    """BootFiles (not yet written) naming what the image holds, as wim/bootfiles.py lists them."""
    folder = bootfiles.folder_in_place(listing.dirs)
    if folder:
        raise MediaError(listing.files[folder], "a folder stands where a boot file should be",
                         "use a boot image whose Windows/Boot folders hold the boot files as files")
    files = [stored for low, stored in sorted(listing.files.items()) if low not in listing.dirs]
    sel = BootFiles(dest="", staged=bootfiles.select(files))
    for path in sel.staged:
        getattr(sel, bootfiles.staged_name(path)[0].kind).append(path)
    sel.winload, sel.winload_exts = _winload(listing)
    return sel


def _winload(listing):
    """(\\Windows\\System32\\Boot\\winload, ("exe", "efi")) as the image holds it, or (None, ())."""
    for directory in WINLOAD_DIRS:
        exts = tuple(ext for ext in ("exe", "efi") if listing.find("%s/winload.%s" % (directory, ext)))
        if exts:
            stored = listing.find("%s/winload.%s" % (directory, exts[0]))
            return "\\" + stored.rsplit(".", 1)[0].replace("/", "\\"), exts
    return None, ()


def checked_index(wim_path, index):
    """The image index to use: ``index`` checked against the WIM's image count, or its boot index if None."""
    info = read_wim_info_path(wim_path)
    if index is None:
        return info.boot_index or 1
    try:
        index = int(index)
    except (TypeError, ValueError):
        index = 0
    if not 1 <= index <= info.header.image_count:
        raise InputError("%s image %s" % (wim_path, index),
                         "no such image (the WIM has %d)" % info.header.image_count)
    return index


def extract_boot_files(wim_path, index, dest):
    """Extract the PXE/EFI boot managers, fonts, .mui files, boot.stl and boot.sdi of boot.wim's image (None = its
    boot index): every file wim/bootfiles.py lists."""
    index = checked_index(wim_path, index)
    listing = list_wim(wim_path, index)
    files = _boot_selection(listing)
    if not files.bios and not files.uefi:
        raise MediaError("%s image %d" % (wim_path, index),
                         "holds neither Windows/Boot/PXE/%s nor a UEFI boot manager (Windows/Boot/EFI/%s, "
                         "Windows/Boot/EFI_EX/%s)" % (names.PXEBOOT, names.BOOTMGFW, names.BOOTMGFW_EX),
                         "use the %s of Windows installation media" % names.BOOT_WIM)
    _extract_stored(wim_path, index, files.all(), dest)
    files.dest = dest
    return files


@contextlib.contextmanager
def wim_on_disk(media, relpath, tmpdir=None):
    """Yield a host path of a WIM on the media: the file itself in a tree, else a temp copy streamed once."""
    local = media.local_path(relpath)
    if local:
        yield local
        return
    work = tempfile.mkdtemp(prefix="cobbler-winpe-wim-", dir=tmpdir)
    try:
        path = os.path.join(work, os.path.basename(media.find(relpath) or relpath))
        with media.open(relpath) as src, open(path, "wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)
        if os.path.getsize(path) != media.size(relpath):
            raise MediaError(relpath, "copied WIM is shorter than on the media (truncated ISO?)")
        yield path
    finally:
        shutil.rmtree(work, ignore_errors=True)


def extract_from_media(media, wim_relpath, index, dest, tmpdir=None):
    """extract_boot_files for a WIM held on media (an ISO-held WIM is streamed once to a temp file)."""
    with wim_on_disk(media, wim_relpath, tmpdir) as path:
        return extract_boot_files(path, index, dest)


def _quote(path, what):
    if any(c in path for c in "\"'\n\r\0"):
        raise InputError(path, "%s holds a quote or line break (not allowed in wimlib update commands)" % what)
    return "'%s'" % path


def update_files(wim_path, index, files):
    """Add or replace files in image ``index``: {path inside the WIM: local file}. Changes the WIM in place."""
    index = checked_index(wim_path, index)
    commands = []
    for inside, local in files.items():
        if not os.path.isfile(local):
            raise InputError(local, "no such local file to put into %s" % wim_path)
        target = "/" + normalize_wim_path(inside)
        commands.append("add %s %s" % (_quote(os.path.abspath(local), "local path"), _quote(target, "WIM path")))
    if commands:
        run_tool(["wimlib-imagex", "update", wim_path, str(index)], stdin="\n".join(commands).encode("utf-8") + b"\n")
