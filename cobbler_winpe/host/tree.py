"""Writing staging plans (gen/staging.py) into the TFTP and web trees: incrementally, atomically, hard-linked.

apply_plan() writes a plan under one root and removes what it staged before and no longer plans; only folders
carrying staging.MARKER are ever cleaned, so Linux distros' images are never touched.
"""
import hashlib
import os
import shutil

from cobbler_winpe.fsutil import write_atomic
from cobbler_winpe.gen import layout
from cobbler_winpe.gen.staging import MARKER


def index_tree(root):
    """{lowercased relpath: relpath} of every file below ROOT (the boot-file cache is matched without case)."""
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            rel = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            found[rel.lower()] = rel
    return found


def _same_file(path, source):
    try:
        return os.path.samefile(path, source)
    except OSError:
        return False


def _same_content(path, source):
    try:
        a, b = os.stat(path), os.stat(source)
    except OSError:
        return False
    # a copy made by copy2 keeps the nanoseconds; whole seconds would take a WIM rebuilt within the same second
    # (same size) for the file already staged, and leave the old one served
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def _place_file(dest, source):
    """Hard-link SOURCE to DEST through a temp name; copy (keeping mtime) when linking is not possible."""
    if _same_file(dest, source) or _same_content(dest, source):
        return False
    tmp = os.path.join(os.path.dirname(dest), ".tmp-" + os.path.basename(dest))
    if os.path.lexists(tmp):
        os.unlink(tmp)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copy2(source, tmp)
    os.replace(tmp, dest)
    return True


def blob(blobs, data):
    """The file holding DATA in the content-addressed store BLOBS (written once; the trees hard-link it)."""
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(blobs, digest[:2], digest)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomic(path, data)
    return path


def prune_blobs(blobs):
    """Delete stored contents no staged file links to any more (link count 1: only the store holds them)."""
    for folder, _dirs, files in os.walk(blobs):
        for name in files:
            path = os.path.join(folder, name)
            if os.stat(path).st_nlink == 1:
                os.unlink(path)


def write_source(dest, source, blobs=None):
    """Stage one file (its folder must exist); True when something changed.  With BLOBS, generated contents are
    written once into that store and hard-linked, so both trees share them and an unchanged file costs a stat."""
    if source.data is None:
        return _place_file(dest, source.path)
    if blobs is None:
        return write_atomic(dest, source.data)
    return _place_file(dest, blob(blobs, source.data))


def owned_dirs(root):
    """Distro folders under ROOT/images that carry the plugin's marker."""
    images = os.path.join(root, layout.IMAGES)
    try:
        entries = sorted(os.listdir(images))
    except FileNotFoundError:
        return []
    return [layout.distro_dir(n) for n in entries if os.path.exists(os.path.join(images, n, MARKER))]


def remove_unplanned(root, plan, scope=None):
    """Delete files in plugin-owned distro folders (or only SCOPE's) that PLAN no longer holds."""
    removed = []
    for rel_dir in scope if scope is not None else owned_dirs(root):
        top = os.path.join(root, rel_dir)
        for folder, _dirs, files in os.walk(top, topdown=False):
            for name in files:
                rel = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
                if rel not in plan:
                    os.unlink(os.path.join(folder, name))
                    removed.append(rel)
            if folder != top and not os.listdir(folder):
                os.rmdir(folder)
        if not os.listdir(top):
            os.rmdir(top)
    return removed


def apply_plan(root, plan, scope=None, blobs=None):
    """Write PLAN under ROOT; returns (changed relpaths, removed relpaths).  The marker is written last."""
    for folder in sorted({os.path.dirname(rel) for rel in plan}):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    changed = []
    for rel in sorted(plan, key=lambda r: r.endswith(MARKER)):
        if write_source(os.path.join(root, rel), plan[rel], blobs):
            changed.append(rel)
    return changed, remove_unplanned(root, plan, scope)
