"""Tests for cobbler_winpe.media.source: ISO (every layout) and tree media, safe names, streaming, hostile input."""
import os
import struct
import subprocess
import tracemalloc

import pytest

from cobbler_winpe.errors import InputError, MediaError, ToolError
from cobbler_winpe.media import source
from cobbler_winpe.media.source import Entry, Media, open_media
from media_fixtures import require_tools, samples  # noqa: F401

LAYOUTS = ["hidden", "bridge", "joliet", "rockridge", "iso9660"]


def _tree_files(root):
    out = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            out[os.path.relpath(path, root).lower()] = open(path, "rb").read()
    return out


@pytest.mark.parametrize("layout", LAYOUTS)
def test_iso_layouts_show_the_whole_tree(samples, layout):
    media = samples("win10-x64", layout=layout)
    expected = _tree_files(media.tree)
    with open_media(media.iso) as iso:
        assert iso.kind == "iso" and iso.label == "CCCOMA_X64FRE_EN-US_DV9"
        assert iso.namespace == {"hidden": "udf", "bridge": "udf", "joliet": "joliet",
                                 "rockridge": "rr", "iso9660": "iso"}[layout]
        seen = {}
        for rel, is_dir, size in iso.walk():
            if not is_dir and rel.lower() not in ("readme.txt", "boot.catalog"):
                with iso.open(rel) as fp:
                    seen[rel.lower()] = fp.read()
                assert size == len(seen[rel.lower()])
    if layout == "iso9660":   # plain ISO9660 level 3 folds names to upper case
        assert set(seen) == set(expected)
    assert seen == expected


def test_hidden_layout_iso9660_shows_only_readme(samples):
    import pycdlib
    iso = pycdlib.PyCdlib()
    iso.open(samples("win10-x64").iso)
    names = [c.file_identifier() for c in iso.list_children(iso_path="/") if not (c.is_dot() or c.is_dotdot())]
    iso.close()
    assert names == [b"README.TXT;1"]


@pytest.mark.parametrize("which", ["iso", "tree"])
def test_case_insensitive_lookup(samples, which):
    media = samples("win10-x64")
    with open_media(getattr(media, which)) as m:
        assert m.kind == which
        assert m.find("SOURCES/INSTALL.ESD") == "sources/install.esd"
        assert m.find("./Sources//Boot.Wim") == "sources/boot.wim"
        assert m.exists("boot/BOOT.SDI") and not m.exists("sources/install.wim")
        assert m.find("setup.exe/nothing") is None
        assert m.size("SOURCES/boot.wim") == os.path.getsize(media.boot_wims[""])
        assert m.is_dir("SOURCES") and not m.is_dir("setup.exe")
        assert "install.esd" in m.listdir("sources")
        with m.open("sources/BOOT.wim") as fp:
            assert fp.read(5) == b"MSWIM"
            fp.seek(-4, os.SEEK_END)
            assert len(fp.read()) == 4
        with pytest.raises(MediaError, match="no such file"):
            m.open("sources/missing.wim")
        with pytest.raises(MediaError, match="is a directory"):
            m.open("sources")


@pytest.mark.parametrize("bad", ["../etc/passwd", "sources/../../x", "/etc/passwd", "a\\..\\b", "a\0b", 5])
def test_unsafe_relpaths_refused(samples, bad):
    with open_media(samples("win10-x64").tree) as m:
        with pytest.raises(InputError):
            m.find(bad)


def test_copy_tree_from_iso(samples, tmp_path):
    media = samples("dual-arch")
    done = []
    with open_media(media.iso) as m:
        total = m.copy_tree(str(tmp_path / "mirror"), progress=lambda rel, size: done.append(rel))
    copied = _tree_files(tmp_path / "mirror")
    copied.pop("readme.txt")
    copied.pop("boot.catalog")
    assert copied == _tree_files(media.tree)
    assert total == sum(len(v) for v in copied.values()) + len(open(tmp_path / "mirror/README.TXT", "rb").read())
    assert "x64/sources/install.esd" in done
    assert not [n for n in os.listdir(tmp_path / "mirror" / "x64" / "sources") if n.startswith(".tmp-")]


