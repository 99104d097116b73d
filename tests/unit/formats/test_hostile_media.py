"""Hostile media, generated at test time: `cobbler-winpe inspect` fails in one line and nothing escapes its target.

Every case starts from real sample media (wimlib + genisoimage) and breaks one thing: garbage or truncated ISOs,
patched ISO 9660 directory records (loops, huge sizes, extents past the end), patched Rock Ridge / Joliet names
(`..`, '/', NUL, backslash, control characters), WIMs with bad headers, offsets and sizes, XML bombs and huge or
non-UTF-16 XML, symlinks and special files in trees, and media without editions.  For each case:
- `cobbler-winpe inspect PATH` (a subprocess) exits 1 within TIMEOUT with exactly one stderr line that names PATH
  and holds no traceback;
- opening the media, copy_tree() and boot-file extraction into DEST (another subprocess) either work or raise the
  package's own errors, write nothing but regular files below DEST, leave no temp files and change nothing else.
"""
import dataclasses
import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess
import sys

import pytest

from cobbler_winpe.sample import media as sample
from media_fixtures import (OFF_BOOT_IDX, OFF_FLAGS, OFF_HDR_SIZE, OFF_IMAGE_COUNT, OFF_PART, OFF_TOTAL_PARTS,
                            OFF_VERSION, OFF_XML_RESHDR, require_tools, utf16, with_xml)

TIMEOUT = 30
SECTOR = 2048
CLI = [sys.executable, "-m", "cobbler_winpe"]

# Opens the media, copies the whole tree and extracts boot files into DEST; prints one JSON line of outcomes.
RUNNER = r"""
import json, os, sys
from cobbler_winpe.errors import WinpeError
from cobbler_winpe.media.source import open_media
from cobbler_winpe.wim import extract
path, dest = sys.argv[1], sys.argv[2]
outcomes = []
def attempt(what, action):
    try:
        action()
        outcomes.append(what + ": ok")
    except WinpeError as err:
        outcomes.append("%s: %s: %s" % (what, type(err).__name__, err))
try:
    with open_media(path) as media:
        attempt("copy", lambda: media.copy_tree(os.path.join(dest, "tree")))
        for rel in ("sources/boot.wim", "sources/install.wim"):
            attempt(rel, lambda: extract.extract_from_media(media, rel, None, os.path.join(dest, "boot")))
except WinpeError as err:
    outcomes.append("open: %s: %s" % (type(err).__name__, err))
print(json.dumps(outcomes))
"""

CASES = {}


def case(name):
    """Register a builder(base, folder) -> media path under NAME."""
    def register(builder):
        assert name not in CASES, name
        CASES[name] = builder
        return builder
    return register


# ---- base media, built once per module ----------------------------------------------------------------------

@dataclasses.dataclass
class Base:
    """Sample media to break: a tree and ISOs of the same medium in several layouts, and a valid spare WIM."""
    work: str
    tree: str
    isos: dict
    boot_wim: bytes
    install_wim: bytes


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    require_tools()
    return build_base(str(tmp_path_factory.mktemp("hostile-base")))


def build_base(work):
    """The Base media under WORK (also used by the integration import tests)."""
    isos = {}
    for layout in ("hidden", "iso9660", "rockridge", "joliet"):
        spec = dataclasses.replace(sample.preset("win11-x64", layout=layout), name="w11-" + layout)
        built = sample.build_sample_media(work, spec)
        isos[layout] = built.iso
    tree = os.path.join(work, "w11-hidden")
    return Base(work, tree, isos, read(os.path.join(tree, "sources", "boot.wim")),
                read(os.path.join(tree, "sources", "install.wim")))


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)   # never write through a hard link into the shared base tree
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def tree_copy(base, folder, name="media"):
    """A copy of the base tree (hard links: replace files, never edit them in place)."""
    dest = os.path.join(folder, name)
    shutil.copytree(base.tree, dest, copy_function=os.link)
    return dest


