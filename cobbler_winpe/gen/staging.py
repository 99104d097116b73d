"""Boot-file staging plans: which files each Windows distro needs in the TFTP and web trees, as {relpath: Source}.

Every function is pure: from the model and the names found in the boot-file cache (host/tree.index_tree) to a
plan; host/tree.apply_plan writes it.  Only folders carrying MARKER are ever cleaned, so Linux distros' images are
never touched.
"""
import functools
import os
import posixpath
from dataclasses import dataclass
from typing import Optional

from cobbler_winpe import names
from cobbler_winpe.bcd.pxe import build_pxe_store
from cobbler_winpe.errors import MediaError
from cobbler_winpe.gen import layout, menus, schema
from cobbler_winpe.wim import bootfiles

MARKER = ".cobbler-winpe"

@dataclass(frozen=True)
class Source:
    """What a staged file holds: DATA bytes, or the file at PATH (linked, or copied when it cannot be)."""
    data: Optional[bytes] = None
    path: Optional[str] = None


def boot_image_plan(distro_name, cache_root, cache_index):
    """Staged boot-image files of one distro (wim/bootfiles.py): NBPs, boot managers, MUI files, fonts, boot.stl.

    boot.stl is staged beside the boot manager (the folder holding fonts/, as \\EFI\\Microsoft\\Boot on media)
    and beside the BCDs: docs/secure-boot.md."""
    plan = {}
    for rel, staged in bootfiles.select(cache_index.values()).items():
        plan[layout.distro_file(distro_name, staged)] = Source(path=os.path.join(cache_root, rel))
    stl = plan.get(layout.distro_file(distro_name, bootfiles.STL))
    if stl is not None:
        for folder in STL_COPIES:
            plan[layout.distro_file(distro_name, folder + "/" + bootfiles.STL)] = stl
    return plan


def staged_names(plan, distro_name):
    """The names (relative to images/<distro>/) a plan stages for a distro."""
    base = layout.distro_dir(distro_name) + "/"
    return {rel[len(base):] for rel in plan if rel.startswith(base)}


def boot_manager(staged, *owners):
    """The UEFI boot manager ("2011" or "2023") of the first of OWNERS (system, profile, distro: model items or
    None) whose metadata sets winpe_boot_manager; auto (2023 when staged) when none does."""
    return bootfiles.manager_of(staged, schema.boot_manager_choice(*owners))


def uefi_nbp(distro_name, manager):
    """The staged UEFI boot manager of a distro for MANAGER (2011/2023), relative to tftproot."""
    return layout.distro_file(distro_name, bootfiles.MANAGER_FILE[manager])


def wimboot_boot_files(staged, manager):
    """(name wimboot knows it by, staged name) of the UEFI boot files handed to wimboot explicitly: the chosen
    manager (wimboot then extracts no other from the WIM) and boot.stl when the image has one."""
    known_as = {"2011": names.BOOTMGFW, "2023": names.BOOTMGFW_EX}
    files = [(known_as[manager], bootfiles.MANAGER_FILE[manager])] if bootfiles.MANAGER_FILE[manager] in staged else []
    return files + ([(bootfiles.STL, bootfiles.STL)] if bootfiles.STL in staged else [])


def check_plan(plan):
    """MediaError when one staged path is another's folder (a boot image naming a folder like a staged file)."""
    folders = {posixpath.dirname(rel) for rel in plan}
    clash = sorted(folders & set(plan))
    if clash:
        raise MediaError(clash[0], "is both a staged file and a folder of staged files",
                         "re-import the distro from a boot image without such a folder")
    return plan


def media_plan(distro, boot_sdi_path, boot_wim_path):
    """The two files taken from the media itself: boot.sdi and boot.wim (linked, never copied twice)."""
    return {layout.distro_file(distro.name, names.BOOT_SDI): Source(path=boot_sdi_path),
            layout.distro_file(distro.name, names.BOOT_WIM): Source(path=boot_wim_path)}


def inject_plan(distro_name, profile_name, files):
    """WinPE start files of one profile, for wimboot to inject at boot: images/<distro>/inject/<profile>/<name>."""
    return {layout.inject_file(distro_name, profile_name, name): Source(data=text.encode("utf-8"))
            for name, text in files.items()}


