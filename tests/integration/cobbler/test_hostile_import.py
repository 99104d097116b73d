"""Hostile media through the real `cobbler import`: the task fails with one cobbler-winpe log line, Cobbler is unchanged.

A representative subset of tests/unit/formats/test_hostile_media.py's cases (garbage, truncated and looping ISOs, a
broken WIM header, an XML bomb, a symlink leaving the tree, hostile names, media without editions, and valid
media carrying one hostile name that only the copy meets) is imported on the bed with the plugin installed.
"""
import hashlib
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "unit", "formats"))

import test_hostile_media as hostile  # noqa: E402  (needs the path above)

pytestmark = pytest.mark.integration

SUBSET = ("iso-random", "iso-cut-half", "dir-loop-sources-to-root", "file-boot-wim-size-short", "wim-bad-magic",
          "xml-billion-laughs", "tree-boot-wim-symlink-outside", "rr-name-slash", "install-wim-all-images-deleted",
          "iso-with-no-editions", "tree-install-wim-fifo")
CACHE_DIR = "/var/lib/cobbler/winpe"
LOG_MARK = "cobbler-winpe import failed:"


def _tree_with_hostile_extra(base, folder):
    """Valid media plus one file whose name (a backslash path) only copy_tree() meets."""
    tree = hostile.tree_copy(base, folder)
    hostile.write(os.path.join(tree, "zz..\\..\\escape.txt"), b"x")
    return tree


def _iso_with_hostile_extra(base, folder):
    """A valid Rock Ridge ISO whose support folder holds a file renamed '../a' only the copy meets."""
    tree = hostile.tree_copy(base, folder)
    hostile.write(os.path.join(tree, "support", "zzzz"), b"x")
    iso = hostile.iso_from_tree(tree, folder, "rockridge")
    data = bytearray(hostile.read(iso))
    hostile.rename_in_dir([b"SUPPORT"], b"zzzz", b"../a")(data)
    return hostile.write(iso, bytes(data))


EXTRA = {"tree-valid-plus-hostile-name": _tree_with_hostile_extra,
         "iso-valid-plus-hostile-name": _iso_with_hostile_extra}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    hostile.require_tools()
    return hostile.build_base(str(tmp_path_factory.mktemp("hostile-import-base")))


def digest(root):
    """{relpath: sha256 or 'dir'} of a tree (missing -> {})."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            found[os.path.relpath(os.path.join(folder, name), root)] = "dir"
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                found[os.path.relpath(path, root)] = "special"
                continue
            with open(path, "rb") as handle:
                found[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return found


def cobbler_state(bed):
    """What an import must not change: item lists, the TFTP and web trees, the plugin's cache."""
    lists = {kind: sorted(bed.cli(kind, "list")[1].split()) for kind in ("distro", "profile", "system")}
    trees = {root: digest(root) for root in (str(bed.tftproot), str(bed.webdir), CACHE_DIR)}
    return lists, trees


@pytest.fixture(scope="module")
def bed(winpe_bed, base):
    """The plugin bed, emptied, with one valid Windows import synced so 'unchanged' covers real content."""
    winpe_bed.reset()
    for args in (("import", "--path", base.isos["hidden"], "--name", "valid"), ("sync",)):
        rc, out, err = winpe_bed.cli(*args)
        assert rc == 0 and "TASK FAILED" not in out, (args, out, err)
    return winpe_bed


# adapter/importer.claims() asks media.find("sources/boot.wim"), which raises MediaError for a refused entry, and
# answers False: upstream's signature import then takes such a tree over (and fails with its own traceback).
# Fix (importer.py, not this suite's file): claim a tree when a marker lookup raises MediaError.
def cases():
    for name in SUBSET + tuple(EXTRA):
        yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(cases()))
def test_hostile_import_fails_cleanly(name, bed, base, tmp_path):
    folder = str(tmp_path / "case")
    os.makedirs(folder)
    path = (EXTRA.get(name) or hostile.CASES[name])(base, folder)
    before = cobbler_state(bed)
    log_before = len(bed.log_text())

    rc, out, err = bed.cli("import", "--path", path, "--name", "hostile")

    assert "TASK FAILED" in out + err, (rc, out, err)
    new_log = bed.log_text()[log_before:]
    ours = [line for line in new_log.splitlines() if LOG_MARK in line]
    assert len(ours) == 1, new_log
    assert path in ours[0], ours[0]
    assert "Traceback" not in new_log, new_log
    assert cobbler_state(bed) == before
