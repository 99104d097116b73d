"""Maps Cobbler distros, profiles and systems onto the generators' model (gen.model) and back."""
import logging
import re

from cobbler_winpe.errors import WinpeError
from cobbler_winpe.gen import inventory, schema
from cobbler_winpe.gen.model import WinSystem, Server

META_FLAG, MADE_BY, BOOT_MANAGER = schema.FLAG, schema.MADE_BY, schema.BOOT_MANAGER   # the schema's (gen/schema.py)
KIND, START, INSTALL_FROM = schema.KIND, schema.START, schema.INSTALL_FROM
LOG = logging.getLogger("cobbler_winpe")
CASE_CLASH = ("its name differs from distro %r's only in case, which SMB share names and TFTP paths ignore; the older"
              " one is served (rename this one)")
SHARED_MACS = ("every MAC it has is served by system %r, the first by name of those sharing it (Cobbler's"
               " allow_duplicate_macs) (give it a MAC of its own)")
COBBLER_ARCH = {"x86_64": "x86_64", "i386": "i386", "arm64": "aarch64"}
MODEL_ARCH = {v: k for k, v in COBBLER_ARCH.items()}


def meta(item):
    """An item's autoinstall_meta (with inheritance resolved), as a plain dict of strings."""
    value = item.autoinstall_meta
    return dict(value) if isinstance(value, dict) else {}


def text_meta(item):
    """meta(ITEM) with every value as text (XML-RPC can set numbers and lists)."""
    return {str(k): str(v) for k, v in meta(item).items()}


def own_meta(item):
    """The metadata set on ITEM itself (not inherited from its parent): "<<inherit>>" and others read as {}."""
    value = getattr(item, "_autoinstall_meta", None)
    return dict(value) if isinstance(value, dict) else {}


def made_by_plugin(item):
    """True for a distro or profile the plugin created: its own marker, or (imports before the marker) the
    distro flag / the profile's image index set on the item itself."""
    return schema.made_by_marks(own_meta(item))


def is_windows(item):
    return bool(meta(item).get(META_FLAG))


def arch_name(item):
    arch = item.arch
    return getattr(arch, "value", arch) or ""


def to_distro(distro):
    return schema.win_distro(distro.name, MODEL_ARCH.get(arch_name(distro), arch_name(distro)), distro.os_version,
                             text_meta(distro))


def to_profile(profile):
    parent = profile.distro
    return schema.win_profile(profile.name, parent.name if parent else "", text_meta(profile))


def to_system(system):
    m = text_meta(system)
    macs = tuple(i.mac_address for i in system.interfaces.values() if i.mac_address)
    return WinSystem(name=system.name, profile=profile_name(system),
                     hostname=system.hostname or "", macs=macs, netboot_enabled=bool(system.netboot_enabled),
                     meta=m)


def server_of(api, cfg):
    settings = api.settings()
    return Server(address=settings.server, tftproot=settings.tftpboot_location, webdir=settings.webdir,
                  http_port=int(settings.http_port), smb_share=cfg.smb_share,
                  next_server=settings.next_server_v4 or "", snippet_dir=settings.autoinstall_snippets_dir)


def profile_name(system):
    profile = system.profile
    return profile if isinstance(profile, str) else getattr(profile, "name", "")


def windows_inventory(api, cfg):
    """(distros, profiles, systems) the plugin serves, as model objects, and the names of every Windows distro.

    An item a generator would refuse (gen/inventory.py) is left out with one log line naming it and why, and so
    are the profiles and systems below it; so is a distro named like an older one but for case, and a system
    whose every MAC another one serves."""
    every = sorted((d for d in api.distros() if is_windows(d)), key=lambda d: (getattr(d, "ctime", 0) or 0, d.name))
    distros = served("distro", every, to_distro, lambda d: inventory.check_distro(d, cfg))
    distros = without("distro", distros, inventory.case_clashes(distros), CASE_CLASH)
    by_distro = {d.name: d for d in distros}
    profiles = served("profile", [p for p in api.profiles() if p.distro and p.distro.name in by_distro], to_profile,
                      lambda p: inventory.check_profile(p, by_distro[p.distro], cfg))
    by_profile = {p.name: p for p in profiles}

    def check_system(system):
        profile = by_profile[system.profile]
        inventory.check_system(system, profile, by_distro[profile.distro], cfg)

    systems = served("system", [s for s in api.systems() if profile_name(s) in by_profile], to_system, check_system)
    systems = without("system", systems, inventory.shadowed(systems, profiles, distros), SHARED_MACS)
    return distros, profiles, systems, {d.name for d in every}


def served(kind, found, convert, check):
    """The model objects of the Cobbler items FOUND that CHECK accepts; each refused one is logged once."""
    accepted = []
    for item in found:
        try:
            model = convert(item)
            check(model)
        except WinpeError as err:
            skip(kind, item.name, err)
            continue
        accepted.append(model)
    return accepted


def without(kind, models, others, why):
    """MODELS but those named in OTHERS ({name: the other item's name}), each logged once: WHY % the other's name."""
    for name, other in sorted(others.items()):
        skip(kind, name, why % other)
    return [model for model in models if model.name not in others]


def skip(kind, name, reason):
    """The one log line of an item the plugin does not serve (names quoted and escaped: one line whatever they hold)."""
    LOG.error("cobbler-winpe: skipping %s %r: %s", kind, name, reason)


def slug(text):
    """A readable Cobbler-safe name part: 'Windows 10 Pro N' -> 'pro-n' style lower-case words joined by '-'."""
    text = re.sub(r"^(microsoft\s+)?windows\s+(server\s+)?(\d+\s*(r2)?\s+)?", "", text.strip(), flags=re.I)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "default"