def test_symlink_escaping_tree_is_refused(samples, tmp_path):
    import shutil
    tree = tmp_path / "tree"
    shutil.copytree(samples("win10-x64").tree, tree)
    os.symlink("/etc/passwd", tree / "sources" / "evil.txt")
    os.symlink("../boot", tree / "sources" / "inside")     # stays in the tree: fine
    with open_media(str(tree)) as m:
        with pytest.raises(MediaError, match="outside the media tree"):
            m.open("sources/EVIL.txt")
        assert m.find("sources/inside/boot.sdi") == "sources/inside/boot.sdi"
        assert m.find("sources/boot.wim")       # siblings stay usable
        with pytest.raises(MediaError, match="outside the media tree"):
            list(m.walk())
        with pytest.raises(MediaError, match="outside"):
            m.copy_tree(str(tmp_path / "copy"))
    assert not os.path.exists(tmp_path / "copy" / "sources" / "evil.txt")


def test_symlink_loop_is_bounded(tmp_path):
    (tmp_path / "t").mkdir()
    os.symlink(".", tmp_path / "t" / "loop")
    with open_media(str(tmp_path / "t")) as m:
        with pytest.raises(MediaError, match="too large or too deep"):
            list(m.walk())


class _FakeMedia(Media):
    """A backend returning whatever names a hostile medium could hold."""
    kind = "fake"

    def __init__(self, names):
        super().__init__("fake")
        self.names = names

    def _root_handle(self):
        return "/"

    def _list(self, handle):
        return [Entry(n, False, 1, n, None if source.is_safe_name(n) else "unsafe") for n in self.names]

    def _open(self, handle):
        import io
        return io.BytesIO(b"x")


@pytest.mark.parametrize("name", ["..", ".", "a/b", "a\\b", "a\0b", ""])
def test_hostile_names_never_leave_dest(tmp_path, name):
    media = _FakeMedia(["ok.txt", name])
    with pytest.raises(MediaError):
        media.copy_tree(str(tmp_path / "dest"))
    assert set(os.listdir(tmp_path)) == set()   # the whole listing is checked before anything is written


def test_confined_target_refuses_symlinked_dest(tmp_path):
    (tmp_path / "dest").mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "dest" / "sources")
    with pytest.raises(MediaError, match="outside"):
        source.confined_target(str(tmp_path / "dest"), "sources/boot.wim")


@pytest.mark.parametrize("content", [b"", b"garbage" * 1000, b"\0" * 40000])
def test_not_an_iso(tmp_path, content):
    path = tmp_path / "x.iso"
    path.write_bytes(content)
    with pytest.raises(MediaError, match="not a readable ISO"):
        open_media(str(path))


