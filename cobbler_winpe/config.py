"""The plugin's own configuration file (/etc/cobbler/winpe.yaml): defaults, loading and validation."""
import logging
import os
import secrets

import yaml

from cobbler_winpe import names
from cobbler_winpe.errors import InputError
from cobbler_winpe.fsutil import create_once
from cobbler_winpe.gen import answer_meta

DEFAULT_PATH = "/etc/cobbler/winpe.yaml"
DEBIAN_IPXE = "/usr/lib/ipxe/"         # Debian's ipxe package
ENV_PATH = "COBBLER_WINPE_CONFIG"

# Every key with its default and a one-line meaning; docs/configuration.md is generated from this table.
DEFAULTS = {
    "enabled": (True, "master switch: false makes every hook a no-op"),
    "cache_dir": ("/var/lib/cobbler/winpe", "boot files extracted once per distro (outside the trees sync wipes)"),
    "wimboot": ("/var/lib/cobbler/loaders/wimboot", "the admin's wimboot binary for iPXE entries (optional)"),
    "ipxe_efi": (DEBIAN_IPXE + names.SNPONLY,
                 "iPXE for UEFI clients, staged as winpe/ipxe/%s (DHCP sends them there)" % names.SNPONLY),
    "ipxe_bios": (DEBIAN_IPXE + names.UNDIONLY, "iPXE BIOS binary (for DHCP snippets sending BIOS clients to iPXE)"),
    "secure_boot_shim": ("", "iPXE's Microsoft-signed shim (%s, github.com/ipxe/shim), staged as winpe/ipxe/sb/%s; "
                                 "'' = none (docs/secure-boot.md)" % (names.IPXE_SHIM, names.IPXE_SHIM)),
    "secure_boot_ipxe": ("", "iPXE signed with the key that shim trusts (%s or %s of iPXE's signed release), staged "
                             "as winpe/ipxe/sb/%s, the name the shim starts" % (names.IPXE_EFI, names.SNPONLY,
                                                                                 names.IPXE_EFI)),
    "secure_boot_wimboot": ("", "a signed wimboot; with it iPXE entries boot it (through the shim when one is set)"),
    "uefi_menu": (False, "unknown UEFI machines get the Windows boot manager's own menu of every Windows profile "
                         "(winpe/menu/<arch>/BCD) instead of GRUB; run install-hooks after changing it"),
    "uefi_ipxe_menu": (False, "unknown UEFI x64 machines get iPXE (winpe/ipxe/%s) and then Cobbler's iPXE menu "
                              "(ipxe/default.ipxe: Linux and Windows profiles; needs Cobbler's enable_ipxe: true) "
                              "instead of GRUB; run install-hooks after changing it (docs/boot-chains.md)"
                       % names.SNPONLY),
    "uefi_menu_timeout": (30, "seconds that menu waits before booting its first entry"),
    "boot_method": ("wds", "iPXE entries: 'wds' chains bootmgr with option 252, 'wimboot' uses wimboot over HTTP"),
    "bcd_timeout": (0, "seconds the Windows boot manager shows its own menu (0: boot at once)"),
    "tftp_blocksize": (1456, "ramdisktftpblocksize written to each BCD (WDS default 1456; 0 leaves it out)"),
    "tftp_windowsize": (64, "ramdisktftpwindowsize written to each BCD (0 leaves it out; 64: docs/performance.md)"),
    "tftp_varwindow": (False, "ramdisktftpvarwindow (needs bootmgr 6.2+)"),
    "smb_share": ("winpe", "Samba share name over the distro mirror"),
    "smb_include": ("/etc/samba/cobbler-winpe.conf", "the smb.conf include file the plugin writes"),
    "smb_user": ("cobbler-winpe", "read-only Samba account WinPE maps the share with"),
    "smb_password_file": ("/etc/cobbler/winpe.secret", "file holding that account's password (mode 0600)"),
    "smb_data_dir": ("", "folder the data share serves (answer files, per-system files, drivers); '' = "
                         "<cache_dir>/smb"),
    "smb_guest": (False, "serve the share to guests instead (no SMB signing: Windows 11 24H2 refuses it)"),
    "tftpd_rules": ("/etc/cobbler/winpe/tftpd.rules", "tftpd-hpa remap file (-m) the plugin writes"),
    "atftpd_rules": ("/etc/cobbler/winpe/atftpd.pcre", "atftpd pattern file (--pcre) the plugin writes"),
    "dhcp_snippets_dir": ("/etc/cobbler/winpe", "where the ISC dhcpd and dnsmasq snippets are written"),
    "proxy_dhcp_network": ("", "subnet address (e.g. 192.168.1.0) for dnsmasq-proxy.conf, the proxyDHCP file for a "
                           "site DHCP server Cobbler does not run; empty: not written"),
    "locale": ("en-US", "default answer-file locale (metadata winpe_locale overrides)"),
    "timezone": ("UTC", "default answer-file time zone (metadata winpe_timezone overrides)"),
}


