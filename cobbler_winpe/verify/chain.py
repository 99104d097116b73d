"""Walk one client's boot chain link by link over TFTP and HTTP, as pxelinux, GRUB, iPXE and bootmgr would fetch it.

Each step records a Link (OK, or FAIL with the reason and the fix); a broken link ends the walk of that chain.
The client (profile, distro, system, MAC) comes from verify/lookup.py; the servers are given, never guessed.
"""
import os
import posixpath
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import List, Optional

from cobbler_winpe import names
from cobbler_winpe.bcd.elements import (
    BOOTMGR, DEFAULT, DEVICE, FONTPATH, LOCALE, PATH, RAMDISKOPTIONS, SDIDEVICE, SDIPATH)
from cobbler_winpe.bcd.store import read_store
from cobbler_winpe.bcd.values import json_value
from cobbler_winpe.errors import WinpeError
from cobbler_winpe.gen import layout
from cobbler_winpe.verify import menus
from cobbler_winpe.verify.tftp import TftpFailure, tftp_get
from cobbler_winpe.wim import bootfiles

FIRST_FONT = "wgl4_boot.ttf"          # the font bootmgr loads first from its fontpath
DEFAULT_BCD = "\\Boot\\BCD"           # what bootmgr asks for without DHCP option 252
PEEK = 4096                           # bytes read of big files (WIM, SDI): enough to check the header
MAX_TEXT = 4 << 20                    # menus, scripts and BCD stores larger than this are refused
WIM_MAGIC = b"MSWIM\0\0\0"
SYNC_FIX = "run `cobbler sync`"
MAX_CHAINS = 4                        # iPXE scripts chaining scripts


@dataclass
class Client:
    """Whom to verify: the profile and distro it boots, and the system record and MAC when there is one."""
    profile: str
    distro: str
    arch: str = "x86_64"
    system: str = ""
    mac: str = ""
    netboot_enabled: bool = True


@dataclass
class Servers:
    """Where the client fetches from, and (optional) the local trees and rules file used to explain a failure."""
    tftp_host: str = "127.0.0.1"
    tftp_port: int = 69
    http_base: str = "http://127.0.0.1"
    tftproot: Optional[str] = None
    tftpd_rules: Optional[str] = None
    timeout: float = 2.0


@dataclass
class Link:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    optional: bool = False        # a file the loader may ask for that is allowed to be absent

    def line(self):
        if self.optional:
            return "OPT  %s: %s" % (self.name, self.detail)
        if self.ok:
            return "OK   %s: %s" % (self.name, self.detail)
        return "FAIL %s: %s%s" % (self.name, self.detail, " (fix: %s)" % self.fix if self.fix else "")


def windows_request(path):
    r"""A tftproot path as bootmgr asks for it: /images/w/x.wim -> \images\w\x.wim."""
    return "\\" + path.replace("/", "\\").lstrip("\\")


def naive_path(request):
    r"""Where a request lands in the tree with only separators and drive letters mapped: C:\a\B -> a/B."""
    path = re.sub(r"^[\\/]*[A-Za-z]:", "", request.replace("\\", "/"))
    return re.sub(r"/+", "/", path).strip("/")


def find_any_case(root, relpath, max_entries=10000):
    """The relpath of an existing file under ROOT that matches RELPATH ignoring case, or None."""
    current = root
    found = []
    for part in relpath.split("/"):
        try:
            names = os.listdir(current)[:max_entries]
        except OSError:
            return None
        match = next((n for n in names if n == part), None) or next(
            (n for n in names if n.lower() == part.lower()), None)
        if match is None:
            return None
        found.append(match)
        current = os.path.join(current, match)
    return "/".join(found) if os.path.isfile(current) else None