def test_missing_path(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        open_media(str(tmp_path / "nothing.iso"))


def test_truncated_iso_copy_fails_cleanly(samples, tmp_path):
    data = open(samples("server2019").iso, "rb").read()
    path = tmp_path / "cut.iso"
    path.write_bytes(data[:len(data) * 2 // 3])
    with pytest.raises(MediaError):
        with open_media(str(path)) as m:
            m.copy_tree(str(tmp_path / "copy"))


def test_streaming_memory_is_bounded(tmp_path):
    """Copying a 64 MB file out of an ISO never holds more than a few MB."""
    require_tools()
    tree = tmp_path / "tree" / "sources"
    tree.mkdir(parents=True)
    with open(tree / "install.wim", "wb") as fp:
        fp.truncate(64 * 1024 * 1024)
    iso = str(tmp_path / "big.iso")
    subprocess.run(["genisoimage", "-quiet", "-udf", "-iso-level", "3", "-o", iso, str(tmp_path / "tree")],
                   check=True)
    os.unlink(tree / "install.wim")
    tracemalloc.start()
    try:
        with open_media(iso) as m:
            m.copy_tree(str(tmp_path / "copy"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert os.path.getsize(tmp_path / "copy" / "sources" / "install.wim") == 64 * 1024 * 1024
    assert peak < 8 * 1024 * 1024


def test_iso_shorter_than_its_volume_is_refused(samples, tmp_path):
    data = open(samples("win10-x64", layout="joliet", el_torito=False).iso, "rb").read()
    path = tmp_path / "short.iso"
    path.write_bytes(data[:-4096])
    with pytest.raises(MediaError, match="truncated ISO"):
        open_media(str(path))


def test_bare_wim_is_media_holding_sources_boot_wim(samples, tmp_path):
    """LiteTouchPE_x64.wim alone: sources/boot.wim (any case) is that file, read in place, copied as a tree."""
    wim = samples("adk-winpe").boot_wims[""]
    data = open(wim, "rb").read()
    with open_media(wim) as media:
        assert media.kind == "wim" and media.listdir("") == ["sources"]
        assert list(media.walk()) == [("sources", True, 0), ("sources/boot.wim", False, len(data))]
        assert media.find("SOURCES/Boot.WIM") == "sources/boot.wim" and media.local_path("sources/boot.wim") == wim
        with media.open("sources/boot.wim") as handle:
            assert handle.read() == data
        assert media.where("sources/boot.wim") == wim and media.where("sources") == wim + ":sources"
        assert media.find("sources/install.wim") is None and media.local_path("sources") is None
        media.copy_tree(str(tmp_path / "mirror"))
    assert (tmp_path / "mirror" / "sources" / "boot.wim").read_bytes() == data


def test_a_file_not_starting_like_a_wim_is_still_read_as_an_iso(tmp_path):
    fake = tmp_path / "x.wim"
    fake.write_bytes(b"regf" + b"\0" * 4096)
    with pytest.raises(MediaError, match="not a readable ISO"):
        open_media(str(fake))


SECRET = b"root-only secret that must never reach a mirror\n"


def _swap_during_copy(samples, tmp_path, swap):
    """Copy a sample tree; at the first progress call, swap(tree, the last file still to copy, secret path)."""
    tree = str(tmp_path / "tree")
    subprocess.run(["cp", "-a", samples("win10-x64").tree, tree], check=True)
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    secret.chmod(0o600)
    dest = tmp_path / "mirror"
    with open_media(tree) as media:
        last = [rel for rel, is_dir, _size in media.walk() if not is_dir][-1]
        swapped = []

        def progress(rel, _size):
            if not swapped:
                swapped.append(swap(tree, last, str(secret)))
        with pytest.raises(MediaError) as refused:
            media.copy_tree(str(dest), progress=progress)
    assert swapped and str(refused.value).count("\n") == 0 and "refused" in str(refused.value)
    assert all(SECRET not in data for data in _tree_files(str(dest)).values())
    return str(refused.value)


def test_file_swapped_for_symlink_during_copy_is_refused(samples, tmp_path):
    def swap(tree, rel, secret):
        os.unlink(os.path.join(tree, rel))
        os.symlink(secret, os.path.join(tree, rel))
        return rel
    assert "cannot open without following a link" in _swap_during_copy(samples, tmp_path, swap)


def test_folder_swapped_for_symlink_during_copy_is_refused(samples, tmp_path):
    def swap(tree, rel, secret):
        folder = os.path.join(tree, os.path.dirname(rel))
        outside = os.path.join(os.path.dirname(secret), "outside")
        os.makedirs(outside)
        os.link(secret, os.path.join(outside, os.path.basename(rel)))
        os.rename(folder, folder + ".old")
        os.symlink(outside, folder)
        return rel
    assert "cannot open without following a link" in _swap_during_copy(samples, tmp_path, swap)


def test_file_replaced_by_another_inode_is_refused(samples, tmp_path):
    def swap(tree, rel, secret):
        os.unlink(os.path.join(tree, rel))
        os.link(secret, os.path.join(tree, rel))   # a hard link: no symlink to notice, only the inode differs
        return rel
    assert "changed since the tree was listed" in _swap_during_copy(samples, tmp_path, swap)


MIB = 1048576


def _linked_tree(tmp_path, links=30, size=10 * MIB):
    """A tree with one SIZE-byte file and LINKS-1 more hard links to it in several folders, plus a small file."""
    tree = tmp_path / "linked"
    (tree / "sources").mkdir(parents=True)
    (tree / "sources" / "big.bin").write_bytes(os.urandom(size))
    for number in range(1, links):
        folder = tree / ("d%d" % (number % 5))
        folder.mkdir(exist_ok=True)
        os.link(tree / "sources" / "big.bin", folder / ("copy%02d.bin" % number))
    (tree / "small.txt").write_bytes(b"small\n")
    return tree


def _genisoimage(tree, iso, *options):
    subprocess.run(["genisoimage", "-quiet", "-iso-level", "3", "-o", str(iso)] + list(options) + [str(tree)],
                   check=True, capture_output=True, timeout=120)
    return str(iso)


def _inodes(root):
    """{(dev, ino): (size, names)} of the regular files under root."""
    found = {}
    for rel, data in _tree_files(str(root)).items():
        st = os.lstat(os.path.join(str(root), rel))
        found.setdefault((st.st_dev, st.st_ino), [len(data), []])[1].append(rel)
    return found


def _assert_one_big_inode(mirror, links):
    inodes = _inodes(mirror)
    big = [names for size, names in inodes.values() if size == 10 * MIB]
    assert len(big) == 1 and len(big[0]) == links   # 30 names, one inode: 10 MiB on disk, not 300
    assert sum(size for size, _names in inodes.values()) < 11 * MIB


def test_hard_links_on_a_udf_iso_stay_hard_links(tmp_path):
    require_tools()
    tree = _linked_tree(tmp_path)
    iso = _genisoimage(tree, tmp_path / "links.iso", "-udf")
    with open_media(iso) as media:
        assert media.namespace == "udf"
        placed = media.copy_tree(str(tmp_path / "mirror"))
    assert placed == 30 * 10 * MIB + 6
    assert _tree_files(str(tmp_path / "mirror")) == _tree_files(str(tree))
    _assert_one_big_inode(tmp_path / "mirror", 30)


def test_hard_links_in_a_tree_stay_hard_links(tmp_path):
    tree = _linked_tree(tmp_path)
    with open_media(str(tree)) as media:
        media.copy_tree(str(tmp_path / "mirror"))
    assert _tree_files(str(tmp_path / "mirror")) == _tree_files(str(tree))
    _assert_one_big_inode(tmp_path / "mirror", 30)


def test_overlapping_extents_are_refused_before_writing(tmp_path):
    """30 ISO9660 records point into one 10 MiB file, each a sector further: 299 MiB from a 10 MiB ISO."""
    require_tools()
    from test_hostile_media import find_record, set_extent
    tree = tmp_path / "overlap"
    (tree / "d").mkdir(parents=True)
    (tree / "big.bin").write_bytes(os.urandom(10 * MIB))
    for number in range(30):
        (tree / "d" / ("f%02d.bin" % number)).write_bytes(b"x")
    data = bytearray(open(_genisoimage(tree, tmp_path / "plain.iso"), "rb").read())
    extent = struct.unpack_from("<I", data, find_record(data, b"BIG.BIN") + 2)[0]
    for number in range(30):
        set_extent(data, find_record(data, b"D", b"F%02d.BIN" % number), extent + number, 10 * MIB - 2048 * number)
    iso = tmp_path / "overlap.iso"
    iso.write_bytes(bytes(data))
    with open_media(str(iso)) as media:
        with pytest.raises(MediaError) as refused:
            media.copy_tree(str(tmp_path / "mirror"))
    line = str(refused.value)
    assert "\n" not in line and "would write 299.2 MiB but the medium holds only 10.4 MiB" in line and "refused" in line
    assert not (tmp_path / "mirror").exists()


@pytest.fixture
def small_fs(tmp_path):
    """A 2 MiB tmpfs (needs root to mount; skipped otherwise), unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "h15small", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_no_room_at_the_destination_is_refused_before_writing(tmp_path, small_fs):
    tree = tmp_path / "three"
    tree.mkdir()
    (tree / "a.bin").write_bytes(os.urandom(3 * MIB))
    with open_media(str(tree)) as media:
        with pytest.raises(ToolError) as refused:
            media.copy_tree(str(small_fs / "mirror"))
    line = str(refused.value)
    assert "\n" not in line and "needs 3.0 MiB, only 2.0 MiB is free there" in line
    assert os.listdir(str(small_fs)) == []


def test_prune_removes_what_the_medium_no_longer_lists(samples, tmp_path):
    mirror = tmp_path / "mirror"
    old = tmp_path / "old"
    subprocess.run(["cp", "-a", samples("win10-x64").tree, str(old)], check=True)
    (old / "sources" / "install.wim").write_bytes(b"old install image")
    (old / "gone").mkdir()
    (old / "gone" / "f.txt").write_bytes(b"old")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_bytes(b"not the mirror's")
    with open_media(str(old)) as media:
        media.copy_tree(str(mirror))
    os.symlink(str(outside), str(mirror / "link-out"))
    (mirror / "mark").write_bytes(b"kept")
    with open_media(samples("win10-x64").tree) as media:
        media.copy_tree(str(mirror), prune_keeping={"mark"})
    assert _tree_files(str(mirror)) == dict(_tree_files(samples("win10-x64").tree), mark=b"kept")
    assert not os.path.lexists(str(mirror / "link-out")) and not (mirror / "gone").exists()
    assert (outside / "keep.txt").read_bytes() == b"not the mirror's"