def tree_with(base, folder, relpath, data):
    """A tree copy whose RELPATH holds DATA."""
    dest = tree_copy(base, folder)
    write(os.path.join(dest, relpath), data)
    return dest


def iso_from_tree(tree, folder, layout="hidden"):
    """An ISO made from a (broken) tree with the sample builder's genisoimage options."""
    iso = os.path.join(folder, "media.iso")
    argv = ["genisoimage", "-quiet", "-iso-level", "3", "-no-pad", "-V", "HOSTILE", "-o", iso]
    subprocess.run(argv + sample.LAYOUTS[layout] + [tree], check=True, capture_output=True, timeout=60)
    return iso


def iso_copy(base, folder, layout, patch=None):
    """A copy of the base ISO of LAYOUT, passed as a bytearray through PATCH first."""
    data = bytearray(read(base.isos[layout]))
    if patch:
        patch(data)
    return write(os.path.join(folder, "media.iso"), bytes(data))


# ---- ISO 9660 directory records ----------------------------------------------------------------------------

ROOT_RECORD = 16 * SECTOR + 156     # the root directory record inside the primary volume descriptor


def joliet_root(data):
    """The root directory record of the Joliet supplementary volume descriptor (type 2, UCS-2 escape)."""
    for sector in range(17, 32):
        start = sector * SECTOR
        if data[start] == 2 and data[start + 1:start + 6] == b"CD001" and data[start + 88:start + 90] == b"%/":
            return start + 156
    raise AssertionError("no Joliet volume descriptor")


def record(data, offset):
    """(length, extent, size, name) of the directory record at OFFSET."""
    length = data[offset]
    extent, size = struct.unpack_from("<I", data, offset + 2)[0], struct.unpack_from("<I", data, offset + 10)[0]
    name_len = data[offset + 32]
    return length, extent, size, bytes(data[offset + 33:offset + 33 + name_len])


