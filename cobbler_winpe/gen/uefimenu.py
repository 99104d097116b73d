"""The UEFI boot-manager menu for unknown machines: per architecture a BCD listing every Windows profile, with the
boot manager (and its MUI files and boot.stl) it is handed with, planned as {tftproot relpath: Source}."""
import posixpath

from cobbler_winpe import names
from cobbler_winpe.bcd.pxe import MenuEntry, build_menu_store
from cobbler_winpe.gen import layout, menus, staging
from cobbler_winpe.wim import bootfiles


def menu_entries(distros, profiles):
    """MenuEntry of every profile of DISTROS, by distro then profile name: the profile's title, its distro's staged
    boot.wim and boot.sdi, winload.efi, and the load option startnet.cmd reads the profile from."""
    by_distro = {}
    for profile in profiles:
        by_distro.setdefault(profile.distro, []).append(profile)
    entries = []
    for distro in sorted(distros, key=lambda d: d.name):
        for profile in sorted(by_distro.get(distro.name, ()), key=lambda p: p.name):
            entries.append(MenuEntry(
                menus.menu_title(profile), layout.windows_path(layout.distro_file(distro.name, names.BOOT_WIM)),
                layout.windows_path(layout.distro_file(distro.name, names.BOOT_SDI)),
                distro.winload + names.FIRMWARE[names.UEFI].winload_ext,
                staging.PROFILE_OPTION + profile.name))
    return entries


def arch_plan(arch, distros, profiles, plan, settings):
    """The menu folder of one architecture: the first distro's chosen boot manager (with its MUI and boot.stl,
    the same Sources as in PLAN) and the BCD of every UEFI-bootable profile of that architecture."""
    uefi = [d for d in sorted(distros, key=lambda d: d.name)
            if d.arch == arch and names.UEFI in staging.firmwares_of(staging.staged_names(plan, d.name))]
    entries = menu_entries(uefi, profiles)
    if not entries:
        return {}
    first = next(d for d in uefi if any(p.distro == d.name for p in profiles))
    staged = staging.staged_names(plan, first.name)
    manager = staging.boot_manager(staged, first)
    folder = posixpath.dirname(layout.menu_nbp(arch))
    out = {posixpath.join(folder, name): plan[layout.distro_file(first.name, staged_name)]
           for name, staged_name in bootfiles.manager_files(staged, manager).items()}
    fonts = layout.windows_path(layout.distro_file(first.name, bootfiles.FONTS_DIR[manager]))
    data = build_menu_store(entries, timeout=settings["uefi_menu_timeout"], fontpath=fonts,
                            tftp_blocksize=settings["tftp_blocksize"] or None,
                            tftp_windowsize=settings["tftp_windowsize"] or None,
                            tftp_varwindow=bool(settings["tftp_varwindow"]), timestamp=staging.BCD_TIMESTAMP)
    out[layout.menu_bcd(arch)] = staging.Source(data=data)
    return out


def menu_plan(distros, profiles, plan, settings):
    """Every architecture's menu folder when SETTINGS turn uefi_menu on, else nothing (the folder is removed)."""
    if not settings["uefi_menu"]:
        return {}
    out = {}
    for arch in layout.MENU_ARCHES:
        out.update(arch_plan(arch, distros, profiles, plan, settings))
    return out
