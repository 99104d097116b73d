"""The small model every generator takes: Windows distros, profiles and systems, and the server they boot from.

The adapter builds these from Cobbler items; tests build them directly.  Generators never see Cobbler.
"""
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from cobbler_winpe import names
from cobbler_winpe.errors import InputError
from cobbler_winpe.media.detect import SETUP, WINPE   # WinDistro.kind, named as detect names a medium's distros

FIRMWARES = names.FIRMWARES
# WinDistro.start_files: the plugin's startnet.cmd/winpeshl.ini, or the image's own (kept as they are)
PLUGIN_FILES, IMAGE_FILES = "plugin", "image"
START_FILES = (PLUGIN_FILES, IMAGE_FILES)


@dataclass(frozen=True)
class Server:
    """Where clients fetch from: the Cobbler server's address and its trees on disk."""
    address: str                      # IP or name clients use for HTTP and SMB (Cobbler's `server`)
    tftproot: str = "/srv/tftpboot"
    webdir: str = "/var/www/cobbler"
    http_port: int = 80
    smb_share: str = "winpe"          # the Samba share name over the distro mirror
    next_server: str = ""             # the TFTP server (Cobbler's next_server_v4); "" means address
    snippet_dir: str = ""             # Cobbler's autoinstall_snippets_dir (template overrides); "" means none

    @property
    def tftp_address(self):
        return self.next_server or self.address


@dataclass(frozen=True)
class WinDistro:
    """One Windows distro: one (media, architecture) pair imported into Cobbler."""
    name: str                         # Cobbler distro name, e.g. win10-x64
    arch: str                         # x86_64, i386 or arm64
    os_version: str                   # Cobbler os_version: 10, 11, 2022, ...
    mirror: str                       # the media tree on disk (Cobbler's distro_mirror/<name>)
    root: str = ""                    # sub folder of the media for dual-arch media ("", "x64", "x86")
    boot_wim: str = "sources/" + names.BOOT_WIM   # relative to mirror (root included: x64/sources/boot.wim), as stored
    boot_index: int = 1
    install_image: str = "sources/install.wim"   # relative to mirror, like boot_wim
    build: Optional[int] = None
    winload: str = r"\windows\system32\boot\winload"   # without .exe/.efi; from the boot image
    meta: Dict[str, str] = field(default_factory=dict)   # the distro's autoinstall metadata (lowest priority)
    kind: str = SETUP
    start_files: str = PLUGIN_FILES
    install_from: str = ""            # a WinPE of its own that installs from this (setup) distro's share

    @property
    def boots_as_is(self):
        """True when WinPE starts with the image's own start files: no answer file, nothing injected."""
        if self.start_files not in START_FILES:
            raise InputError("distro %s winpe_start_files %r" % (self.name, self.start_files),
                             "not one of " + ", ".join(START_FILES),
                             "cobbler distro edit --name=%s --autoinstall-meta='winpe_start_files=image' "
                             "(or plugin)" % self.name)
        if self.start_files == PLUGIN_FILES and self.kind == WINPE and not self.install_from:
            raise InputError("distro %s winpe_start_files 'plugin'" % self.name,
                             "a WinPE of its own has no setup to start unless winpe_install_from names a Windows "
                             "distro whose share it installs from",
                             "set winpe_install_from=<distro> on it, or winpe_start_files=image")
        return self.start_files == IMAGE_FILES

    @property
    def source_distro(self):
        """The distro whose share setup runs from: install_from for a WinPE of its own, else this one."""
        return self.install_from or self.name


@dataclass(frozen=True)
class WinProfile:
    """One profile: an edition (image index) of a distro's install image, with blended metadata."""
    name: str
    distro: str
    image_index: int = 1
    edition: str = ""
    meta: Dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WinSystem:
    """One system record (a known machine) that boots a Windows profile."""
    name: str
    profile: str
    hostname: str = ""
    macs: Tuple[str, ...] = ()
    netboot_enabled: bool = True
    meta: Dict[str, str] = field(default_factory=dict)


def blend(*metas):
    """Metadata merged left to right (distro, profile, system): later keys win, as Cobbler inherits."""
    merged = {}
    for meta in metas:
        merged.update(meta or {})
    return merged
