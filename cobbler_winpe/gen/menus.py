"""Boot menu text for Windows profiles: pxelinux entries (pxechn + option 252), GRUB entries and iPXE scripts.

Pure functions from the model (gen/model.py) to text; paths come from gen/layout.py.  The chains they encode and
why are in docs/boot-chains.md.  Every name that reaches the text is checked by safe_name() and refused (InputError)
unless it is plain letters, digits, '.', '_' and '-': no quoting rule is shared by pxelinux, GRUB, iPXE and DHCP
option strings, so refusing is the only escape that holds in all four.
"""
import ipaddress
import re

from cobbler_winpe import names
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import cheetah, layout, values

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
MAX_TITLE = 80
MENU_DIR = "cobbler_winpe/"   # snippets/cobbler_winpe/menu_*: what $SNIPPET(...) of install-hooks renders
TITLE_FORBIDDEN = "'\"$\\`{};&|<>#"
# (name wimboot is handed, staged file; None = the wimboot BCD).  Names as wimboot's source matches them: main.c
# add_file() takes "bootmgr.exe" as the BIOS boot manager ("bootmgr" would mean a compressed one to unpack), and
# efifile.c takes "bootmgfw.efi", "BCD" and "*.wim"; each firmware's wimboot ignores the other's loader.
WIMBOOT_FILES = ((names.BOOTMGR_EXE, names.BOOTMGR_EXE), (names.BOOTMGFW, layout.NBP[names.UEFI]), (names.BCD, None),
                 (names.BOOT_SDI, names.BOOT_SDI), (names.BOOT_WIM, names.BOOT_WIM))


def safe_name(what, name):
    """NAME if it can go verbatim into every menu language and path; else InputError."""
    name = values.text(what, name, 100)
    if not SAFE_NAME.fullmatch(name) or ".." in name:
        raise InputError("%s %r" % (what, name),
                         "only letters, digits, '.', '_' and '-' (not first, no '..') can appear in boot menus",
                         "rename it")
    return name


def menu_title(profile, title=None):
    """The text shown for a profile: TITLE (e.g. its edition) if given, else its name.

    One line, no control characters, and none of the characters pxelinux, GRUB ('...') or iPXE (${...}) would
    read as syntax: TITLE_FORBIDDEN is refused.
    """
    return values.text("menu title of profile %s" % profile.name, title or profile.name, MAX_TITLE,
                       forbidden=TITLE_FORBIDDEN)


def bcd_option(distro, profile, firmware, system=None):
    r"""The DHCP option 252 value naming the profile's BCD for FIRMWARE: \images\<distro>\bcd\<profile>[.uefi],
    or with SYSTEM the system's (\images\<distro>\bcd\sys\<system>[.uefi]).

    Names are at most 100 characters, so the value stays within a DHCP option's 255 bytes.
    """
    if system is not None:
        return layout.windows_path(layout.system_bcd_file(safe_name("distro", distro.name),
                                                          safe_name("system", system.name), firmware))
    return layout.windows_path(layout.bcd_file(safe_name("distro", distro.name),
                                               safe_name("profile", profile.name), firmware))


# ---- pxelinux (BIOS) ------------------------------------------------------------------------------

def render_snippet(name, context, templates):
    """Render the Cobbler snippet snippets/cobbler_winpe/NAME with CONTEXT as Cobbler's $SNIPPET does: the file
    TEMPLATES finds for CONTEXT's system, profile and distro names (per_system/cobbler_winpe/NAME/<system>, ...,
    then the plain one).  The one source of the pxelinux and GRUB entries, whether Cobbler or this module writes
    them."""
    names = tuple(context.get(key, "") for key in ("distro_name", "profile_name", "system_name"))
    return cheetah.render(templates, MENU_DIR + name, context, names)


