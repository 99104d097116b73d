"""Which Windows items can be served: one check per item kind, and which system serves a MAC several share.

Each check_*() raises InputError (one line: what, why, fix) for an item some generator would refuse, by calling
that generator's own check; a caller skips such an item and serves the rest.  A profile is checked with its
distro, a system with its profile and distro (their metadata blend), so an error names the item whose own value
is wrong only when the items above it passed.
"""
import posixpath

from cobbler_winpe import names
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import layout, menus, samba, schema, unattend, values
from cobbler_winpe.gen.model import WinProfile


def _boot_manager(item):
    schema.boot_manager_choice(item)


def _own_bcd_names(what, distro, name, path_of):
    """Refuse a NAME whose BIOS BCD path (PATH_OF: layout.bcd_file or system_bcd_file) is another name's UEFI one
    ("pro.uefi" would overwrite the UEFI store of "pro")."""
    stem, dot, _suffix = name.rpartition(".")
    if dot and path_of(distro.name, stem, names.UEFI) == path_of(distro.name, name, names.BIOS):
        raise InputError("%s %r" % (what, name), "ends like a UEFI BCD store: its BIOS store would be the UEFI "
                         "store of a %s %r" % (what, stem), "rename it")


def check_distro(distro, config):
    """The distro's name (menus, paths, share name), mirror paths, and its metadata alone in an answer file."""
    menus.safe_name("distro", distro.name)
    samba.distro_share(distro.name, config)
    samba.share_path("metadata winpe_mirror", distro.mirror)
    if distro.root.startswith("/"):
        raise InputError("metadata winpe_root %r" % distro.root, "an absolute path",
                         "give the media's sub folder (x64, x86) or nothing")
    samba.share_path("metadata winpe_root", posixpath.join(distro.mirror, distro.root))
    values.text("metadata winpe_winload", distro.winload, 256)
    _boot_manager(distro)
    unattend.unattend_context(distro, WinProfile(distro.name, distro.name), None, config)


def case_clashes(distros):
    """{distro name: the name of an earlier one in DISTROS equal to it but for case}: SMB share names and the TFTP
    remap rules (tftpd-hpa `ri`) ignore case, so only the first of such distros can be served."""
    first, clashes = {}, {}
    for distro in distros:
        key = distro.name.lower()
        if key in first:
            clashes[distro.name] = first[key]
        else:
            first[key] = distro.name
    return clashes


def check_profile(profile, distro, config):
    """The profile's name (not the folder of the systems' BCDs), edition text, and its metadata over the distro's."""
    menus.safe_name("profile", profile.name)
    if layout.bcd_file(distro.name, profile.name, names.BIOS) == posixpath.dirname(
            layout.system_bcd_file(distro.name, "-", names.BIOS)):
        raise InputError("profile %r" % profile.name, "named like the folder of the systems' BCD stores",
                         "rename the profile")
    _own_bcd_names("profile", distro, profile.name, layout.bcd_file)
    values.text("edition of profile %s" % profile.name, profile.edition, 256)
    _boot_manager(profile)
    unattend.unattend_context(distro, profile, None, config)


def check_system(system, profile, distro, config):
    """The system's name, MACs, and its metadata over the profile's and distro's (computer name included)."""
    menus.safe_name("system", system.name)
    _own_bcd_names("system", distro, system.name, layout.system_bcd_file)
    for mac in system.macs:
        values.mac("MAC address", mac)
    _boot_manager(system)
    unattend.unattend_context(distro, profile, system, config)


def windows_hosts(systems, profiles, distros):
    """(system, profile, distro) for every netboot-enabled system whose profile and distro are Windows ones."""
    by_profile = {profile.name: profile for profile in profiles}
    by_distro = {distro.name: distro for distro in distros}
    hosts = []
    for system in sorted(systems, key=lambda item: item.name):
        profile = by_profile.get(system.profile)
        distro = by_distro.get(profile.distro) if profile else None
        if distro and system.netboot_enabled and system.macs:
            hosts.append((system, profile, distro))
    return hosts


def mac_key(mac):
    """One spelling per MAC address: 52-54-00-AB-CD-EF (netaddr's default, the data share's folder name)."""
    return str(values.mac("MAC address", mac))


def unique_macs(hosts):
    """(mac, system, profile, distro, [names of other systems with that MAC]) once per MAC of HOSTS (Cobbler's
    allow_duplicate_macs lets two systems share one): the first system by name serves it.  The one rule for
    the DHCP snippets and the data share's systems/<MAC> folders alike."""
    seen, order = {}, []
    for system, profile, distro in hosts:
        for mac in system.macs:
            key = mac_key(mac)
            if key in seen:
                if system.name not in seen[key][4] and system.name != seen[key][1].name:
                    seen[key][4].append(system.name)
                continue
            seen[key] = (mac, system, profile, distro, [])
            order.append(key)
    return [seen[key] for key in order]


def shadowed(systems, profiles, distros):
    """{system name: name of the system serving its MACs} for netboot systems every MAC of which another serves."""
    hosts = windows_hosts(systems, profiles, distros)
    served = unique_macs(hosts)
    owner = {mac_key(mac): system.name for mac, system, _profile, _distro, _others in served}
    names = set(owner.values())
    return {system.name: owner[mac_key(system.macs[0])] for system, _profile, _distro in hosts
            if system.name not in names}