def records(data, extent, size):
    """Offsets of the directory records inside a directory's extent (bounded by its size)."""
    offset, end = extent * SECTOR, extent * SECTOR + size
    while offset < end:
        if data[offset] == 0:
            offset = (offset // SECTOR + 1) * SECTOR
            continue
        yield offset
        offset += data[offset]


def find_record(data, *names):
    """The offset of the record of NAMES (e.g. b"SOURCES", b"BOOT.WIM") below the root."""
    offset = ROOT_RECORD
    for name in names:
        _len, extent, size, _name = record(data, offset)
        offset = next(o for o in records(data, extent, size)
                      if record(data, o)[3].split(b";")[0].upper() == name.upper())
    return offset


def set_extent(data, offset, extent=None, size=None):
    """Rewrite the both-endian extent and/or size of the record at OFFSET."""
    if extent is not None:
        struct.pack_into("<I", data, offset + 2, extent)
        struct.pack_into(">I", data, offset + 6, extent)
    if size is not None:
        struct.pack_into("<I", data, offset + 10, size)
        struct.pack_into(">I", data, offset + 14, size)


def relink(names, extent=None, size=None, to_root=False):
    """A patch giving the record of NAMES another extent/size (or the root's: a loop)."""
    def patch(data):
        offset = find_record(data, *names)
        if to_root:
            _len, root_extent, root_size, _ = record(data, ROOT_RECORD)
            set_extent(data, offset, root_extent, root_size)
        else:
            set_extent(data, offset, extent, size)
    return patch


def rename_in_dir(dir_names, old, new, joliet=False):
    """A patch replacing the bytes OLD by NEW (same length) inside the directory extent of DIR_NAMES."""
    assert len(old) == len(new)

    def patch(data):
        offset = find_record(data, *dir_names) if dir_names else joliet_root(data) if joliet else ROOT_RECORD
        _len, extent, size, _name = record(data, offset)
        start, end = extent * SECTOR, extent * SECTOR + size
        found = data.find(old, start, end)
        assert found >= 0, (old, dir_names)
        data[found:found + len(old)] = new
    return patch


# ---- WIM surgery --------------------------------------------------------------------------------------------

def wim_field(wim, offset, fmt, value):
    data = bytearray(wim)
    struct.pack_into(fmt, data, offset, value)
    return bytes(data)


def xml_reshdr(wim, size, flags, offset):
    data = bytearray(wim)
    struct.pack_into("<7sBQQ", data, OFF_XML_RESHDR, size.to_bytes(7, "little"), flags, offset, size)
    return bytes(data)


def xml_span(wim):
    size = int.from_bytes(wim[OFF_XML_RESHDR:OFF_XML_RESHDR + 7], "little")
    offset = struct.unpack_from("<Q", wim, OFF_XML_RESHDR + 8)[0]
    return offset, size


def real_xml(wim):
    offset, size = xml_span(wim)
    return wim[offset:offset + size]


def image_xml(index="1", extra=""):
    return ('<IMAGE INDEX="%s"><NAME>Hostile</NAME><WINDOWS><ARCH>9</ARCH><VERSION><MAJOR>10</MAJOR>'
            '<BUILD>22631</BUILD></VERSION></WINDOWS>%s</IMAGE>' % (index, extra))


def boot_wim_case(name, mutate):
    """Register a case whose sources/boot.wim is MUTATE(valid boot.wim bytes)."""
    case(name)(lambda base, folder: tree_with(base, folder, "sources/boot.wim", mutate(base.boot_wim)))


def install_wim_case(name, mutate):
    case(name)(lambda base, folder: tree_with(base, folder, "sources/install.wim", mutate(base.install_wim)))


def xml_case(name, xml_bytes, count=1):
    """A boot.wim whose XML resource is replaced (header: COUNT images, the first one boots)."""
    def mutate(wim):
        return with_xml(wim_field(wim_field(wim, OFF_IMAGE_COUNT, "<I", count), OFF_BOOT_IDX, "<I", 1), xml_bytes)
    boot_wim_case(name, mutate)


# ---- the cases ----------------------------------------------------------------------------------------------
# Garbage and truncated ISOs.
case("iso-empty")(lambda base, folder: write(os.path.join(folder, "empty.iso"), b""))
case("iso-one-byte")(lambda base, folder: write(os.path.join(folder, "one.iso"), b"\x01"))
case("iso-text")(lambda base, folder: write(os.path.join(folder, "text.iso"), b"this is not an ISO\n" * 100))
case("iso-zeros")(lambda base, folder: write(os.path.join(folder, "zeros.iso"), bytes(64 * SECTOR)))
case("iso-random")(lambda base, folder: write(os.path.join(folder, "random.iso"),
                                               b"".join(hashlib.sha512(b"%d" % i).digest() for i in range(16384))))
case("iso-pvd-magic")(lambda base, folder: iso_copy(
    base, folder, "iso9660", lambda d: d.__setitem__(slice(16 * SECTOR + 1, 16 * SECTOR + 6), b"XX001")))
case("iso-pvd-space-size-huge")(lambda base, folder: iso_copy(
    base, folder, "iso9660", lambda d: struct.pack_into("<I", d, 16 * SECTOR + 80, 0x7FFFFFFF)))
case("iso-pvd-block-size-zero")(lambda base, folder: iso_copy(
    base, folder, "iso9660", lambda d: struct.pack_into("<H", d, 16 * SECTOR + 128, 0)))


def truncated(layout, keep):
    def build(base, folder):
        data = read(base.isos[layout])
        return write(os.path.join(folder, "cut.iso"), data[:keep(len(data))])
    return build


case("iso-cut-after-pvd")(truncated("hidden", lambda n: 17 * SECTOR))
case("iso-cut-at-udf-anchor")(truncated("hidden", lambda n: 256 * SECTOR + 100))
case("iso-cut-half")(truncated("hidden", lambda n: n // 2))
case("iso-cut-last-byte")(truncated("hidden", lambda n: n - 1))
case("iso9660-cut-half")(truncated("iso9660", lambda n: n // 2))
case("iso-udf-anchor-zeroed")(lambda base, folder: iso_copy(
    base, folder, "hidden", lambda d: d.__setitem__(slice(256 * SECTOR, 257 * SECTOR), bytes(SECTOR))))

# Looping and huge directory records.
case("dir-loop-sources-to-root")(lambda base, folder: iso_copy(
    base, folder, "iso9660", relink([b"SOURCES"], to_root=True)))
case("dir-loop-rockridge")(lambda base, folder: iso_copy(
    base, folder, "rockridge", relink([b"SOURCES"], to_root=True)))
case("dir-loop-deep-fonts-to-root")(lambda base, folder: iso_copy(
    base, folder, "iso9660", relink([b"BOOT", b"FONTS"], to_root=True)))
case("dir-sources-size-4g")(lambda base, folder: iso_copy(
    base, folder, "iso9660", relink([b"SOURCES"], size=0xFFFFF800)))
case("dir-root-size-2g")(lambda base, folder: iso_copy(
    base, folder, "iso9660", lambda d: set_extent(d, ROOT_RECORD, size=0x7FFFF800)))
case("dir-sources-extent-past-end")(lambda base, folder: iso_copy(
    base, folder, "iso9660", relink([b"SOURCES"], extent=0x00F00000)))
case("dir-record-length-zero")(lambda base, folder: iso_copy(
    base, folder, "iso9660", lambda d: d.__setitem__(find_record(d, b"SOURCES"), 0)))
case("file-boot-wim-extent-past-end")(lambda base, folder: iso_copy(
    base, folder, "iso9660", relink([b"SOURCES", b"BOOT.WIM"], extent=0x00F00000)))
case("file-boot-wim-size-zero")(lambda base, folder: iso_copy(
    base, folder, "iso9660", relink([b"SOURCES", b"BOOT.WIM"], size=0)))
case("file-boot-wim-size-short")(lambda base, folder: iso_copy(
    base, folder, "iso9660", relink([b"SOURCES", b"BOOT.WIM"], size=1000)))

# Hostile names on the ISO (Rock Ridge NM and Joliet UTF-16 names patched to same-length hostile ones).
for _label, _new in (("slash", b"../srcs"), ("backslash", b"..\\srcs"), ("nul", b"sour\0es"),
                     ("absolute", b"/source"), ("carriage-return", b"sour\res")):
    case("rr-name-" + _label)(lambda base, folder, new=_new: iso_copy(
        base, folder, "rockridge", rename_in_dir([], b"sources", new)))
    case("joliet-name-" + _label)(lambda base, folder, new=_new: iso_copy(
        base, folder, "joliet", rename_in_dir([], "sources".encode("utf-16-be"), new.decode().encode("utf-16-be"), joliet=True)))
case("rr-boot-wim-dotdot")(lambda base, folder: iso_copy(
    base, folder, "rockridge", rename_in_dir([b"SOURCES"], b"boot.wim", b"../b.wim")))
case("iso9660-name-slash")(lambda base, folder: iso_copy(
    base, folder, "iso9660", rename_in_dir([], b"SOURCES", b"SOU/CES")))


@case("rr-symlink-boot-wim-outside")
def _rr_symlink(base, folder):
    tree = tree_copy(base, folder)
    os.unlink(os.path.join(tree, "sources", "boot.wim"))
    os.symlink("/etc/passwd", os.path.join(tree, "sources", "boot.wim"))
    return iso_from_tree(tree, folder, "rockridge")


@case("rr-very-long-names")
def _rr_long(base, folder):
    tree = tree_copy(base, folder)
    long_dir = os.path.join(tree, "x" * 200)
    os.rename(os.path.join(tree, "sources"), long_dir)
    write(os.path.join(long_dir, "y" * 200 + ".wim"), base.boot_wim)
    return iso_from_tree(tree, folder, "rockridge")


# Trees: symlinks leaving the tree, special files, missing pieces, very long names.
def tree_with_boot_wim_link(base, folder, *links):
    """A tree copy whose sources/boot.wim is a symlink; LINKS are (target, name in sources/) pairs, boot.wim first."""
    tree = tree_copy(base, folder)
    os.unlink(os.path.join(tree, "sources", "boot.wim"))
    for target, name in links:
        os.symlink(target, os.path.join(tree, "sources", name))
    return tree


@case("tree-boot-wim-symlink-outside")
def _tree_link_file(base, folder):
    outside = write(os.path.join(folder, "outside", "boot.wim"), base.boot_wim)
    return tree_with_boot_wim_link(base, folder, (outside, "boot.wim"))


@case("tree-sources-symlink-outside")
def _tree_link_dir(base, folder):
    tree = tree_copy(base, folder)
    outside = os.path.join(folder, "outside-sources")
    os.rename(os.path.join(tree, "sources"), outside)
    os.symlink(os.path.relpath(outside, tree), os.path.join(tree, "sources"))
    return tree


@case("tree-boot-wim-symlink-dev-zero")
def _tree_dev_zero(base, folder):
    return tree_with_boot_wim_link(base, folder, ("/dev/zero", "boot.wim"))


@case("tree-boot-wim-symlink-loop")
def _tree_loop(base, folder):
    return tree_with_boot_wim_link(base, folder, ("loop.wim", "boot.wim"), ("boot.wim", "loop.wim"))


@case("tree-install-wim-fifo")
def _tree_fifo(base, folder):
    tree = tree_copy(base, folder)
    os.unlink(os.path.join(tree, "sources", "install.wim"))
    os.mkfifo(os.path.join(tree, "sources", "install.wim"))
    return tree


@case("tree-sources-is-a-file")
def _tree_sources_file(base, folder):
    tree = tree_copy(base, folder)
    shutil.rmtree(os.path.join(tree, "sources"))
    write(os.path.join(tree, "sources"), base.boot_wim)
    return tree


@case("tree-boot-wim-is-a-directory")
def _tree_boot_dir(base, folder):
    tree = tree_copy(base, folder)
    os.unlink(os.path.join(tree, "sources", "boot.wim"))
    os.makedirs(os.path.join(tree, "sources", "boot.wim", "x"))
    return tree


@case("tree-backslash-sources")
def _tree_backslash(base, folder):
    tree = tree_copy(base, folder)
    os.rename(os.path.join(tree, "sources"), os.path.join(tree, "..\\sources"))
    return tree


@case("tree-deep-long-names")
def _tree_deep(base, folder):
    tree = tree_copy(base, folder)
    shutil.rmtree(os.path.join(tree, "sources"))
    deep = os.path.join(tree, *(["d" * 40] * 90))
    os.makedirs(deep)
    write(os.path.join(deep, "n" * 250), b"x")
    return tree


@case("tree-empty")
def _tree_empty(base, folder):
    os.makedirs(os.path.join(folder, "empty"))
    return os.path.join(folder, "empty")


@case("tree-only-install")
def _tree_only_install(base, folder):
    tree = tree_copy(base, folder)
    os.unlink(os.path.join(tree, "sources", "boot.wim"))
    return tree


@case("tree-only-boot-not-winpe")
def _tree_only_boot(base, folder):
    """No install image, and the boot.wim is no bootable WinPE (an install.wim under its name)."""
    tree = tree_copy(base, folder)
    os.replace(os.path.join(tree, "sources", "install.wim"), os.path.join(tree, "sources", "boot.wim"))
    return tree


def bare_wim(folder, data):
    path = os.path.join(folder, "LiteTouchPE_x64.wim")
    with open(path, "wb") as out:
        out.write(data)
    return path


case("wim-file-not-winpe")(lambda base, folder: bare_wim(folder, base.install_wim))     # an install.wim given
case("wim-file-truncated")(lambda base, folder: bare_wim(folder, base.boot_wim[:len(base.boot_wim) // 2]))
case("wim-file-header-only")(lambda base, folder: bare_wim(folder, base.boot_wim[:208]))


# WIM headers, offsets and sizes.
boot_wim_case("wim-empty-file", lambda wim: b"")
boot_wim_case("wim-header-cut", lambda wim: wim[:100])
boot_wim_case("wim-cut-half", lambda wim: wim[:len(wim) // 2])
boot_wim_case("wim-bad-magic", lambda wim: b"MSWIM\0\0\1" + wim[8:])
boot_wim_case("wim-pipable-magic", lambda wim: b"WLPWM\0\0\0" + wim[8:])
boot_wim_case("wim-header-size", lambda wim: wim_field(wim, OFF_HDR_SIZE, "<I", 0xFFFFFFFF))
boot_wim_case("wim-version", lambda wim: wim_field(wim, OFF_VERSION, "<I", 0x1234))
boot_wim_case("wim-part-zero", lambda wim: wim_field(wim, OFF_PART, "<H", 0))
boot_wim_case("wim-total-parts-zero", lambda wim: wim_field(wim, OFF_TOTAL_PARTS, "<H", 0))
boot_wim_case("wim-image-count-huge", lambda wim: wim_field(wim, OFF_IMAGE_COUNT, "<I", 0xFFFFFFFF))
boot_wim_case("wim-image-count-mismatch", lambda wim: wim_field(wim, OFF_IMAGE_COUNT, "<I", 5))
boot_wim_case("wim-boot-index-too-big", lambda wim: wim_field(wim, OFF_BOOT_IDX, "<I", 77))
boot_wim_case("wim-write-in-progress", lambda wim: wim_field(
    wim, OFF_FLAGS, "<I", struct.unpack_from("<I", wim, OFF_FLAGS)[0] | 0x40))
boot_wim_case("wim-xml-offset-past-end", lambda wim: xml_reshdr(wim, xml_span(wim)[1], 0, len(wim) + 4096))
boot_wim_case("wim-xml-offset-wraps", lambda wim: xml_reshdr(wim, xml_span(wim)[1], 0, 2 ** 64 - 16))
boot_wim_case("wim-xml-size-huge", lambda wim: xml_reshdr(wim, 2 ** 56 - 1, 0, xml_span(wim)[0]))
boot_wim_case("wim-xml-compressed-flag", lambda wim: xml_reshdr(wim, xml_span(wim)[1], 0x04, xml_span(wim)[0]))
boot_wim_case("wim-xml-missing", lambda wim: xml_reshdr(wim, 0, 0, 0))
install_wim_case("install-wim-garbage", lambda wim: bytes(range(256)) * 64)

# XML bombs, huge XML, XML that is not UTF-16 or not what a WIM holds.
_LAUGHS = "".join('<!ENTITY l%d "%s">' % (i, ("&l%d;" % (i - 1)) * 10 if i else "lol") for i in range(10))
xml_case("xml-billion-laughs", utf16('<?xml version="1.0"?><!DOCTYPE WIM [%s]><WIM>%s</WIM>'
                                     % (_LAUGHS, image_xml(extra="<NAME>&l9;</NAME>"))))
xml_case("xml-quadratic-blowup", utf16('<!DOCTYPE WIM [<!ENTITY a "%s">]><WIM>%s</WIM>'
                                       % ("A" * 50000, image_xml(extra="<D>" + "&a;" * 2000 + "</D>"))))
xml_case("xml-external-entity", utf16('<!DOCTYPE WIM [<!ENTITY x SYSTEM "file:///etc/passwd">]><WIM>%s</WIM>'
                                      % image_xml(extra="<D>&x;</D>")))
xml_case("xml-deep-nesting", utf16("<WIM>" + "<A>" * 100000 + "</A>" * 100000 + "</WIM>"))
xml_case("xml-too-many-elements", utf16("<WIM>" + image_xml() + "<B/>" * 250000 + "</WIM>"))
xml_case("xml-over-size-cap", utf16("<WIM>" + image_xml() + "<!--" + "x" * (9 * 1024 * 1024) + "--></WIM>"))
xml_case("xml-huge-no-image", utf16("<WIM>" + "<!--" + "x" * (7 * 1024 * 1024) + "--></WIM>"))
xml_case("xml-utf8-not-utf16", ("<WIM>%s</WIM>" % image_xml()).encode("utf-8"))
xml_case("xml-utf16-big-endian", b"\xfe\xff" + ("<WIM>%s</WIM>" % image_xml()).encode("utf-16-be"))
xml_case("xml-odd-length", utf16("<WIM>%s</WIM>" % image_xml()) + b"\x00")
xml_case("xml-lone-surrogate", utf16("<WIM>") + b"\x00\xd8" + utf16("%s</WIM>" % image_xml())[2:])
xml_case("xml-not-well-formed", utf16("<WIM><IMAGE INDEX='1'><NAME>x</WIM>"))
xml_case("xml-root-not-wim", utf16("<NOTWIM>%s</NOTWIM>" % image_xml()))
xml_case("xml-index-missing", utf16("<WIM>%s</WIM>" % image_xml().replace(' INDEX="1"', "")))
xml_case("xml-index-zero", utf16("<WIM>%s</WIM>" % image_xml("0")))
xml_case("xml-index-duplicate", utf16("<WIM>%s%s</WIM>" % (image_xml(), image_xml())), count=2)
xml_case("xml-control-chars", utf16("<WIM>%s</WIM>" % image_xml().replace("Hostile", "a\x01b")))

# Media with no editions.
install_wim_case("install-xml-no-image", lambda wim: with_xml(wim_field(wim, OFF_IMAGE_COUNT, "<I", 0),
                                                              utf16("<WIM><TOTALBYTES>0</TOTALBYTES></WIM>")))


def _emptied(wim, folder):
    path = write(os.path.join(folder, "emptied.wim"), wim)
    count = struct.unpack_from("<I", wim, OFF_IMAGE_COUNT)[0]
    for index in range(count, 0, -1):
        subprocess.run(["wimlib-imagex", "delete", path, str(index)], check=True, capture_output=True, timeout=60)
    data = read(path)
    os.unlink(path)
    return data


case("install-wim-all-images-deleted")(lambda base, folder: tree_with(
    base, folder, "sources/install.wim", _emptied(base.install_wim, folder)))
case("boot-wim-all-images-deleted")(lambda base, folder: tree_with(
    base, folder, "sources/boot.wim", _emptied(base.boot_wim, folder)))


# The same damage read through an ISO (pycdlib streams instead of host files).
@case("iso-with-bad-wim-magic")
def _iso_bad_magic(base, folder):
    tree = tree_with(base, folder, "sources/boot.wim", b"NOTAWIM!" + base.boot_wim[8:])
    return iso_from_tree(tree, folder)


@case("iso-with-xml-bomb")
def _iso_bomb(base, folder):
    bomb = with_xml(base.boot_wim, utf16('<!DOCTYPE WIM [%s]><WIM>%s</WIM>' % (_LAUGHS, image_xml())))
    return iso_from_tree(tree_with(base, folder, "sources/boot.wim", bomb), folder)


@case("iso-with-no-editions")
def _iso_no_editions(base, folder):
    tree = tree_with(base, folder, "sources/install.wim", _emptied(base.install_wim, folder))
    return iso_from_tree(tree, folder)


# ---- checks -------------------------------------------------------------------------------------------------

def snapshot(root, *skip):
    """{relpath: (type, size, mtime, inode)} of everything below ROOT except the folders SKIP."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skip]
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            found[os.path.relpath(path, root)] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, st.st_ino)
    return found


def run(argv, cwd, env=None):
    return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
                          env=dict(os.environ, **(env or {})), errors="replace")


def assert_regular_inside(dest):
    """Every entry below DEST is a regular file or directory whose real path stays below DEST."""
    real = os.path.realpath(dest)
    for folder, dirs, files in os.walk(dest):
        for name in dirs + files:
            path = os.path.join(folder, name)
            mode = os.lstat(path).st_mode
            assert stat.S_ISREG(mode) or stat.S_ISDIR(mode), path
            assert os.path.realpath(path).startswith(real + os.sep), path


def test_at_least_fifty_cases():
    assert len(CASES) >= 50, len(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_media(name, base, tmp_path):
    folder = str(tmp_path / "case")
    os.makedirs(folder)
    path = CASES[name](base, folder)
    temp, dest = str(tmp_path / "tmpdir"), str(tmp_path / "dest")
    os.makedirs(temp)
    before = snapshot(str(tmp_path), dest, temp)

    done = run(CLI + ["inspect", path], cwd=str(tmp_path), env={"TMPDIR": temp})
    lines = done.stderr.splitlines()
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert len(lines) == 1 and lines[0].startswith("cobbler-winpe: "), done.stderr
    assert path in lines[0], lines[0]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.stdout == ""

    done = run([sys.executable, "-c", RUNNER, path, dest], cwd=str(tmp_path), env={"TMPDIR": temp})
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    outcomes = json.loads(done.stdout)
    assert outcomes, done.stdout
    assert snapshot(str(tmp_path), dest, temp) == before, outcomes
    assert os.listdir(temp) == [], outcomes
    if os.path.exists(dest):
        assert_regular_inside(dest)


# ---- hostile names and links inside a WIM image (inspect reads only metadata: extraction must hold) ----------

def hostile_boot_wim(folder):
    """A boot.wim whose boot folders hold backslash/dot-dot names, a newline name and symlinks leaving the image."""
    pe = os.path.join(folder, "pe")
    for rel in ("Windows/Boot/EFI/bootmgfw.efi", "Windows/Boot/Fonts/..\\..\\..\\..\\evil.ttf",
                "Windows/Boot/Fonts/ok.ttf", "Windows/Boot/EFI/en-US/bad\nname.efi.mui",
                "Windows/Boot/PXE/..\\pxeboot.n12"):
        write(os.path.join(pe, rel), b"payload " + rel.encode())
    os.symlink("/etc/passwd", os.path.join(pe, "Windows/Boot/Fonts/passwd.ttf"))
    os.makedirs(os.path.join(pe, "Windows/Boot/PXE"), exist_ok=True)
    os.symlink("../../../../../../etc/shadow", os.path.join(pe, "Windows/Boot/PXE/pxeboot.n12"))
    wim = os.path.join(folder, "boot.wim")
    subprocess.run(["wimlib-imagex", "capture", pe, wim, "PE", "--boot", "--no-acls"], check=True,
                   capture_output=True, timeout=60)
    return wim


def test_extraction_of_hostile_wim_names_stays_in_dest(tmp_path):
    require_tools()
    wim = hostile_boot_wim(str(tmp_path / "build"))
    temp, dest = str(tmp_path / "tmpdir"), str(tmp_path / "dest")
    os.makedirs(temp)
    before = snapshot(str(tmp_path), dest, temp)
    code = ("import sys\nfrom cobbler_winpe.errors import WinpeError\nfrom cobbler_winpe.wim import extract\n"
            "try:\n    print(sorted(extract.extract_boot_files(sys.argv[1], 1, sys.argv[2]).all()))\n"
            "except WinpeError as err:\n    print('refused:', err)\n")
    done = run([sys.executable, "-c", code, wim, dest], cwd=str(tmp_path), env={"TMPDIR": temp})
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "refused:" in done.stdout and "not a regular file" in done.stdout, done.stdout
    assert snapshot(str(tmp_path), dest, temp) == before
    assert os.listdir(temp) == []
    assert_regular_inside(dest)
    written = [os.path.join(f, n) for f, _d, names in os.walk(dest) for n in names]
    assert not any("evil" in p or "\n" in p or "passwd" in p for p in written), written