class Config(dict):
    """Validated settings: a dict of DEFAULTS' keys whose repr never shows secrets."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        return "Config(%s)" % ", ".join("%s=%r" % item for item in sorted(self.items()))


def _check_type(key, value, default, where):
    expected = type(default)
    if expected is int and isinstance(value, bool):
        expected = None
    if expected is None or not isinstance(value, expected):
        raise InputError("%s: %s" % (where, key), "expected %s, got %r" % (type(default).__name__, value),
                         "see docs/configuration.md for the valid values")


def validate(data, where="configuration"):
    """Merge DATA over the defaults, refusing unknown keys and values of the wrong type."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(where, "the file must hold a mapping of key: value", "start from docs/configuration.md")
    unknown = sorted(set(data) - set(DEFAULTS))
    if unknown:
        raise InputError(where, "unknown key %s" % ", ".join(map(str, unknown)),
                         "known keys: %s" % ", ".join(sorted(DEFAULTS)))
    merged = Config((key, default) for key, (default, _) in DEFAULTS.items())
    for key, value in data.items():
        _check_type(key, value, DEFAULTS[key][0], where)
        merged[key] = value
    if merged["boot_method"] not in ("wds", "wimboot"):
        raise InputError(where + ": boot_method", "must be 'wds' or 'wimboot', not %r" % merged["boot_method"])
    if merged["uefi_menu"] and merged["uefi_ipxe_menu"]:
        raise InputError(where + ": uefi_ipxe_menu", "uefi_menu and uefi_ipxe_menu both give unknown UEFI machines "
                         "their menu", "turn one of them off")
    for key in ("tftp_blocksize", "tftp_windowsize", "bcd_timeout", "uefi_menu_timeout"):
        if merged[key] < 0 or merged[key] > 65464:
            raise InputError(where + ": " + key, "out of range: %d" % merged[key], "use 0 to 65464")
    return merged


def load(path=None):
    """Read the configuration file (default /etc/cobbler/winpe.yaml or $COBBLER_WINPE_CONFIG); absent = defaults."""
    path = path or os.environ.get(ENV_PATH) or DEFAULT_PATH
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        data = {}
    except yaml.YAMLError as err:
        raise InputError(path, "not valid YAML: %s" % str(err).splitlines()[0],
                         "fix the syntax or remove the file to use the defaults") from None
    except OSError as err:
        raise InputError(path, "cannot read: %s" % err.strerror, "check its permissions") from None
    return validate(data, where=path)


def read_secret(path):
    """The Samba password from its own file (first line), or None when the file does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n") or None
    except FileNotFoundError:
        return None


def smb_password(cfg):
    """The read-only Samba account's password: from its file, created (mode 0600) on first use; never logged.

    None in guest mode."""
    if cfg.smb_guest:
        return None
    password = read_secret(cfg.smb_password_file)
    if password:
        return password
    if not create_once(cfg.smb_password_file, secrets.token_urlsafe(18) + "\n"):   # another process was first
        return read_secret(cfg.smb_password_file)
    logging.getLogger("cobbler_winpe").info(
        "cobbler-winpe: created the Samba password file %s; create the account with `cobbler-winpe smb-account`",
        cfg.smb_password_file)
    return read_secret(cfg.smb_password_file)


def describe():
    """docs/configuration.md: every key, its default and its meaning, then the answer-file metadata keys (a test
    keeps the file in step)."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    rows += ["| `%s` | `%s` | %s |" % (key, yaml.safe_dump(default, default_flow_style=True).strip().rstrip(".").strip(),
                                      text) for key, (default, text) in DEFAULTS.items()]
    return ("# Configuration: /etc/cobbler/winpe.yaml\n\n"
            "The plugin's own YAML file (Cobbler's settings schema rejects unknown keys, so the plugin keeps its own).\n"
            "An absent file means every default; an unknown key or a value of the wrong type stops every hook with\n"
            "one logged line naming the key. `COBBLER_WINPE_CONFIG` names another file.\n\n"
            + "\n".join(rows) + "\n\n"
            "The Samba password lives in its own file (`smb_password_file`, mode 0600), created on the first sync;\n"
            "`cobbler-winpe smb-account` creates the matching Unix and Samba account. It is never logged.\n"
            + answer_meta.describe())
