"""The winpe_* metadata of the Cobbler items the plugin makes: the one module that writes it (import) and reads it
(sync), with the model's defaults (gen/model.py) for what an item leaves out."""
import re

from cobbler_winpe.gen import values
from cobbler_winpe.gen.model import IMAGE_FILES, PLUGIN_FILES, SETUP, WINPE, WinDistro, WinProfile
from cobbler_winpe.wim import bootfiles

FLAG = "winpe"                        # set on every distro the plugin imported; menus branch on it
MADE_BY = ("winpe_made_by", "cobbler-winpe")   # written on every distro and profile the plugin creates
BOOT_MANAGER = "winpe_boot_manager"   # auto (2023 when the media has it), 2011 or 2023: distro, profile, system
KIND = "winpe_kind"                   # distro: "setup" (Windows media) or "winpe" (a WinPE of its own)
START = "winpe_start_files"           # distro: "plugin" or "image" (default for a WinPE of its own: its own files)
INSTALL_FROM = "winpe_install_from"   # distro (WinPE of its own): the setup distro whose share it installs from
MIRROR_OWNED = "winpe_mirror_owned"   # distro: the plugin made the mirror (from an ISO), so it may update it
MIRROR, ROOT, BUILD, WINLOAD = "winpe_mirror", "winpe_root", "winpe_build", "winpe_winload"
BOOT_WIM, BOOT_INDEX, INSTALL = "winpe_boot_wim", "winpe_boot_index", "winpe_install"
IMAGE_INDEX, EDITION, IMAGE_NAME = "winpe_image_index", "winpe_edition", "winpe_image_name"   # profile
MAX_INDEX = 65535                     # image indexes in a WIM


def distro_meta(found, mirror, winload, owned):
    """The metadata an import writes on a distro: where its media and boot image are, what kind of Windows it is.
    FOUND: the medium's distro (media/detect.py); WINLOAD: the boot image's loader stem; OWNED: the plugin made
    the mirror."""
    data = {FLAG: "1", MIRROR: mirror, ROOT: found.root, BOOT_WIM: found.boot_wim.path,
            BOOT_INDEX: str(found.boot_image.index), INSTALL: found.install.path if found.install else "",
            BUILD: str(found.build or ""), WINLOAD: winload, MIRROR_OWNED: "1" if owned else "0",
            BOOT_MANAGER: "auto", KIND: found.kind, MADE_BY[0]: MADE_BY[1]}
    if found.kind == WINPE:
        data[START] = IMAGE_FILES
    return data


def profile_meta(image):
    """The metadata an import writes on the profile of one edition (a WimImage)."""
    return {IMAGE_INDEX: str(image.index), EDITION: image.edition_id or "", IMAGE_NAME: image.name}


def made_by_marks(own):
    """True when OWN (an item's own metadata) carries the plugin's marks: its marker, or (imports before the
    marker) the distro flag or a profile's image index."""
    key, value = MADE_BY
    return own.get(key) == value or bool(own.get(FLAG)) or IMAGE_INDEX in own


def start_files(m):
    """The distro's winpe_start_files (checked when planned); a WinPE of its own keeps its image's by default."""
    return str(m.get(START) or (IMAGE_FILES if m.get(KIND) == WINPE else PLUGIN_FILES)).strip().lower()


def win_distro(name, arch, os_version, m):
    """The model of a distro from its name, model arch, os_version and text metadata M."""
    return WinDistro(
        name=name, arch=arch, os_version=os_version, mirror=m.get(MIRROR, ""), root=m.get(ROOT, ""),
        boot_wim=m.get(BOOT_WIM, WinDistro.boot_wim),
        boot_index=values.number("metadata " + BOOT_INDEX, m.get(BOOT_INDEX, WinDistro.boot_index), 1, MAX_INDEX),
        install_image=m.get(INSTALL, WinDistro.install_image),
        build=int(m[BUILD]) if re.fullmatch(r"[0-9]{1,9}", m.get(BUILD, "")) else None,
        winload=m.get(WINLOAD, WinDistro.winload), meta=m,
        kind=WINPE if m.get(KIND) == WINPE else SETUP, start_files=start_files(m),
        install_from=str(m.get(INSTALL_FROM) or ""))


def win_profile(name, distro_name, m):
    """The model of a profile from its name, its distro's name and text metadata M."""
    return WinProfile(name=name, distro=distro_name,
                      image_index=values.number("metadata " + IMAGE_INDEX, m.get(IMAGE_INDEX, 1), 1, MAX_INDEX),
                      edition=m.get(EDITION, ""), meta=m)


def boot_manager_choice(*owners):
    """The winpe_boot_manager of the first of OWNERS (model items or None) that sets it, else auto; InputError
    when that value names no boot manager."""
    choice = next((o.meta.get(BOOT_MANAGER) for o in owners if o is not None and o.meta.get(BOOT_MANAGER)), "auto")
    return bootfiles.check_choice(choice, BOOT_MANAGER)