def ipxe_lines(server, distro, profile, settings, inject, staged, system=None):
    """The iPXE commands of a profile's script, or with SYSTEM of a system's: option 252 + the distro's own loader
    ("wds", the system's BCD), or wimboot over HTTP ("wimboot": the admin's signed wimboot and shim when SETTINGS
    name them); UEFI clients get the owner's boot manager."""
    manager = boot_manager(staged, system, profile, distro)
    if settings["boot_method"] == names.WIMBOOT:
        return menus.ipxe_wimboot_lines(server, distro, profile.name, inject, boot=wimboot_boot_files(staged, manager),
                                        signed_wimboot=bool(settings["secure_boot_wimboot"]),
                                        shim=bool(settings["secure_boot_shim"]))
    if system is None:
        return menus.ipxe_chain_lines(distro, profile, uefi_nbp=uefi_nbp(distro.name, manager),
                                      tftp_server=server.tftp_address)
    return menus.ipxe_chain_lines(distro, profile, uefi_nbp=layout.system_nbp_file(distro.name, system.name),
                                  system=system, tftp_server=server.tftp_address)


def ipxe_plan(distro, profiles, server, settings, inject=(), staged=(), systems=()):
    """One iPXE script per profile (images/<distro>/ipxe/<profile>.ipxe), which Cobbler's iPXE menu chains, and
    one per netboot-enabled system of SYSTEMS (ipxe/sys/<system>.ipxe), which Cobbler's per-system script chains:
    so a system's winpe_boot_manager holds on the iPXE and wimboot paths as it does in DHCP."""
    plan = {}
    for profile in profiles:
        lines = ipxe_lines(server, distro, profile, settings, inject, staged)
        plan[layout.ipxe_script_file(distro.name, profile.name)] = Source(data=menus.ipxe_script(lines).encode())
    by_name = {p.name: p for p in profiles}
    for system in systems:
        profile = by_name.get(system.profile)
        if profile is not None and system.netboot_enabled and firmwares_of(staged):
            lines = ipxe_lines(server, distro, profile, settings, inject, staged, system)
            plan[layout.ipxe_script_file(distro.name, system.name, system=True)] = \
                Source(data=menus.ipxe_script(lines).encode())
    return plan


def wimboot_bcd_plan(distro):
    r"""The BCD wimboot is handed: it names wimboot's virtual disk paths (\sources\boot.wim, \boot\boot.sdi)."""
    return {layout.wimboot_bcd_file(distro.name): Source(data=wimboot_bcd_store(distro.name, distro.winload))}


@functools.lru_cache(maxsize=256)
def wimboot_bcd_store(name, winload):
    """wimboot's BCD for a distro, built once per process (see bcd_store)."""
    return build_pxe_store(names.BIOS, WIMBOOT_SDI, [(name, WIMBOOT_WIM)],
                           loader=winload + names.FIRMWARE[names.BIOS].winload_ext, timeout=0,
                           timestamp=BCD_TIMESTAMP)


def marker_plan(distro_name):
    return {layout.distro_file(distro_name, MARKER): Source(data=b"staged by cobbler-winpe\n")}


# BCD stores carry a fixed timestamp so that an unchanged inventory stages byte-identical files.
BCD_TIMESTAMP = 132223104000000000   # 2020-01-01T00:00:00Z as a FILETIME
# startnet.cmd reads the profile back from SystemStartOptions (see gen/startnet.py :profile_from_bcd)
PROFILE_OPTION = "COBBLER_PROFILE:"
WIMBOOT_SDI = "\\boot\\" + names.BOOT_SDI        # the paths of wimboot's virtual disk
WIMBOOT_WIM = "\\sources\\" + names.BOOT_WIM
STL_COPIES = ("bcd", "bcd/sys")     # boot.stl also beside the BCDs (see boot_image_plan)


def firmwares_of(staged):
    """The firmwares a distro can boot: those whose first-stage loader the boot image provided."""
    uefi = any(name in staged for name in bootfiles.MANAGER_FILE.values())
    return [fw for fw in names.FIRMWARES if (uefi if fw == names.UEFI else layout.NBP[fw] in staged)]


