"""The one place that writes loader, boot-file and firmware names, and the firmware table built from them.

Every other module refers to these constants (tests/unit/test_architecture.py fails when a loader or firmware
name is written as a literal anywhere else).  Adding a firmware is one row of FIRMWARE; adding a Windows boot file
is one row of wim/bootfiles.BOOT_FILES using a name from here.
"""
from dataclasses import dataclass
from typing import Tuple

# ---- firmware and the chain names `verify` walks ------------------------------------------------
BIOS = "bios"
UEFI = "uefi"
IPXE_CHAIN = "ipxe"             # a BIOS client's iPXE (NIC ROM or undionly.kpxe)
IPXE_EFI_CHAIN = "ipxe-efi"     # a UEFI client's iPXE (snponly.efi)
GRUB_CHAIN = "grub"             # Cobbler's GRUB menus

# ---- Windows loaders and boot files, as the media name them ------------------------------------
PXEBOOT = "pxeboot.n12"          # BIOS network boot program (no F12 prompt)
PXEBOOT_COM = "pxeboot.com"
BOOTMGR_EXE = "bootmgr.exe"      # the BIOS boot manager pxeboot.n12 fetches from its own folder
WDSNBP = "wdsnbp.com"
ABORTPXE = "abortpxe.com"
BOOTMGFW = "bootmgfw.efi"        # UEFI boot manager signed by Windows Production PCA 2011
BOOTMGFW_EX = "bootmgfw_EX.efi"  # the 2023-signed UEFI boot manager of 24H2+ media (Windows/Boot/EFI_EX)
BOOTMGR_EFI = "bootmgr.efi"      # the boot manager at a medium's root (ADK media)
BOOT_SDI = "boot.sdi"            # the RAM disk's SDI image
BOOT_STL = "boot.stl"            # read by 24H2+ boot managers under Secure Boot
BOOT_WIM = "boot.wim"
BCD = "BCD"
MUI = ".mui"

# ---- loaders that are not Microsoft's ----------------------------------------------------------
SNPONLY = "snponly.efi"          # Debian's iPXE for UEFI (drives the NIC through the firmware's SNP)
UNDIONLY = "undionly.kpxe"       # Debian's iPXE for BIOS (drives the NIC through the PXE ROM's UNDI)
IPXE_LKRN = "ipxe.lkrn"          # Debian's iPXE as a Linux kernel (GRUB linux16)
IPXE_EFI = "ipxe.efi"            # iPXE with its own drivers; the name ipxe/shim starts
IPXE_SHIM = "ipxe-shimx64.efi"   # iPXE's Microsoft-signed shim
WIMBOOT = "wimboot"
GRUB_BIOS = "grub.0"             # Cobbler's GRUB for BIOS PXE (`cobbler mkloaders`, i386-pc-pxe)
GRUB_UEFI = "grubx64.efi"        # Cobbler's GRUB for UEFI x64 (x86_64-efi)
PXELINUX = "pxelinux.0"
PXECHN = "pxechn.c32"            # syslinux's PXE chainloader that writes option 252 into the cached packets


@dataclass(frozen=True)
class Firmware:
    """What one client firmware gets at every step of the chain."""
    name: str
    nbp: str                     # the Windows network boot program DHCP or a menu hands it
    bcd_suffix: str              # its BCD store's name after the profile's
    dhcp_arches: Tuple[int, ...]  # option 93 (client system architecture, RFC 4578) values it sends
    ipxe: str                    # Debian's iPXE build it runs
    ipxe_platform: str           # iPXE's ${platform} on it
    grub: str                    # the GRUB loader stock Cobbler's dhcp.template gives it (under grub/)
    install_partition: int       # the Windows partition of the plugin's disk layout (answer files)
    winload_ext: str             # the extension of the Windows loader (winload) its BCD starts


FIRMWARE = {
    BIOS: Firmware(BIOS, PXEBOOT, "", (0,), UNDIONLY, "pcbios", GRUB_BIOS, 2, ".exe"),
    UEFI: Firmware(UEFI, BOOTMGFW, "." + UEFI, (7, 9, 11), SNPONLY, "efi", GRUB_UEFI, 3, ".efi"),
}
FIRMWARES = tuple(FIRMWARE)
UEFI_X64_ARCHES = (7, 9)         # EFI BC and EFI x86-64 (option 93)
UEFI_ARM64_ARCHES = (11,)        # ARM 64-bit UEFI


def firmware_of_platform(platform):
    """The firmware name of an iPXE ${platform} value (pcbios, efi)."""
    return next(fw.name for fw in FIRMWARE.values() if fw.ipxe_platform == platform)
