"""Cobbler's DHCP templates (dhcp.template, dnsmasq.template): add or remove the plugin's guarded blocks."""
import os
import re

from cobbler_winpe import names
from cobbler_winpe.adapter.blocks import BEGIN, END, without_block
from cobbler_winpe.errors import ToolError
from cobbler_winpe.fsutil import write_atomic
from cobbler_winpe.gen import layout
from cobbler_winpe.gen.dhcp import ARCH_BIOS, ISC_FORCE_252, isc_arch, isc_ipxe_menu_statements, isc_menu_statements


# Cobbler's DHCP templates, beside settings.yaml (Cobbler 3.3's isc and dnsmasq managers read /etc/cobbler/...).
DHCP_TEMPLATE = "dhcp.template"
DNSMASQ_TEMPLATE = "dnsmasq.template"
ISC_OPTION = """{begin}: option 252 (the Windows boot manager's BCD path) for cobbler-winpe's host statements
option cobbler-winpe-bcd code 252 = text;
{end}
"""
ISC_HOST = r"""        {begin}: a Windows system's PXE client (not iPXE) gets its loader and option 252 (its boot manager and BCD
        # are staged under the system's name by gen/staging.py system_bcd_plan: layout.system_nbp_file)
        #if $iface.get('mgmt_parameters', {{}}).get('winpe') and $iface.get('netboot_enabled') and not $iface.get('enable_ipxe') and not $iface.get('filename') and $iface.get('distro')
        #set $winpe_bcd = '\\\\images\\\\' + $iface.distro.name + '\\\\bcd\\\\sys\\\\' + $iface.owner
        if substring (option vendor-class-identifier, 0, 9) = "PXEClient" and not exists user-class {{
{force}
            if option system-arch = {arch_bios} {{
                filename "{bios_file}";
                option cobbler-winpe-bcd "$winpe_bcd";
            }} else {{
                filename "{uefi_file}";
                option cobbler-winpe-bcd "${{winpe_bcd}}{uefi_suffix}";
            }}
        }}
        #end if
        {end}
"""
CHEETAH_DISTRO, CHEETAH_SYSTEM = "$iface.distro.name", "$iface.owner"   # dhcp.template's names for them
ISC_HOST_LINE = re.compile(r"^[ \t]*host \$iface\.name \{[ \t]*\n", re.M)
ISC_PXE_CLASS = re.compile(r'class\s+"pxeclients"\s*\{')
ISC_MENU = """{begin}: unknown UEFI clients get {what} (last, so it replaces GRUB)
{body}
{end}
"""
MENUS = {"uefi_menu": ("the Windows boot manager menu (uefi_menu)", isc_menu_statements),
         "uefi_ipxe_menu": ("iPXE and Cobbler's iPXE menu (uefi_ipxe_menu)", isc_ipxe_menu_statements)}
DNSMASQ_LINE = """{begin}: boot files and option 252 for Windows systems (tags only; Cobbler keeps its dhcp-host lines)
conf-file={path}
{end}
"""



def class_end(text, found):
    """The offset of the line holding the brace that closes the block opened at FOUND's end."""
    depth = 1
    for index in range(found.end(), len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text.rindex("\n", 0, index) + 1
    raise ToolError("dhcp.template", 'class "pxeclients" is not closed', "restore Cobbler's dhcp.template")


def with_menu_block(text, menu="uefi_menu"):
    """TEXT with the statements of MENU (a MENUS key) last in Cobbler's `class "pxeclients"` (gen/dhcp.py)."""
    found = ISC_PXE_CLASS.search(text)
    if not found:
        raise ToolError("dhcp.template", 'no `class "pxeclients" {` for unknown PXE clients',
                        "set %s: false, or add the class back to dhcp.template" % menu)
    at = class_end(text, found)
    what, statements = MENUS[menu]
    body = "\n".join(" " * 10 + line for line in statements())
    return text[:at] + ISC_MENU.format(begin=" " * 10 + BEGIN, what=what, body=body, end=" " * 10 + END) + text[at:]


def with_isc_blocks(text, uefi_menu=False, ipxe_menu=False):
    """Cobbler's dhcp.template with the option definition on top and the Windows statements first in each host
    block (they step aside for systems with enable_ipxe or their own filename, which Cobbler handles); with
    UEFI_MENU (or IPXE_MENU) the menu for unknown UEFI clients last in the pxeclients class."""
    text = without_block(text)
    for menu, wanted in (("uefi_menu", uefi_menu), ("uefi_ipxe_menu", ipxe_menu)):
        if wanted:
            text = with_menu_block(text, menu)
    found = ISC_HOST_LINE.search(text)
    if not found:
        raise ToolError("dhcp.template", "no `host $iface.name {` line to extend",
                        "include /etc/cobbler/winpe/dhcpd-winpe.conf in dhcpd.conf by hand instead")
    force = "\n".join(" " * 12 + line for line in ISC_FORCE_252)
    host = ISC_HOST.format(begin=BEGIN, end=END, force=force, arch_bios=isc_arch(ARCH_BIOS[0]),
                           bios_file=layout.nbp_file(CHEETAH_DISTRO, names.BIOS),
                           uefi_file=layout.system_nbp_file(CHEETAH_DISTRO, CHEETAH_SYSTEM),
                           uefi_suffix=names.FIRMWARE[names.UEFI].bcd_suffix)
    text = text[:found.end()] + host + text[found.end():]
    return ISC_OPTION.format(begin=BEGIN, end=END) + text


def with_dnsmasq_line(text, snippet):
    return without_block(text).rstrip("\n") + "\n" + DNSMASQ_LINE.format(begin=BEGIN, end=END, path=snippet)


def edit_dhcp_templates(etc_dir, snippets_dir, install=True, uefi_menu=False, ipxe_menu=False):
    """Add (or with INSTALL false remove) the plugin's blocks in Cobbler's DHCP templates that exist in ETC_DIR."""
    changed = []
    edits = ((DHCP_TEMPLATE, lambda t: with_isc_blocks(t, uefi_menu, ipxe_menu)),
             (DNSMASQ_TEMPLATE, lambda t: with_dnsmasq_line(t, os.path.join(snippets_dir, "dnsmasq-winpe.conf"))))
    for name, edit in edits:
        path = os.path.join(etc_dir, name)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        if write_atomic(path, edit(text) if install else without_block(text)):
            changed.append(path)
    return changed