def bcd_source(distro, profile, settings, firmware, manager):
    """The BCD of one profile for one firmware: the staged boot.sdi and boot.wim, the manager's fonts."""
    sdi = layout.windows_path(layout.distro_file(distro.name, names.BOOT_SDI))
    wim = layout.windows_path(layout.distro_file(distro.name, names.BOOT_WIM))
    fonts = layout.windows_path(layout.distro_file(
        distro.name, bootfiles.FONTS_DIR[manager if firmware == names.UEFI else "2011"]))
    return Source(data=bcd_store(
        firmware, sdi, wim, profile.name, distro.winload + names.FIRMWARE[firmware].winload_ext,
        settings["bcd_timeout"], settings["tftp_blocksize"] or None, settings["tftp_windowsize"] or None,
        bool(settings["tftp_varwindow"]), fonts))


@functools.lru_cache(maxsize=1024)
def bcd_store(firmware, sdi, wim, name, loader, timeout, blocksize, windowsize, varwindow, fonts):
    """The serialised BCD for these inputs, built once per process: a sync whose inputs did not change (cobblerd
    runs every sync in one process) reuses the bytes instead of serialising every store again."""
    return build_pxe_store(firmware, sdi, [(name, wim)], loader=loader, timeout=timeout, tftp_blocksize=blocksize,
                           tftp_windowsize=windowsize, tftp_varwindow=varwindow, fontpath=fonts,
                           loadoptions=PROFILE_OPTION + name, timestamp=BCD_TIMESTAMP)


def bcd_plan(distro, profiles, settings, firmwares, staged=()):
    """One BCD store per profile and firmware, naming exactly the staged boot.sdi and boot.wim."""
    return {layout.bcd_file(distro.name, profile.name, firmware):
            bcd_source(distro, profile, settings, firmware, boot_manager(staged, profile, distro))
            for profile in profiles for firmware in firmwares}


def system_manager_plan(distro_name, system_name, plan, staged, manager):
    """The system's boot manager folder (layout.system_boot_dir): the chosen manager as bootmgfw.efi, its MUI
    files and boot.stl, each the same Source as the distro's staged file (so a hard link)."""
    folder = layout.system_boot_dir(distro_name, system_name)
    return {posixpath.join(folder, name): plan[layout.distro_file(distro_name, staged_name)]
            for name, staged_name in bootfiles.manager_files(staged, manager).items()}


def system_bcd_plan(distro, systems, profile_plan, profiles=(), settings=None, staged=()):
    """For each netboot-enabled system, its profile's BCD again under the system's name (the same stored
    content, so a hard link): what Cobbler's DHCP template points option 252 at (adapter/install.py), and its UEFI
    boot manager (winpe_boot_manager of system, profile, distro) in layout.system_boot_dir, which DHCP hands out.
    A system whose manager differs from its profile's gets a UEFI BCD of its own (the manager's fonts)."""
    by_name = {p.name: p for p in profiles}
    plan = {}
    for system in (s for s in systems if s.netboot_enabled):
        profile = by_name.get(system.profile)
        for firmware in names.FIRMWARES:
            source = profile_plan.get(layout.bcd_file(distro.name, system.profile, firmware))
            if source is None:
                continue
            if firmware == names.UEFI and profile is not None:
                manager = boot_manager(staged, system, profile, distro)
                if manager != boot_manager(staged, profile, distro):
                    source = bcd_source(distro, profile, settings or {}, firmware, manager)
                plan.update(system_manager_plan(distro.name, system.name, profile_plan, staged, manager))
            plan[layout.system_bcd_file(distro.name, system.name, firmware)] = source
    return plan


def distro_plan(distro, profiles, cache, boot_sdi, boot_wim, settings, server, inject, systems=()):
    """Everything one Windows distro stages: boot-image files, boot.sdi, boot.wim, BCDs (per profile, and per
    system of SYSTEMS), iPXE scripts, the WinPE start files wimboot injects (INJECT: {profile name: {file name:
    text}}) and the marker.  CACHE: (the boot-file cache's root, its host/tree.index_tree)."""
    plan = boot_image_plan(distro.name, *cache)
    staged = staged_names(plan, distro.name)
    plan.update(media_plan(distro, boot_sdi, boot_wim))
    plan.update(bcd_plan(distro, profiles, settings, firmwares_of(staged), staged))
    plan.update(system_bcd_plan(distro, systems, plan, profiles, settings, staged))
    plan.update(wimboot_bcd_plan(distro))
    inject_names = sorted({name for files in inject.values() for name in files})
    plan.update(ipxe_plan(distro, profiles, server, settings, inject_names, staged, systems))
    for profile_name, files in inject.items():
        plan.update(inject_plan(distro.name, profile_name, files))
    plan.update(marker_plan(distro.name))
    return check_plan(plan)
