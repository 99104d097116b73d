"""Driver folders from Linux (.inf trees such as virtio-win): find the .inf files, tell network drivers from the rest.

Metadata `winpe_drivers` (system > profile > distro) names one host folder.  Its network drivers (Class=Net in the
.inf's [Version] section) go into the WinPE image, to be loaded before wpeinit starts the network; every file goes
onto the data share under drivers/<set>/, its other .inf files are loaded from there before setup, and setup gets
the share folder as a PnpCustomizationsWinPE driver path.
"""
import hashlib
import os
import posixpath
import re
from dataclasses import dataclass
from typing import Tuple

from cobbler_winpe.errors import InputError

META_KEY = "winpe_drivers"
SHARE_DIR = "drivers"                 # on the data share: drivers/<set>/...
IMAGE_DIR = "cobbler-drivers"         # in the WinPE image, below X:\Windows\System32
IMAGE_LIST = "cobbler-drivers.txt"    # X:\Windows\System32\cobbler-drivers.txt: network .inf files, one a line
SHARE_LIST = "drivers.txt"            # beside an answer file: the share's other .inf files, one a line
MAX_FILES = 50000
# A name cmd.exe reads back unchanged inside "..." with delayed expansion on, and a WIM and Samba store as is
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()+\-]*")
NET_CLASS = "net"


@dataclass(frozen=True)
class DriverSet:
    """One host driver folder: its name on the share and in the image, its files and .inf files (posix relpaths)."""
    name: str
    folder: str
    files: Tuple[str, ...]
    net_infs: Tuple[str, ...]
    other_infs: Tuple[str, ...]


def inf_class(data):
    """The Class= value of an .inf's [Version] section (lower case), '' when there is none.  INF files are
    UTF-16LE with a BOM or 8-bit text; %strkey% references are not resolved (Class is literal in practice)."""
    if data.startswith(b"\xff\xfe"):
        text = data[2:].decode("utf-16-le", "replace")
    else:
        text = data.decode("utf-8-sig", "replace")
    section = None
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip()
        if line.startswith("[") and "]" in line:
            section = line[1:line.index("]")].strip().lower()
        elif section == "version" and "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            if key.lower() == "class":
                return value.strip('"').lower()
    return ""


def set_name(folder):
    """drivers/<set> name of FOLDER: its base name (made safe) and 8 hex digits of its absolute path."""
    path = os.path.abspath(folder)
    base = re.sub(r"[^A-Za-z0-9._\-]+", "-", os.path.basename(path.rstrip("/"))).strip("-.") or "drivers"
    return "%s-%s" % (base[:40], hashlib.sha256(path.encode("utf-8")).hexdigest()[:8])


def for_meta(meta, scan=None):
    """The DriverSet that blended metadata META names, read by SCAN (host/drivers.scan), or None."""
    folder = (meta.get(META_KEY) or "").strip()
    if folder and scan is None:
        raise InputError("metadata %s: %r" % (META_KEY, folder), "this command reads no driver folders",
                         "run `cobbler sync`, which reads them")
    return scan(folder) if folder else None


def windows_path(*parts):
    return "\\".join(part.replace("/", "\\") for part in parts)


def share_files(driver_set):
    """{data-share relpath: host path} of every file of DRIVER_SET."""
    return {posixpath.join(SHARE_DIR, driver_set.name, rel): os.path.join(driver_set.folder, rel)
            for rel in driver_set.files}


def image_files(driver_set):
    """{System32-relative path: host path} of the folders holding DRIVER_SET's network .inf files (each .inf's
    whole folder: its .sys and .cat files sit beside it)."""
    folders = {posixpath.dirname(rel) for rel in driver_set.net_infs}
    return {posixpath.join(IMAGE_DIR, driver_set.name, rel): os.path.join(driver_set.folder, rel)
            for rel in driver_set.files if posixpath.dirname(rel) in folders}


def list_text(lines):
    """A list file cmd reads with `for /f`: one Windows relpath a line, CRLF."""
    return "".join(line + "\r\n" for line in lines)


def image_list(driver_set):
    """cobbler-drivers.txt: the network .inf files, relative to X:\\Windows\\System32."""
    return list_text(windows_path(IMAGE_DIR, driver_set.name, rel) for rel in driver_set.net_infs)


def share_list(driver_set):
    """drivers.txt: the other .inf files, relative to the data share's root."""
    return list_text(windows_path(SHARE_DIR, driver_set.name, rel) for rel in driver_set.other_infs)


def share_path(unc_root, driver_set):
    """The UNC folder setup gets as a driver path: \\\\server\\share\\drivers\\<set>."""
    return windows_path(unc_root, SHARE_DIR, driver_set.name)
