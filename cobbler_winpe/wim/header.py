"""Read and check a WIM header: the 208-byte structure at offset 0 of every .wim, .esd and .swm file."""
import struct
from dataclasses import dataclass

from cobbler_winpe.errors import MediaError

HEADER_SIZE = 208
MAGIC = b"MSWIM\0\0\0"
PWM_MAGIC = b"WLPWM\0\0\0"   # a "pipable" WIM written by wimlib: different layout, not supported here

# Header fields, in on-disk order (all little-endian):
#   magic            8s   "MSWIM\0\0\0"
#   hdr_size         u32  size of this header: always 208
#   wim_version      u32  0x10d00 for ordinary WIMs, 0xe00 for WIMs with solid resources (ESD)
#   flags            u32  WIM_HDR_FLAG_* below
#   chunk_size       u32  uncompressed size of a compression chunk (32768 for LZX; 0 when uncompressed)
#   guid             16s  identifies the WIM; all parts of a split WIM share it
#   part_number      u16  1-based part of a split WIM (1 for an unsplit WIM)
#   total_parts      u16  number of parts (1 for an unsplit WIM)
#   image_count      u32  number of images
#   blob_table       24s  resource header of the blob (lookup) table
#   xml_data         24s  resource header of the UTF-16LE XML metadata (stored uncompressed)
#   boot_metadata    24s  resource header of the bootable image's metadata (zero if none)
#   boot_idx         u32  1-based index of the bootable image, 0 if none
#   integrity        24s  resource header of the integrity table (zero if none)
#   unused           60s  reserved, zero
_HEADER = struct.Struct("<8sIIII16sHHI24s24s24sI24s60s")
assert _HEADER.size == HEADER_SIZE

# A resource header: size in WIM (56 bits), flags (8 bits), offset in WIM (u64), uncompressed size (u64).
_RESHDR = struct.Struct("<7sBQQ")

WIM_VERSION_DEFAULT = 0x10D00
WIM_VERSION_SOLID = 0xE00

FLAG_RESERVED = 0x00000001
FLAG_COMPRESSION = 0x00000002
FLAG_READONLY = 0x00000004
FLAG_SPANNED = 0x00000008
FLAG_RESOURCE_ONLY = 0x00000010
FLAG_METADATA_ONLY = 0x00000020
FLAG_WRITE_IN_PROGRESS = 0x00000040
FLAG_RP_FIX = 0x00000080
FLAG_COMPRESS_RESERVED = 0x00010000
FLAG_COMPRESS_XPRESS = 0x00020000
FLAG_COMPRESS_LZX = 0x00040000
FLAG_COMPRESS_LZMS = 0x00080000
FLAG_COMPRESS_XPRESS_2 = 0x00200000

RESHDR_FLAG_FREE = 0x01
RESHDR_FLAG_METADATA = 0x02
RESHDR_FLAG_COMPRESSED = 0x04
RESHDR_FLAG_SPANNED = 0x08
RESHDR_FLAG_SOLID = 0x10

_COMPRESSION_NAMES = (
    (FLAG_COMPRESS_LZMS, "lzms"),
    (FLAG_COMPRESS_LZX, "lzx"),
    (FLAG_COMPRESS_XPRESS, "xpress"),
    (FLAG_COMPRESS_XPRESS_2, "xpress"),
)

MAX_IMAGE_COUNT = 1000     # real media hold a few dozen at most
MAX_PARTS = 1000


@dataclass(frozen=True)
class ResourceHeader:
    """Where a resource lies in the WIM file and how it is stored."""
    size_in_wim: int
    flags: int
    offset: int
    uncompressed_size: int

    @classmethod
    def parse(cls, data):
        size7, flags, offset, uncompressed = _RESHDR.unpack(data)
        return cls(int.from_bytes(size7, "little"), flags, offset, uncompressed)

    @property
    def is_empty(self):
        return self.size_in_wim == 0 and self.offset == 0

    @property
    def is_compressed(self):
        return bool(self.flags & RESHDR_FLAG_COMPRESSED)


@dataclass(frozen=True)
class WimHeader:
    """The fields of a WIM header, checked."""
    wim_version: int
    flags: int
    chunk_size: int
    guid: bytes
    part_number: int
    total_parts: int
    image_count: int
    blob_table: ResourceHeader
    xml_data: ResourceHeader
    boot_metadata: ResourceHeader
    boot_index: int
    integrity: ResourceHeader

    @property
    def compression(self):
        """'none', 'xpress', 'lzx' or 'lzms'."""
        if not self.flags & FLAG_COMPRESSION:
            return "none"
        for flag, name in _COMPRESSION_NAMES:
            if self.flags & flag:
                return name
        return "unknown"

    @property
    def has_integrity(self):
        return not self.integrity.is_empty

    @property
    def is_solid(self):
        return self.wim_version == WIM_VERSION_SOLID

    @property
    def is_split(self):
        return self.total_parts > 1


def parse_header(data, name):
    """Parse and check the first 208 bytes of a WIM; ``name`` says which file, for errors."""
    if len(data) < HEADER_SIZE:
        raise MediaError(name, "truncated WIM header (%d of %d bytes)" % (len(data), HEADER_SIZE),
                         "the file is incomplete: copy it again from the original media")
    (magic, hdr_size, version, flags, chunk_size, guid, part_number, total_parts, image_count,
     blob_table, xml_data, boot_metadata, boot_idx, integrity, _unused) = _HEADER.unpack(data[:HEADER_SIZE])
    if magic == PWM_MAGIC:
        raise MediaError(name, "pipable WIM (WLPWM) is not supported",
                         "convert it with: wimlib-imagex optimize --not-pipable")
    if magic != MAGIC:
        raise MediaError(name, "not a WIM file (bad magic %r)" % magic[:8])
    if hdr_size != HEADER_SIZE:
        raise MediaError(name, "WIM header size is invalid (%d bytes)" % hdr_size)
    if version not in (WIM_VERSION_DEFAULT, WIM_VERSION_SOLID):
        raise MediaError(name, "unsupported WIM version 0x%x" % version)
    if total_parts == 0 or total_parts > MAX_PARTS or not 1 <= part_number <= total_parts:
        raise MediaError(name, "invalid WIM part number: %d of %d" % (part_number, total_parts))
    if image_count > MAX_IMAGE_COUNT:
        raise MediaError(name, "invalid WIM image count (%d)" % image_count)
    if boot_idx > image_count:
        raise MediaError(name, "invalid WIM boot index %d (image count %d)" % (boot_idx, image_count))
    if flags & FLAG_WRITE_IN_PROGRESS:
        raise MediaError(name, "WIM is marked write-in-progress (an interrupted write)",
                         "copy the file again from the original media")
    return WimHeader(
        wim_version=version, flags=flags, chunk_size=chunk_size, guid=guid,
        part_number=part_number, total_parts=total_parts, image_count=image_count,
        blob_table=ResourceHeader.parse(blob_table), xml_data=ResourceHeader.parse(xml_data),
        boot_metadata=ResourceHeader.parse(boot_metadata), boot_index=boot_idx,
        integrity=ResourceHeader.parse(integrity))


def read_header(fp, name):
    """Read and check the header of the WIM open as binary file ``fp`` (positioned anywhere)."""
    fp.seek(0)
    return parse_header(read_exactly(fp, HEADER_SIZE), name)


def read_exactly(fp, size):
    """Read ``size`` bytes or until end of file, whichever comes first."""
    chunks = []
    left = size
    while left > 0:
        chunk = fp.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