class Walker:
    """Collects the links of one walk; every fetch goes through tftp() or http()."""

    def __init__(self, client, servers):
        self.client, self.servers = client, servers
        self.links: List[Link] = []

    # ---- results ----------------------------------------------------------------------------------

    def ok(self, name, detail):
        self.links.append(Link(name, True, detail))
        return True

    def fail(self, name, detail, fix=""):
        self.links.append(Link(name, False, detail, fix))
        return False

    @property
    def passed(self):
        return bool(self.links) and all(link.ok for link in self.links)

    # ---- fetching ---------------------------------------------------------------------------------

    def tftp(self, name, request, limit=None, fix=SYNC_FIX, magic=None):
        """Fetch REQUEST over TFTP; a Link either way; the bytes or None."""
        srv = self.servers
        try:
            got = tftp_get(srv.tftp_host, srv.tftp_port, request, limit=limit, timeout=srv.timeout,
                           max_bytes=MAX_TEXT if limit is None else 1 << 40)
        except TftpFailure as err:
            why, fix = self.explain_tftp(request, err, fix)
            self.fail(name, "tftp %s: %s" % (request, why), fix)
            return None
        return self._checked(name, "tftp " + request, got.data, got.tsize, magic)

    def http(self, name, url, limit=None, fix=SYNC_FIX, magic=None):
        """Fetch URL over HTTP (only the first LIMIT bytes when given); a Link either way; the bytes or None."""
        try:
            with urllib.request.urlopen(url, timeout=max(self.servers.timeout, 5.0)) as reply:
                data = reply.read(limit or MAX_TEXT + 1)
                length = reply.headers.get("Content-Length")
        except urllib.error.HTTPError as err:
            self.fail(name, "GET %s: HTTP %d %s" % (url, err.code, err.reason), fix)
            return None
        except (urllib.error.URLError, OSError, ValueError) as err:
            self.fail(name, "GET %s: %s" % (url, getattr(err, "reason", err)),
                      "start the web server (Apache) or pass --http URL")
            return None
        if limit is None and len(data) > MAX_TEXT:
            self.fail(name, "GET %s: larger than %d bytes" % (url, MAX_TEXT), "this is not a menu or BCD")
            return None
        return self._checked(name, "GET " + url, data, int(length) if (length or "").isdigit() else None, magic)

    def _checked(self, name, what, data, size, magic):
        if not data:
            self.fail(name, "%s: the file is empty" % what, SYNC_FIX)
            return None
        if magic and not data.startswith(magic):
            self.fail(name, "%s: does not start with %r (not the expected file type)" % (what, magic),
                      "restage it with `cobbler sync`; re-import the media if the copy in the mirror is damaged")
            return None
        self.ok(name, "%s (%s bytes)" % (what, size if size is not None else len(data)))
        return data

    def explain_tftp(self, request, err, fix):
        """(why, fix) of a failed TFTP read, using the local tree when we have it."""
        root, rules = self.servers.tftproot, self.servers.tftpd_rules
        if err.code != 1 or not root or not os.path.isdir(root):
            return str(err), fix if err.code else "start the TFTP server (in.tftpd) or pass --tftp HOST[:PORT]"
        rel = naive_path(request)
        windows_style = "\\" in request or re.match(r"^[A-Za-z]:", request)
        if os.path.isfile(os.path.join(root, rel)):
            if windows_style:
                return ("not found, yet %s exists: the TFTP server does not remap Windows paths" % rel,
                        "start in.tftpd with -m %s (cobbler-winpe check)" % (rules or "<tftpd_rules>")
                        + ("" if rules and os.path.isfile(rules) else "; the rules file is missing: "
                           "run `cobbler sync`"))
            return "not found, yet %s exists: the server refused it" % rel, "make it world-readable"
        other = find_any_case(root, rel)
        if other:
            return ("not found; only %s exists (the case differs and the remap rules do not map it)" % other,
                    "staged file names under images/<distro>/ are lower case: run `cobbler sync`, "
                    "or rename %s to the case the remap rules give" % other)
        return "file not found on the server (no %s under %s)" % (rel, root), fix

    # ---- the Windows boot manager (WDS chain) -----------------------------------------------------

    def wds_chain(self, firmware, nbp_path, bcd_request):
        """NBP -> (BIOS: bootmgr.exe) -> BCD (option 252) -> every file the BCD names, with backslash paths."""
        folder = windows_request(posixpath.dirname("/" + nbp_path.lstrip("/")))
        if self.tftp("NBP", nbp_path) is None:
            return False
        manager = names.BOOTMGR_EXE if firmware == names.BIOS else posixpath.basename(nbp_path)
        if firmware == names.BIOS and self.tftp("boot manager", folder + "\\" + names.BOOTMGR_EXE) is None:
            return False
        if not bcd_request:
            self.fail("DHCP option 252", "not set: the boot manager would ask for %s" % DEFAULT_BCD,
                      "set option 252 to the profile's BCD in the menu entry (cobbler sync rewrites the menus)")
            return False
        self.ok("DHCP option 252", bcd_request)
        data = self.tftp("BCD", bcd_request, fix="run `cobbler sync` (it writes one BCD per profile and firmware)")
        if data is None:
            return False
        if firmware == names.UEFI:
            self.optional_files(folder)
        return self.bcd_files(data, folder, manager)

    def optional_files(self, folder):
        """The files a UEFI boot manager may probe (wim/bootfiles.py PROBED): present, or absent and optional."""
        for request, why in bootfiles.PROBED:
            request = request.format(folder=folder)
            parts = request.rstrip("\\").split("\\")
            name = "optional " + "\\".join(parts[-2:] if request.endswith("\\") else parts[-1:])
            if request.endswith("\\"):
                self.links.append(Link(name, True, "%s: %s" % (request, why), optional=True))
                continue
            srv = self.servers
            try:
                got = tftp_get(srv.tftp_host, srv.tftp_port, request, limit=PEEK, timeout=srv.timeout)
                self.ok(name, "tftp %s (%s bytes): %s" % (request, got.tsize or len(got.data), why))
            except TftpFailure as err:
                self.links.append(Link(name, True, "tftp %s: absent, optional (%s): %s" % (request, err, why),
                                       optional=True))

    def bcd_files(self, data, folder, manager):
        """Parse the BCD and fetch what it names: MUI, first font, SDI and the default entry's WIM."""
        try:
            store = read_store(data)
        except WinpeError as err:
            return self.fail("BCD parse", str(err), "run `cobbler sync` to rewrite the BCD")
        boot = store.get(BOOTMGR)
        if boot is None:
            return self.fail("BCD parse", "no {bootmgr} object", "run `cobbler sync` to rewrite the BCD")
        self.ok("BCD parse", "%d objects" % len(store.objects))
        locale = _value(boot, LOCALE) or "en-US"
        self.tftp("boot manager MUI", "%s\\%s\\%s.mui" % (folder, locale, manager))
        fontpath = _value(boot, FONTPATH)
        if fontpath:
            self.tftp("BCD fontpath", fontpath.rstrip("\\") + "\\" + FIRST_FONT)
        return self.bcd_ramdisk(store, boot)

    def bcd_ramdisk(self, store, boot):
        entry = store.get(_value(boot, DEFAULT) or "")
        if entry is None:
            return self.fail("BCD default entry", "{bootmgr} has no default entry in the store",
                             "run `cobbler sync` to rewrite the BCD")
        device = _value(entry, DEVICE)
        if not isinstance(device, dict) or device.get("kind") != "ramdisk" or not device.get("path"):
            return self.fail("BCD default entry", "device is %s, not a RAM disk from the network"
                             % (device or {}).get("text", "missing"), "run `cobbler sync` to rewrite the BCD")
        options = store.get(device.get("options") or RAMDISKOPTIONS)
        sdi = _value(options, SDIPATH) if options else None
        if not sdi:
            self.fail("BCD ramdisksdipath", "{ramdiskoptions} names no " + names.BOOT_SDI, "run `cobbler sync`")
        else:
            self.tftp("BCD ramdisksdipath", sdi, limit=PEEK)
        wim = self.tftp("BCD ramdisk WIM", device["path"], limit=PEEK, magic=WIM_MAGIC,
                        fix="run `cobbler sync`; if the BCD names a WIM the distro does not stage, "
                            "re-import the distro")
        return wim is not None and bool(sdi)

    # ---- BIOS: pxelinux ---------------------------------------------------------------------------

    def walk_bios(self):
        """pxelinux.0 -> ldlinux.c32 -> pxelinux.cfg/01-<mac> or default -> the entry -> pxechn -> WDS chain."""
        if self.tftp("NBP from DHCP", names.PXELINUX) is None or self.tftp("pxelinux core", "ldlinux.c32") is None:
            return False
        config, where = self.pxelinux_config()
        if config is None:
            return False
        entry = config.chosen() if self.client.system and where != "default" else \
            config.entries.get(self.client.profile)
        if entry is None:
            return self.fail("menu entry", "%s has no entry %s" % (where, self.client.system or self.client.profile),
                             SYNC_FIX)
        if entry.kind == "localboot":
            return self.local_boot(where)
        request = menus.pxe_request(entry)
        if request is None:
            return self.fail("menu entry", "%s: LABEL %s starts %s %s, not a Windows NBP through %s"
                             % (where, entry.label, entry.kind or "nothing", entry.target, names.PXECHN),
                             "a Windows loader needs `COM32 %s` + `APPEND <nbp> -W -o 252.s=<BCD>`" % names.PXECHN)
        self.ok("menu entry", "%s: LABEL %s -> %s %s" % (where, entry.label, entry.target, entry.append))
        if entry.kind == "com32":
            for module in (entry.target, "libcom32.c32", "libutil.c32"):
                if self.tftp("pxelinux module", module.lstrip("/")) is None:
                    return False
            if not request.rewrite_packets:
                self.fail("pxechn -W", "missing: option 252 reaches only the cached reply, not the DHCPACK",
                          "APPEND the NBP with -W before -o 252.s=...")
        return self.wds_chain(names.BIOS, request.file, request.options.get(252))

    def pxelinux_config(self):
        """The parsed config pxelinux loads: 01-<mac> first (for a MAC), then default; (config, name)."""
        names = []
        if self.client.mac:
            names.append("pxelinux.cfg/01-" + self.client.mac.lower().replace(":", "-"))
        names.append("pxelinux.cfg/default")
        for name in names:
            try:
                data = tftp_get(self.servers.tftp_host, self.servers.tftp_port, name, timeout=self.servers.timeout,
                                max_bytes=MAX_TEXT).data
            except TftpFailure as err:
                if err.code == 1 and name != names[-1]:
                    continue
                return self.tftp("menu", name), name
            self.ok("menu", "tftp %s (%d bytes)" % (name, len(data)))
            if self.client.system and name == names[-1]:
                self.fail("system menu", "no %s: the client gets the default menu and waits at it" % names[0],
                          SYNC_FIX + " (it writes one config per system MAC)")
            return menus.parse_pxelinux(data.decode("utf-8", "replace")), posixpath.basename(name)
        return None, names[-1]

    def local_boot(self, where):
        return self.fail("menu entry", "%s boots from the local disk (netboot disabled for %s)"
                         % (where, self.client.system or self.client.profile),
                         "cobbler system edit --name %s --netboot-enabled true; cobbler sync" % self.client.system)

    # ---- UEFI: GRUB -------------------------------------------------------------------------------

    def walk_uefi(self):
        """DHCP sends UEFI clients to iPXE (snponly.efi, docs/boot-chains.md); iPXE runs the client's script."""
        if self.tftp("NBP from DHCP", layout.IPXE_EFI, fix="run `cobbler sync` (it stages Debian's %s; "
                     "apt-get install ipxe)" % names.SNPONLY) is None:
            return False
        return self.walk_ipxe(names.FIRMWARE[names.UEFI].ipxe_platform)

    def walk_grub(self):
        """Cobbler's own UEFI path: grubx64.efi -> grub.cfg -> grub/system/<mac> or <arch>_menu_items.cfg -> entry."""
        if self.tftp("NBP from DHCP", "grub/" + names.GRUB_UEFI) is None or self.tftp("GRUB config", "grub/grub.cfg") is None:
            return False
        name = "grub/system/%s" % self.client.mac.lower() if self.client.system and self.client.mac else \
            "grub/%s_menu_items.cfg" % self.client.arch
        data = self.tftp("menu", name)
        if data is None:
            return False
        config = menus.parse_grub(data.decode("utf-8", "replace"))
        if self.client.system and config.default == "local":
            return self.local_boot(name)
        entry = config.chosen() if self.client.system else config.find(self.client.profile)
        if entry is None:
            return self.fail("menu entry", "%s has no menuentry %s" % (name, self.client.profile), SYNC_FIX)
        return self.grub_entry(name, entry)

    def grub_entry(self, where, entry):
        target = menus.grub_chainloader(entry)
        if target is None:
            kernel = menus.grub_kernel(entry)
            return self.fail("menu entry", "%s: menuentry '%s' starts no Windows loader (%s): GRUB keeps the network "
                             "card, so Windows cannot boot from GRUB's menu" % (
                                 where, entry.title, "linux %s" % kernel[0] if kernel else "no chainloader"),
                             "give this UEFI client the DHCP boot file %s (cobbler-winpe's DHCP snippets) and "
                             "verify it with --firmware uefi" % layout.IPXE_EFI)
        self.ok("menu entry", "%s: menuentry '%s' -> chainloader %s" % (where, entry.title, target))
        if self.tftp("chainloaded", target.lstrip("/")) is None:
            return False
        return self.fail("hand-over", "GRUB chainloads %s: after GRUB no PXE base code or network is left for it "
                         "(docs/boot-chains.md)" % target,
                         "give this UEFI client the DHCP boot file %s instead" % layout.IPXE_EFI)

    # ---- iPXE -------------------------------------------------------------------------------------

    def ipxe_script(self, script_url=None):
        """(script text, label to start at, its URL) for this client, or (None, ...)."""
        if script_url:
            data = self.http("iPXE script", script_url)
            return data, None, script_url
        if self.client.system:
            url = "%s/cblr/svc/op/ipxe/system/%s" % (self.servers.http_base, urllib.parse.quote(self.client.system))
            return self.http("iPXE script", url), None, url
        data = self.tftp("iPXE menu", "ipxe/default.ipxe")
        if data is not None and self.client.profile not in menus.ipxe_items(data.decode("utf-8", "replace")):
            self.fail("iPXE menu item", "ipxe/default.ipxe offers no item %s" % self.client.profile, SYNC_FIX)
        return data, self.client.profile, "tftp://%s/ipxe/default.ipxe" % self.servers.tftp_host

    def walk_ipxe(self, platform, script_url=None):
        """Evaluate the client's iPXE script for PLATFORM (pcbios/efi) and fetch what it fetches."""
        data, label, base = self.ipxe_script(script_url)
        return data is not None and self.run_script(platform, data, label, base, {}, 0)

    def run_script(self, platform, data, label, base, inherited, depth):
        """Run one script from LABEL; follow a chain to another script (bounded), a TFTP NBP or wimboot."""
        text = data.decode("utf-8", "replace")
        where = base + (":" + label if label else "")
        if label and label not in menus.ipxe_labels(text):
            return self.fail("iPXE entry", "%s has no label :%s" % (base, label), SYNC_FIX)
        variables = {"platform": platform, "next-server": self.servers.tftp_host,
                     "buildarch": "i386" if platform == names.FIRMWARE[names.BIOS].ipxe_platform else "x86_64"}
        variables.update(inherited)
        run = menus.run_ipxe(text, label, variables)
        if run.ended == "sanboot":
            return self.local_boot(where)
        if not run.actions:
            return self.fail("iPXE entry", "%s fetches nothing (ends: %s)" % (where, run.ended),
                             "the Windows entry must chain the NBP or boot wimboot; cobbler sync")
        self.ok("iPXE entry", "%s on %s: %s" % (where, platform,
                                                ", ".join("%s %s" % (a.verb, a.url) for a in run.actions)))
        settings = dict(inherited, **run.settings)
        if run.actions[0].verb != "chain":
            return self.ipxe_wimboot(run, base)
        scheme, target = self.url_target(run.actions[0].url, base)
        if scheme == "tftp":
            return self.wds_chain(names.firmware_of_platform(platform), target, menus.dhcp_option(settings, 252))
        data = self.http("chained script", target)
        if data is None:
            return False
        if not data.lstrip().startswith(b"#!ipxe") or depth >= MAX_CHAINS:
            return self.fail("chained script", "%s is not an iPXE script (or chains more than %d deep)"
                             % (target, MAX_CHAINS), SYNC_FIX)
        return self.run_script(platform, data, None, target, settings, depth + 1)

    def url_target(self, url, base):
        """('tftp', path) or ('http', absolute URL) of an iPXE URL, relative ones resolved against BASE."""
        absolute = urllib.parse.urljoin(base, url)
        parts = urllib.parse.urlsplit(absolute)
        if parts.scheme == "tftp":
            return "tftp", urllib.parse.unquote(parts.path).lstrip("/")
        return "http", absolute

    def fetch_url(self, name, url, base, limit=None, magic=None):
        scheme, target = self.url_target(url, base)
        if scheme == "tftp":
            return self.tftp(name, target, limit=limit, magic=magic)
        return self.http(name, target, limit=limit, magic=magic)

    def ipxe_wimboot(self, run, base):
        """kernel wimboot + initrd -n NAME for bootmgr, BCD, boot.sdi, boot.wim...: all fetched; BCD names them."""
        kernel, initrds = run.actions[0], [a for a in run.actions[1:] if a.verb == "initrd"]
        if self.fetch_url("wimboot", kernel.url, base, limit=PEEK) is None:
            self.links[-1].fix = "put wimboot (github.com/ipxe/wimboot) at the `wimboot` path of " \
                                 "/etc/cobbler/winpe.yaml and run `cobbler sync`"
            return False
        for shim in (a for a in run.actions if a.verb == "shim"):
            if self.fetch_url("shim", shim.url, base, limit=PEEK) is None:
                self.links[-1].fix = "put iPXE's signed shim at the `secure_boot_shim` path of " \
                                     "/etc/cobbler/winpe.yaml and run `cobbler sync`"
                return False
        names = {}
        for action in initrds:
            name = action.name or posixpath.basename(urllib.parse.urlsplit(action.url).path)
            big = name.lower().endswith((".wim", ".sdi"))
            data = self.fetch_url("initrd " + name, action.url, base, limit=PEEK if big else None,
                                  magic=WIM_MAGIC if name.lower().endswith(".wim") else None)
            if data is None:
                return False
            names[name.lower()] = data
        return self.wimboot_bcd(names)

    def wimboot_bcd(self, names):
        """wimboot serves its initrds by file name in any folder: each path the BCD names must be one of them."""
        if "bcd" not in names:
            return self.fail("wimboot BCD", "no initrd named BCD", "add `initrd -n BCD <url>` to the script")
        try:
            store = read_store(names["bcd"])
        except WinpeError as err:
            return self.fail("BCD parse", str(err), "run `cobbler sync` to rewrite the BCD")
        self.ok("BCD parse", "%d objects" % len(store.objects))
        wanted = []
        for obj in store.objects.values():
            for element_id in (DEVICE, SDIPATH):
                value = _value(obj, element_id)
                path = value.get("path") if isinstance(value, dict) else value
                if path:
                    wanted.append(path)
        missing = sorted({p for p in wanted if p.replace("/", "\\").rsplit("\\", 1)[-1].lower() not in names})
        if missing:
            return self.fail("wimboot files", "the BCD names %s, which no initrd provides" % ", ".join(missing),
                             "hand each file to wimboot with `initrd -n NAME` (cobbler sync rewrites the script)")
        return self.ok("wimboot files", "every path the BCD names is handed over: %s" % ", ".join(sorted(set(wanted))))


def _value(obj, element_id):
    """The decoded value of an element of a BCD object, or None (absent or undecodable)."""
    element = obj.elements.get(element_id) if obj is not None else None
    if element is None:
        return None
    try:
        value = element.value
    except WinpeError:
        return None
    return json_value(value)    # devices as dicts: kind, text, path, options


def walk(client, servers, firmware, script_url=None):
    """Walk CLIENT's chain for FIRMWARE (bios, uefi, grub or ipxe); returns the Walker with its links."""
    walker = Walker(client, servers)
    if firmware == names.BIOS:
        walker.walk_bios()
    elif firmware == names.UEFI:
        walker.walk_uefi()
    elif firmware == names.GRUB_CHAIN:
        walker.walk_grub()
    else:
        walker.walk_ipxe(names.FIRMWARE[names.BIOS].ipxe_platform, script_url)
    return walker
