"""Maps Cobbler distros, profiles and systems onto the generators' model (gen.model) and back."""
import re

from cobbler_winpe.gen.model import IMAGE_FILES, PLUGIN_FILES, SETUP, WINPE, WinDistro, WinProfile, WinSystem, Server
from cobbler_winpe.wim import bootfiles

META_FLAG = "winpe"                 # set on every distro the plugin imported; menus branch on it
MADE_BY = ("winpe_made_by", "cobbler-winpe")   # written on every distro and profile the plugin creates
BOOT_MANAGER = bootfiles.SETTING    # auto (2023 when the media has it), 2011 or 2023: distro, profile, system
KIND = "winpe_kind"                 # distro: "setup" (Windows media) or "winpe" (a WinPE of its own)
START = "winpe_start_files"         # distro: "plugin" or "image" (default for a WinPE of its own: its own files)
INSTALL_FROM = "winpe_install_from"  # distro (WinPE of its own): the setup distro whose share it installs from
COBBLER_ARCH = {"x86_64": "x86_64", "i386": "i386", "arm64": "aarch64"}
MODEL_ARCH = {v: k for k, v in COBBLER_ARCH.items()}


def meta(item):
    """An item's autoinstall_meta (with inheritance resolved), as a plain dict of strings."""
    value = item.autoinstall_meta
    return dict(value) if isinstance(value, dict) else {}


def own_meta(item):
    """The metadata set on ITEM itself (not inherited from its parent): "<<inherit>>" and others read as {}."""
    value = getattr(item, "_autoinstall_meta", None)
    return dict(value) if isinstance(value, dict) else {}


def made_by_plugin(item):
    """True for a distro or profile the plugin created: its own marker, or (imports before the marker) the
    distro flag / the profile's image index set on the item itself."""
    mine = own_meta(item)
    key, value = MADE_BY
    return mine.get(key) == value or bool(mine.get(META_FLAG)) or "winpe_image_index" in mine


def is_windows(item):
    return bool(meta(item).get(META_FLAG))


def arch_name(item):
    arch = item.arch
    return getattr(arch, "value", arch) or ""


def start_files(m):
    """The distro's winpe_start_files (checked when planned); a WinPE of its own keeps its image's by default."""
    return str(m.get(START) or (IMAGE_FILES if m.get(KIND) == WINPE else PLUGIN_FILES)).strip().lower()


def to_distro(distro):
    m = meta(distro)
    return WinDistro(
        name=distro.name, arch=MODEL_ARCH.get(arch_name(distro), arch_name(distro)),
        os_version=distro.os_version, mirror=m.get("winpe_mirror", ""), root=m.get("winpe_root", ""),
        boot_wim=m.get("winpe_boot_wim", "sources/boot.wim"), boot_index=int(m.get("winpe_boot_index", 1)),
        install_image=m.get("winpe_install", "sources/install.wim"),
        build=int(m["winpe_build"]) if str(m.get("winpe_build", "")).isdigit() else None,
        winload=m.get("winpe_winload", WinDistro.winload), meta={k: str(v) for k, v in m.items()},
        kind=WINPE if m.get(KIND) == WINPE else SETUP, start_files=start_files(m),
        install_from=str(m.get(INSTALL_FROM) or ""))


def to_profile(profile):
    m = meta(profile)
    parent = profile.distro
    return WinProfile(name=profile.name, distro=parent.name if parent else "",
                      image_index=int(m.get("winpe_image_index", 1)), edition=m.get("winpe_edition", ""),
                      meta={k: str(v) for k, v in m.items()})


def to_system(system):
    m = meta(system)
    macs = tuple(i.mac_address for i in system.interfaces.values() if i.mac_address)
    profile = system.profile
    return WinSystem(name=system.name, profile=profile if isinstance(profile, str) else getattr(profile, "name", ""),
                     hostname=system.hostname or "", macs=macs, netboot_enabled=bool(system.netboot_enabled),
                     meta={k: str(v) for k, v in m.items()})


def server_of(api, cfg):
    settings = api.settings()
    return Server(address=settings.server, tftproot=settings.tftpboot_location, webdir=settings.webdir,
                  http_port=int(settings.http_port), smb_share=cfg.smb_share,
                  next_server=settings.next_server_v4 or "")


def windows_inventory(api):
    """(distros, profiles, systems) of the Windows items the plugin manages, as model objects."""
    distros = [to_distro(d) for d in api.distros() if is_windows(d)]
    names = {d.name for d in distros}
    profiles = [to_profile(p) for p in api.profiles() if p.distro and p.distro.name in names]
    pnames = {p.name for p in profiles}
    systems = [to_system(s) for s in api.systems()
               if (s.profile if isinstance(s.profile, str) else getattr(s.profile, "name", "")) in pnames]
    return distros, profiles, systems


def slug(text):
    """A readable Cobbler-safe name part: 'Windows 10 Pro N' -> 'pro-n' style lower-case words joined by '-'."""
    text = re.sub(r"^(microsoft\s+)?windows\s+(server\s+)?(\d+\s*(r2)?\s+)?", "", text.strip(), flags=re.I)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "default"