def _context(distro, profile, title, system=None):
    label = safe_name("system" if system else "profile", system.name if system else profile.name)
    return {"menu_name": label, "menu_label": menu_title(profile, title), "system_name": label if system else "",
            "distro_name": safe_name("distro", distro.name), "profile_name": safe_name("profile", profile.name)}


def pxelinux_entry(distro, profile, title=None, *, templates):
    """A pxelinux LABEL that chains the distro's pxeboot.n12 with option 252 = the profile's BIOS BCD.

    pxechn.c32 -W writes the option (and the chained file's path as boot file) into the cached DHCP_ACK and
    CACHED_REPLY that pxeboot.n12/bootmgr.exe read, so several distros boot side by side unpatched.
    """
    return render_snippet("menu_pxe", _context(distro, profile, title), templates)


def pxelinux_system_config(distro, profile, system, title=None, *, templates):
    """A per-system pxelinux config (pxelinux.cfg/01-<mac>): boots the profile at once, or locally if netboot is off."""
    if not system.netboot_enabled:
        safe_name("system", system.name)
        return "DEFAULT local\nPROMPT 0\nTIMEOUT 0\nTOTALTIMEOUT 0\nLABEL local\n\tLOCALBOOT -1\n"
    return render_snippet("menu_pxe", _context(distro, profile, title, system), templates)


# ---- GRUB (UEFI) ----------------------------------------------------------------------------------

def grub_entry(distro, profile, title=None, *, templates):
    """A GRUB menuentry for a Windows profile: on BIOS (grub.0) linux16 starts iPXE (layout.IPXE_LKRN) with the
    profile's iPXE script as initrd16, which sets option 252 and chains pxeboot.n12; on UEFI it explains.

    Measured (docs/boot-chains.md): GRUB 2.06 and 2.12 keep the NIC's SNP open exclusively after `chainloader`, so
    neither bootmgfw.efi (no PXE base code) nor iPXE of 2019 or 2025 (no network device, or a hang) can use the
    network, and wimboot has no UEFI route through GRUB `linux`.  The UEFI branch names what works instead: the
    DHCP boot file snponly.efi, or the `uefi_menu` option.
    """
    return render_snippet("menu_grub", _context(distro, profile, title), templates)


# ---- iPXE -----------------------------------------------------------------------------------------

def http_url(server, relpath):
    """The URL of a webdir-relative file on the Cobbler server: http://host[:port]/cobbler/<relpath>."""
    return "%s/cobbler/%s" % (values.http_base(server.address, server.http_port), relpath)


# Behind a proxyDHCP server iPXE builds the cached PXE reply packet (BIOS CACHED_REPLY, UEFI PxeReply) from its
# proxydhcp/pxebs settings, whose file name is the iPXE script URL; these give that packet the loader's name too
# (measured, docs/boot-chains.md).  Without a proxy the blocks do not exist and `isset ${ip}` keeps the script going.
PROXY_FILENAME = ["isset ${%s/dhcp-server} && set %s/filename ${winpe-nbp} || isset ${ip}" % (block, block)
                  for block in ("proxydhcp", "pxebs")]
# Behind a proxy the DHCP ACK is the site's: its next-server (siaddr) is the site server or none, and an iPXE that
# ran `dhcp` itself (ipxe.lkrn from BIOS GRUB) has no boot server answer either, since only autoboot asks the
# proxy's boot menu for one (measured: chain tftp://${next-server}/ went nowhere).  The script then names Cobbler's
# TFTP server, in the ACK too, which is where the Windows loader looks for the next files.
PROXY_NEXT_SERVER = "isset ${proxydhcp/dhcp-server} && set netX.dhcp/next-server %s || isset ${ip}"


def proxy_next_server(tftp_server):
    """The PROXY_NEXT_SERVER line for TFTP_SERVER, or none when it is not an IPv4 address (iPXE's next-server
    holds one; a name or nothing leaves the ACK's)."""
    try:
        return [PROXY_NEXT_SERVER % ipaddress.IPv4Address(tftp_server)]
    except ValueError:
        return []


