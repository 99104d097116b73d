"""Where every staged file lives: one place that names paths in the TFTP/web trees and as Windows sees them."""
import posixpath

from cobbler_winpe import names

IMAGES = "images"


def distro_dir(distro_name):
    """The distro's folder relative to tftproot (and to webdir): images/<distro>."""
    return posixpath.join(IMAGES, distro_name)


def distro_file(distro_name, name):
    """A staged file of a distro, relative to tftproot: images/<distro>/<name>."""
    return posixpath.join(distro_dir(distro_name), name)


def bcd_file(distro_name, profile_name, firmware):
    """The BCD store of one profile for one firmware, relative to tftproot."""
    return posixpath.join(distro_dir(distro_name), "bcd", profile_name + names.FIRMWARE[firmware].bcd_suffix)


def system_bcd_file(distro_name, system_name, firmware):
    """A system's BCD (a hard link to its profile's), named so Cobbler's DHCP template can build option 252 from
    the system and distro names alone: images/<distro>/bcd/sys/<system>[.uefi]."""
    return posixpath.join(distro_dir(distro_name), "bcd", "sys", system_name + names.FIRMWARE[firmware].bcd_suffix)


def system_boot_dir(distro_name, system_name):
    """A system's UEFI boot manager folder: the manager its winpe_boot_manager chose, under the name it runs as,
    with that manager's MUI files and boot.stl (hard links): images/<distro>/sys/<system>."""
    return posixpath.join(distro_dir(distro_name), "sys", system_name)


def system_nbp_file(distro_name, system_name):
    """The UEFI boot manager DHCP hands a system (Cobbler's template builds it from the system and distro names
    alone): images/<distro>/sys/<system>/bootmgfw.efi."""
    return posixpath.join(system_boot_dir(distro_name, system_name), NBP[names.UEFI])


def windows_path(relpath):
    r"""A tftproot-relative path as the Windows boot manager asks for it: \images\win10\boot.wim."""
    return "\\" + relpath.strip("/").replace("/", "\\")


# ---- boot-chain files (names used by gen/menus.py) ----------------------------------------------

WIMBOOT = "misc/winpe/" + names.WIMBOOT        # the admin's wimboot, relative to webdir (misc/ survives a full sync)
IPXE_EFI = "winpe/ipxe/" + names.SNPONLY   # Debian's iPXE for UEFI clients, relative to tftproot
IPXE_BIOS = "winpe/ipxe/" + names.UNDIONLY  # Debian's iPXE for BIOS clients, relative to tftproot
IPXE_LKRN = "winpe/ipxe/" + names.IPXE_LKRN    # Debian's iPXE as a Linux kernel: BIOS GRUB (grub.0) starts it with linux16
IPXE_SHIM = "winpe/ipxe/sb/" + names.IPXE_SHIM   # the admin's signed iPXE shim (config secure_boot_shim), tftproot
IPXE_SIGNED = "winpe/ipxe/sb/" + names.IPXE_EFI        # what that shim starts: its own name without "-shimx64" (ipxe/shim)
WIMBOOT_SIGNED = "misc/winpe/sb/" + names.WIMBOOT      # the admin's signed wimboot (config secure_boot_wimboot), webdir
NBP = {fw.name: fw.nbp for fw in names.FIRMWARE.values()}
MENU_DIR = "winpe/menu"               # the UEFI boot-manager menu for unknown machines (config uefi_menu), tftproot
MENU_ARCHES = {"x86_64": "x64", "arm64": "arm64"}   # Cobbler arch -> its menu folder (one boot manager each)


def menu_nbp(arch):
    """The boot manager unknown UEFI clients of Cobbler arch ARCH get: winpe/menu/<x64|arm64>/bootmgfw.efi."""
    return posixpath.join(MENU_DIR, MENU_ARCHES[arch], NBP[names.UEFI])


def menu_bcd(arch):
    """That menu's BCD (option 252 names it): winpe/menu/<x64|arm64>/BCD."""
    return posixpath.join(MENU_DIR, MENU_ARCHES[arch], names.BCD)   # the first Windows loader per firmware


def nbp_file(distro_name, firmware):
    """The Windows network boot program of a distro for one firmware, relative to tftproot."""
    return distro_file(distro_name, NBP[firmware])


def ipxe_script_file(distro_name, owner_name, system=False):
    """The iPXE script of a profile (images/<distro>/ipxe/<profile>.ipxe) or with SYSTEM of a system
    (images/<distro>/ipxe/sys/<system>.ipxe) of a distro, relative to tftproot and webdir."""
    return posixpath.join(distro_dir(distro_name), "ipxe", *(["sys"] if system else []), owner_name + ".ipxe")


def wimboot_bcd_file(distro_name):
    r"""The BCD handed to wimboot: it must name wimboot's virtual disk paths (\sources\boot.wim, \boot\boot.sdi)."""
    return posixpath.join(distro_dir(distro_name), names.WIMBOOT, names.BCD)


def inject_file(distro_name, owner_name, name):
    """A file wimboot injects into WinPE (startnet.cmd, winpeshl.ini, unattend.xml) for a profile or system."""
    return posixpath.join(distro_dir(distro_name), "inject", owner_name, name)
