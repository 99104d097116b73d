"""Find the Windows distros on media (one per root: "" or x86/, x64/ ...) and name the Windows release of each build.

A root with sources/boot.wim and an install image is setup media (kind "setup"); one with a bootable WinPE
sources/boot.wim and no install image (ADK copype/MakeWinPEMedia output, MDT/ConfigMgr boot media, a bare boot
image file opened by media/source.py) is a WinPE of its own (kind "winpe")."""
from dataclasses import dataclass, field
from typing import List, Optional

from cobbler_winpe import names
from cobbler_winpe.errors import MediaError
from cobbler_winpe.fsutil import is_safe_name
from cobbler_winpe.wim.info import read_wim_info
from cobbler_winpe.wim.xmlinfo import WimImage

INSTALL_NAMES = (("install.wim", "wim"), ("install.esd", "esd"), ("install.swm", "swm"))
SETUP, WINPE = "setup", "winpe"          # Distro.kind
WINPE_TYPE = "WindowsPE"                 # WINDOWS/INSTALLATIONTYPE of a WinPE image
MAX_ROOTS = 64

# (first build, last build, client release, server release): the Windows release each build belongs to.
BUILD_RANGES = (
    (7600, 7601, "7", "2008"),
    (9200, 9200, "8", "2012"),
    (9600, 9600, "8", "2012"),
    (10240, 19045, "10", None),
    (14393, 14393, None, "2016"),
    (17763, 17763, None, "2019"),
    (20348, 20348, None, "2022"),
    (26100, 26100, None, "2025"),
)
FIRST_WINDOWS_11_BUILD = 22000


def release_for(build, server):
    """The Windows release (7, 8, 10, 11, 2008 ... 2025) of a build and client/server kind, or None when unknown."""
    if build is None:
        return None
    for first, last, client_name, server_name in BUILD_RANGES:
        name = server_name if server else client_name
        if first <= build <= last and name:
            return name
    if not server and build >= FIRST_WINDOWS_11_BUILD:
        return "11"
    return None


@dataclass
class WimSummary:
    """A WIM on the media: its path (relative to the media root, as stored) and images."""
    path: str
    images: List[WimImage]
    boot_index: int = 0
    format: str = "wim"
    parts: List[str] = field(default_factory=list)

    def image(self, index):
        return next((i for i in self.images if i.index == index), None)


@dataclass
class Distro:
    """One Windows on the media: setup with its install image, or a WinPE of its own (install is None)."""
    root: str
    arch: Optional[str]
    release: Optional[str]          # Windows release (release_for), e.g. "11" or "2022"
    build: Optional[int]
    boot_wim: WimSummary
    install: Optional[WimSummary] = None
    warnings: List[str] = field(default_factory=list)

    @property
    def kind(self):
        return SETUP if self.install else WINPE

    @property
    def install_images(self):
        """The install image's editions ([] for a WinPE of its own)."""
        return self.install.images if self.install else []

    @property
    def boot_image(self):
        """The image of boot.wim that boots (the boot index, else the last one)."""
        return self.boot_wim.image(self.boot_wim.boot_index) or self.boot_wim.images[-1]


@dataclass
class MediaInfo:
    """Everything inspect reports about a medium."""
    source: str
    kind: str
    label: Optional[str]
    distros: List[Distro]

    def to_json(self):
        """The issue's JSON shape (a dict ready for json.dumps)."""
        return {"source": self.source, "kind": self.kind, "label": self.label,
                "distros": [_distro_json(d) for d in self.distros]}


def _boot_image_json(image):
    return {"index": image.index, "name": image.name, "arch": image.arch, "build": image.build}


def _install_image_json(image):
    return {"index": image.index, "name": image.name, "display_name": image.display_name,
            "description": image.description, "edition_id": image.edition_id,
            "installation_type": image.installation_type, "arch": image.arch, "build": image.build,
            "version": _version(image), "languages": list(image.languages),
            "default_language": image.default_language, "total_bytes": image.total_bytes}


def _version(image):
    parts = (image.major, image.minor, image.build, image.spbuild)
    return ".".join(str(p) for p in parts) if None not in parts else None


def _install_json(install):
    if install is None:
        return None
    return {"path": install.path, "format": install.format, "parts": install.parts,
            "images": [_install_image_json(i) for i in install.images]}


def _distro_json(distro):
    return {
        "root": distro.root, "kind": distro.kind, "arch": distro.arch, "release": distro.release,
        "build": distro.build,
        "boot_wim": {"path": distro.boot_wim.path, "boot_index": distro.boot_wim.boot_index,
                     "images": [_boot_image_json(i) for i in distro.boot_wim.images]},
        "install": _install_json(distro.install),
        "warnings": distro.warnings,
    }


