"""Host checks behind `cobbler-winpe check`: what each enabled boot path needs, and the command that fixes it."""
import os
import re
import shutil
from dataclasses import dataclass

from cobbler_winpe import names


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    needed: bool = True


def program(name, package):
    path = shutil.which(name)
    return Check(name, bool(path), path or "not on PATH", "apt-get install %s" % package)


def module(name, package):
    try:
        __import__(name)
        return Check("python module " + name, True, "importable")
    except ImportError:
        return Check("python module " + name, False, "not importable", "pip install %s" % package)


def file_check(name, path, fix, needed=True):
    ok = os.path.isfile(path)
    return Check(name, ok, path if ok else path + " missing", fix, needed)


def loaders(tftproot):
    fix = "apt-get install pxelinux syslinux-common grub-efi-amd64-bin ipxe, then `cobbler mkloaders` and `cobbler sync`"
    wanted = [("pxelinux", names.PXELINUX), ("pxelinux ldlinux", "ldlinux.c32"), ("pxechn (BIOS Windows entries)",
              names.PXECHN), ("libcom32", "libcom32.c32"), ("libutil", "libutil.c32"),
              ("GRUB (UEFI)", "grub/" + names.GRUB_UEFI)]
    return [file_check(label, os.path.join(tftproot, name), fix) for label, name in wanted]


def wimboot_version(path):
    """The version string wimboot carries ("wimboot v2.8.0"), or None."""
    try:
        with open(path, "rb") as handle:
            found = re.search(rb"wimboot v(\d+\.\d+(?:\.\d+)?)", handle.read(4 << 20))
    except OSError:
        return None
    return found.group(1).decode() if found else None


def wimboot(cfg):
    needed = cfg["boot_method"] == "wimboot"
    version = wimboot_version(cfg["wimboot"])
    if version:
        return Check("wimboot", True, "%s (v%s)" % (cfg["wimboot"], version), needed=needed)
    return Check("wimboot", False, cfg["wimboot"] + (" is not wimboot" if os.path.exists(cfg["wimboot"])
                                                      else " missing"),
                 "put the wimboot binary (github.com/ipxe/wimboot releases) at that path, or set boot_method: wds",
                 needed)


def samba_include(cfg, smb_conf="/etc/samba/smb.conf"):
    line = "include = " + cfg["smb_include"]
    try:
        with open(smb_conf, encoding="utf-8", errors="replace") as handle:
            ok = any(l.strip().replace("  ", " ") == line for l in handle)
    except OSError:
        ok = False
    return Check("samba include", ok, smb_conf + (" includes " if ok else " lacks ") + cfg["smb_include"],
                 "add the line '%s' as the last line of %s (after every section) and reload smbd" % (line, smb_conf))


def _map_option(name, defaults, pattern, rules, fix, absent):
    """NAME's check: does the TFTP server's DEFAULTS file pass it the RULES file (PATTERN)?  Not needed (with the
    ABSENT hint) when that server is not installed."""
    try:
        with open(defaults, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return Check(name, False, defaults + " missing (%s not in use)" % name.split()[0], absent, False)
    ok = re.search(pattern, text) is not None
    return Check(name, ok, defaults + (" maps with " if ok else " does not map with ") + rules, fix)


def tftpd_remap(cfg, defaults="/etc/default/tftpd-hpa"):
    rules = cfg["tftpd_rules"]
    return _map_option("tftpd remap", defaults, r"(-m|--map-file)[ =]?" + re.escape(rules), rules,
                       'add "-m %s" to TFTP_OPTIONS in %s and restart tftpd-hpa' % (rules, defaults),
                       "with dnsmasq use --tftp-lowercase; with tftpd-hpa add -m %s" % rules)


def atftpd_remap(cfg, defaults="/etc/default/atftpd"):
    """atftpd (RFC 7440 windowsize) must read the plugin's --pcre file; not needed when atftpd is not installed."""
    rules = cfg["atftpd_rules"]
    return _map_option("atftpd remap", defaults, r"--pcre[ =]" + re.escape(rules) + r"(\s|\"|$)", rules,
                       'add "--pcre %s" to OPTIONS in %s and restart atftpd' % (rules, defaults),
                       "to serve Windows clients with windowsize, install atftpd and add --pcre %s" % rules)


def all_checks(cfg, tftproot="/srv/tftpboot"):
    return ([program("wimlib-imagex", "wimtools"), module("pycdlib", "pycdlib"), program("smbd", "samba")]
            + loaders(tftproot)
            + [file_check("iPXE for UEFI hand-over", cfg["ipxe_efi"], "apt-get install ipxe"),
               wimboot(cfg), samba_include(cfg), tftpd_remap(cfg), atftpd_remap(cfg)])