def ipxe_chain_lines(distro, profile, uefi_nbp=None, system=None, tftp_server=None):
    r"""iPXE commands that start the distro's own loader over TFTP with option 252 set to the profile's BCD.

    pcbios clients chain pxeboot.n12 with the BIOS BCD, efi clients bootmgfw.efi with the UEFI BCD; iPXE puts
    252 and the boot file into the DHCP packets its PXE stack (BIOS) / PXE base code protocol (EFI) hands over.
    TFTP_SERVER (Cobbler's TFTP address) replaces the site's next-server when a proxyDHCP answered.
    """
    bios, uefi = names.FIRMWARE[names.BIOS], names.FIRMWARE[names.UEFI]
    nbp = {fw: layout.nbp_file(safe_name("distro", distro.name), fw) for fw in names.FIRMWARES}
    nbp[uefi.name] = uefi_nbp or nbp[uefi.name]   # the profile's boot manager (gen/staging.py boot_manager)
    bcd = {fw: bcd_option(distro, profile, fw, system) for fw in names.FIRMWARES}
    test = "iseq ${platform} %s &&" % uefi.ipxe_platform
    return ["%s set winpe-nbp %s || set winpe-nbp %s" % (test, nbp[uefi.name], nbp[bios.name]),
            "%s set 252:string %s || set 252:string %s" % (test, bcd[uefi.name], bcd[bios.name]),
            "set netX.dhcp/filename ${winpe-nbp}"] + PROXY_FILENAME + proxy_next_server(tftp_server) + [
            "chain tftp://${next-server}/${winpe-nbp}"]


def wimboot_files(distro, owner_name, inject=(), boot=()):
    """(name, webdir-relative path) of every file wimboot is handed, in order: loaders, BCD, RAM disk, injected."""
    dname = safe_name("distro", distro.name)
    owner = safe_name("profile or system", owner_name)
    files = [(name, layout.distro_file(dname, staged) if staged else layout.wimboot_bcd_file(dname))
             for name, staged in WIMBOOT_FILES]
    if boot:   # (name, staged name): the profile's UEFI boot manager and boot.stl (gen/staging.py) replace the default
        files = [f for f in files if not f[0].endswith(".efi")]
        files[1:1] = [(name, layout.distro_file(dname, staged)) for name, staged in boot]
    for name in inject:
        files.append((safe_name("injected file", name), layout.inject_file(dname, owner, name)))
    return files


def ipxe_wimboot_lines(server, distro, owner_name, inject=(), boot=(), signed_wimboot=False, shim=False):
    """iPXE commands that boot WinPE through wimboot over HTTP: kernel wimboot, one initrd -n per file, boot.

    SIGNED_WIMBOOT: the admin's signed wimboot (layout.WIMBOOT_SIGNED) instead; SHIM: `shim` names the admin's
    iPXE shim, so that a signed iPXE under Secure Boot starts wimboot through it (ipxe.org/cmd/shim: skipped on
    BIOS and with Secure Boot off)."""
    lines = ["kernel %s" % http_url(server, layout.WIMBOOT_SIGNED if signed_wimboot else layout.WIMBOOT)]
    for name, relpath in wimboot_files(distro, owner_name, inject, boot):
        lines.append("initrd -n %s %s" % (name, http_url(server, relpath)))
    if shim:
        lines.append("shim tftp://${next-server}/%s" % layout.IPXE_SHIM)
    return lines + ["boot"]


def ipxe_script(lines):
    """A standalone iPXE script (what Cobbler serves for a system, or a profile's script file).

    It first configures the network unless iPXE already has (`isset ${ip} || dhcp`): BIOS GRUB starts ipxe.lkrn
    with the script as its initrd (grub_entry), and that iPXE has not run DHCP yet.
    """
    return "#!ipxe\nisset ${ip} || dhcp\n" + "\n".join(lines) + "\n"
