"""A WIM summary (header plus per-image metadata) read from an open file, without wimlib."""
import os
from dataclasses import dataclass
from typing import List

from cobbler_winpe.errors import MediaError
from cobbler_winpe.wim.header import WimHeader, read_header
from cobbler_winpe.wim.xmlinfo import WimImage, parse_images, read_xml_bytes


@dataclass(frozen=True)
class WimInfo:
    """What inspect needs to know about one WIM (or the first part of a split WIM)."""
    header: WimHeader
    images: List[WimImage]
    file_size: int

    @property
    def boot_index(self):
        return self.header.boot_index

    def image(self, index):
        """The image with this 1-based index, or None."""
        return next((i for i in self.images if i.index == index), None)


def _file_size(fp):
    pos = fp.tell()
    size = fp.seek(0, os.SEEK_END)
    fp.seek(pos)
    return size


def read_wim_info(fp, name):
    """Read header and XML of the WIM open as binary ``fp``; ``name`` is used in error messages."""
    size = _file_size(fp)
    header = read_header(fp, name)
    images = parse_images(read_xml_bytes(fp, header, name, size), name)
    if len(images) != header.image_count:
        raise MediaError(name, "WIM header counts %d images but its XML describes %d"
                         % (header.image_count, len(images)), "the WIM is damaged")
    return WimInfo(header=header, images=images, file_size=size)


def read_wim_info_path(path):
    """read_wim_info for a file on disk."""
    try:
        with open(path, "rb") as fp:
            return read_wim_info(fp, path)
    except OSError as err:
        raise MediaError(path, "cannot read WIM (%s)" % err.strerror) from None
