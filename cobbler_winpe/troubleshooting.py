"""Which row of docs/troubleshooting.md explains each `verify` link and `check` row that fails (the one table)."""
import re

DOC = "docs/troubleshooting.md"

# verify: (link name, regex on the failure detail or None, row anchor); the first match for a link name wins.
# Link names are those cobbler_winpe/verify/chain.py gives; "initrd <name>" links are looked up as "initrd".
VERIFY_ROWS = [
    ("menu entry", r"\bmemdisk\b", "T-cdboot-code-5"),
    ("menu entry", r"boots from the local disk", "T-boots-local-disk"),
    ("menu entry", r"menuentry '.*' starts no Windows loader", "T-grub-load-kernel-first"),
    ("menu entry", None, "T-no-windows-entry"),
    ("system menu", None, "T-boots-local-disk"),
    ("iPXE menu item", None, "T-no-windows-entry"),
    ("iPXE entry", None, "T-no-windows-entry"),
    ("NBP from DHCP", None, "T-pxe-e32"),
    ("pxelinux core", None, "T-pxe-e32"),
    ("menu", None, "T-pxe-e32"),
    ("GRUB config", None, "T-pxe-e32"),
    ("pxelinux module", None, "T-com32"),
    ("chainloaded", None, "T-grub-load-kernel-first"),
    ("hand-over", None, "T-grub-load-kernel-first"),
    ("NBP", None, "T-0xc000000f"),
    ("boot manager", None, "T-0xc000000f"),
    ("DHCP option 252", None, "T-0xc000000f"),
    ("pxechn -W", None, "T-0xc000000f"),
    ("BCD", None, "T-0xc000000f"),
    ("boot manager MUI", None, "T-0xc000000f"),
    ("BCD fontpath", None, "T-0xc000000f"),
    ("BCD ramdisk WIM", None, "T-0xc000000f"),
    ("BCD ramdisksdipath", r"names no boot\.sdi", "T-0xc000000d"),
    ("BCD ramdisksdipath", None, "T-0xc000000f"),
    ("BCD parse", None, "T-0xc0000098"),
    ("BCD default entry", r"not a RAM disk", "T-0xc000000d"),
    ("BCD default entry", None, "T-0xc0000098"),
    ("wimboot BCD", None, "T-0xc000000f"),
    ("wimboot files", None, "T-0xc000000f"),
    ("iPXE script", None, "T-ipxe-no-such-file"),
    ("iPXE menu", None, "T-ipxe-no-such-file"),
    ("chained script", None, "T-ipxe-no-such-file"),
    ("wimboot", None, "T-ipxe-no-such-file"),
    ("initrd", None, "T-ipxe-no-such-file"),
]

# check: row name (cobbler_winpe/checks.py, cli/check.py) -> row anchor.
CHECK_ROWS = {
    "cobbler hooks": "T-no-windows-entry",
    "status reports (anamon)": "T-no-install-status",
    "python module pycdlib": "T-no-windows-entry",
    "wimlib-imagex": "T-media-driver-missing",
    "smbd": "T-cannot-map-share",
    "samba include": "T-cannot-map-share",
    "pxelinux": "T-pxe-e32",
    "pxelinux ldlinux": "T-pxe-e32",
    "GRUB (UEFI)": "T-pxe-e32",
    "iPXE for UEFI hand-over": "T-pxe-e32",
    "pxechn (BIOS Windows entries)": "T-com32",
    "libcom32": "T-com32",
    "libutil": "T-com32",
    "wimboot": "T-ipxe-no-such-file",
    "tftpd remap": "T-0xc000000f",
    "atftpd remap": "T-0xc000000f",
    "selinux samba share": "T-cannot-map-share",
    "selinux tftp root": "T-pxe-e32",
    "selinux cobbler_can_network_connect": "T-cobbler-503",
    "selinux httpd_can_network_connect_cobbler": "T-cobbler-503",
    "firewalld tftp": "T-pxe-e32",
    "firewalld http": "T-ipxe-no-such-file",
    "firewalld samba": "T-cannot-map-share",
    "firewalld proxy-dhcp": "T-pxe-e53",
}


def link_row(name, detail=""):
    """The anchor explaining a failed verify link NAME with DETAIL, or None when the table has no row for it."""
    key = "initrd" if name.startswith("initrd ") else name
    for link, pattern, anchor in VERIFY_ROWS:
        if link == key and (pattern is None or re.search(pattern, detail)):
            return anchor
    return None


def check_row(name):
    """The anchor explaining a failed check row NAME, or None."""
    return CHECK_ROWS.get(name)


def see(anchor):
    """' (see docs/troubleshooting.md#ANCHOR)', or '' without an anchor."""
    return " (see %s#%s)" % (DOC, anchor) if anchor else ""


def anchors():
    """Every anchor the tables name."""
    return {row[2] for row in VERIFY_ROWS} | set(CHECK_ROWS.values())
