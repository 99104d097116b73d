"""Which row of docs/troubleshooting.md explains each `verify` link and `check` row that fails (the one table)."""
import re

from cobbler_winpe import tables

DOC = "docs/troubleshooting.md"

# verify: link name | regex on the failure detail (- for any) | row anchor; the first match for a link name wins.
# Link names are those cobbler_winpe/verify/chain.py gives; "initrd <name>" links are looked up as "initrd".
VERIFY_ROWS = tables.rows(r"""
    menu entry         | \bmemdisk\b                             | T-cdboot-code-5
    menu entry         | boots from the local disk               | T-boots-local-disk
    menu entry         | menuentry '.*' starts no Windows loader | T-grub-load-kernel-first
    menu entry         | -                                       | T-no-windows-entry
    system menu        | -                                       | T-boots-local-disk
    iPXE menu item     | -                                       | T-no-windows-entry
    iPXE entry         | -                                       | T-no-windows-entry
    NBP from DHCP      | -                                       | T-pxe-e32
    pxelinux core      | -                                       | T-pxe-e32
    menu               | -                                       | T-pxe-e32
    GRUB config        | -                                       | T-pxe-e32
    pxelinux module    | -                                       | T-com32
    chainloaded        | -                                       | T-grub-load-kernel-first
    hand-over          | -                                       | T-grub-load-kernel-first
    NBP                | -                                       | T-0xc000000f
    boot manager       | -                                       | T-0xc000000f
    DHCP option 252    | -                                       | T-0xc000000f
    pxechn -W          | -                                       | T-0xc000000f
    BCD                | -                                       | T-0xc000000f
    boot manager MUI   | -                                       | T-0xc000000f
    BCD fontpath       | -                                       | T-0xc000000f
    BCD ramdisk WIM    | -                                       | T-0xc000000f
    BCD ramdisksdipath | names no boot\.sdi                      | T-0xc000000d
    BCD ramdisksdipath | -                                       | T-0xc000000f
    BCD parse          | -                                       | T-0xc0000098
    BCD default entry  | not a RAM disk                          | T-0xc000000d
    BCD default entry  | -                                       | T-0xc0000098
    wimboot BCD        | -                                       | T-0xc000000f
    wimboot files      | -                                       | T-0xc000000f
    iPXE script        | -                                       | T-ipxe-no-such-file
    iPXE menu          | -                                       | T-ipxe-no-such-file
    chained script     | -                                       | T-ipxe-no-such-file
    wimboot            | -                                       | T-ipxe-no-such-file
    initrd             | -                                       | T-ipxe-no-such-file
""", 3)

# check: row name (cobbler_winpe/checks.py, cli/check.py) | row anchor.
CHECK_ROWS = dict(tables.rows("""
    cobbler hooks                             | T-no-windows-entry
    status reports (anamon)                   | T-no-install-status
    python module pycdlib                     | T-no-windows-entry
    wimlib-imagex                             | T-media-driver-missing
    smbd                                      | T-cannot-map-share
    samba include                             | T-cannot-map-share
    pxelinux                                  | T-pxe-e32
    pxelinux ldlinux                          | T-pxe-e32
    GRUB (UEFI)                               | T-pxe-e32
    iPXE for UEFI hand-over                   | T-pxe-e32
    pxechn (BIOS Windows entries)             | T-com32
    libcom32                                  | T-com32
    libutil                                   | T-com32
    wimboot                                   | T-ipxe-no-such-file
    tftpd remap                               | T-0xc000000f
    atftpd remap                              | T-0xc000000f
    selinux samba share                       | T-cannot-map-share
    selinux tftp root                         | T-pxe-e32
    selinux cobbler_can_network_connect       | T-cobbler-503
    selinux httpd_can_network_connect_cobbler | T-cobbler-503
    firewalld tftp                            | T-pxe-e32
    firewalld http                            | T-ipxe-no-such-file
    firewalld samba                           | T-cannot-map-share
    firewalld proxy-dhcp                      | T-pxe-e53
""", 2))


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