def _read_summary(media, relpath, fmt="wim"):
    with media.open(relpath) as fp:
        info = read_wim_info(fp, media.where(relpath))
    if not info.images:
        raise MediaError(media.where(relpath), "WIM holds no image")
    return WimSummary(relpath, info.images, info.boot_index, fmt)


def _split_parts(media, sources, first):
    """install.swm, install2.swm, ... as stored, in order."""
    names = {n.lower(): n for n in media.listdir(sources)}
    parts = [first]
    for number in range(2, 1000):
        name = names.get("install%d.swm" % number)
        if name is None:
            return parts
        parts.append(_join(sources, name))
    return parts


def _join(*parts):
    return "/".join(p for p in parts if p)


def _find_install(media, sources):
    for name, fmt in INSTALL_NAMES:
        stored = media.find(_join(sources, name))
        if stored:
            summary = _read_summary(media, stored, fmt)
            summary.parts = _split_parts(media, sources, stored) if fmt == "swm" else [stored]
            return summary
    return None


def _candidate_roots(media):
    """"" and every top-level folder that has a sources/ folder (dual-arch media: x86, x64)."""
    roots = [""]
    for name in media.listdir("")[:MAX_ROOTS]:
        try:
            if is_safe_name(name) and media.is_dir(name) and media.is_dir(name + "/sources"):
                roots.append(name)
        except MediaError:
            continue   # a refused entry (e.g. a symlink leaving the tree) is no distro root
    return roots


def _check_arch(distro):
    arches = {i.arch for i in distro.install_images}
    boot_arch = distro.boot_image.arch
    if boot_arch is None:
        distro.warnings.append("boot image has no known WINDOWS/ARCH")
    if len(arches) > 1 or (boot_arch and arches and boot_arch not in arches):
        distro.warnings.append("architectures differ: boot image %s, install images %s"
                               % (boot_arch, ", ".join(sorted(str(a) for a in arches))))


def _check_winpe(where, boot_wim):
    """MediaError unless BOOT_WIM (with no install image beside it) is a bootable WinPE: a boot index, or one
    image whose INSTALLATIONTYPE is WindowsPE."""
    only = boot_wim.images[0] if len(boot_wim.images) == 1 else None
    if boot_wim.boot_index or (only and only.installation_type == WINPE_TYPE):
        return
    raise MediaError(where, "is not a bootable WinPE image (no boot index, and no single WindowsPE image) and no "
                     "install.wim, install.esd or install.swm is beside it",
                     "give a WinPE boot image (ADK copype/MakeWinPEMedia, MDT, ConfigMgr) or complete Windows "
                     "installation media")


def _distro(media, root):
    """The Distro under root, or None when root holds no Windows setup sources."""
    sources = media.find(_join(root, "sources"))
    if not sources or not media.is_dir(sources):
        return None
    boot = media.find(_join(sources, names.BOOT_WIM))
    install = _find_install(media, sources)
    if not boot and not install:
        return None
    if not boot:
        raise MediaError(media.where(sources), "has an install image but no " + names.BOOT_WIM,
                         "use complete Windows installation media")
    boot_wim = _read_summary(media, boot)
    if not install:
        _check_winpe(media.where(boot), boot_wim)
    distro = Distro(root=media.find(root) if root else "", arch=None, release=None, build=None,
                    boot_wim=boot_wim, install=install)
    first = install.images[0] if install else distro.boot_image
    server = first.is_server
    distro.build = first.build
    distro.arch = first.arch or distro.boot_image.arch
    distro.release = release_for(first.build, server)
    if distro.release is None and not install:   # a WinPE of the ADK for a server release (20348: 2022)
        distro.release = release_for(first.build, True)
    if distro.release is None:
        distro.warnings.append("unknown build %s (%s): no Windows release known for it"
                               % (first.build, "server" if server else "client"))
    _check_arch(distro)
    return distro


def detect(media):
    """MediaInfo for open media; MediaError when no Windows setup sources are found."""
    distros = [d for d in (_distro(media, root) for root in _candidate_roots(media)) if d]
    if not distros:
        raise MediaError(media.path, "not Windows media (no sources/%s)" % names.BOOT_WIM,
                         "give the path of a Windows or WinPE ISO, a copy of its files, or a WinPE boot .wim")
    return MediaInfo(source=media.path, kind=media.kind, label=media.label, distros=distros)
