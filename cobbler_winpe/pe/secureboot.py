"""Which EFI binaries each UEFI chain the plugin offers runs, and whether every one of them can pass Secure Boot.

Input: the boot files of one distro by staged name (wim/bootfiles.py) -> host path, plus the iPXE and wimboot
binaries the plugin hands out. Output: one line per loader (who signed it) and one verdict per chain.
Verdict ranks: pass (a CA every Secure Boot PC has in db), conditional (a 2023 CA: only firmware whose db was
updated), shim (a CA no stock db holds: needs a shim that trusts it loaded first), fail (unsigned, changed, absent).
"""
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from cobbler_winpe import names
from cobbler_winpe.errors import WinpeError
from cobbler_winpe.pe.authenticode import DB_CAS, Signature, read_signature_file, shim_vendor_names
from cobbler_winpe.wim import bootfiles

PASS, CONDITIONAL, SHIM, FAIL = range(4)
RANK_NAMES = ("passes", "passes only where", "needs shim", "fails")
BIOS_NAMES = tuple(rule.staged for rule in bootfiles.BOOT_FILES if rule.kind == names.BIOS)
IPXE, WIMBOOT = "iPXE", names.WIMBOOT
SB_SHIM, SB_IPXE, SB_WIMBOOT = "shim", "signed iPXE", "signed wimboot"   # the admin's (config secure_boot_*)
SHIM_CHECKED = (SB_IPXE, SB_WIMBOOT)   # started through the shim: its vendor certificate is trusted too
# Each chain the plugin offers UEFI clients (docs/boot-chains.md, docs/secure-boot.md): its name and the roles of
# the EFI binaries the firmware and then each loader start, in order ("manager" = the Windows boot manager).
CHAINS = (
    ("firmware PXE -> {manager} (DHCP option 252)", ("manager",)),
    ("iPXE -> {manager}", (IPXE, "manager")),
    ("iPXE -> wimboot -> {manager} (boot_method: wimboot)", (IPXE, WIMBOOT, "manager")),
    ("shim -> signed iPXE -> {manager}", (SB_SHIM, SB_IPXE, "manager")),
    ("shim -> signed iPXE -> shim -> signed wimboot -> {manager} (boot_method: wimboot)",
     (SB_SHIM, SB_IPXE, SB_WIMBOOT, "manager")),
)


@dataclass(frozen=True)
class Loader:
    """One boot file: its name, where it was read, and its Signature (None: a BIOS loader, Secure Boot n/a)."""
    name: str
    path: str
    signature: Optional[Signature]

    def line(self):
        if self.signature is None:
            return "n/a (BIOS loader; Secure Boot applies to UEFI only)"
        return self.signature.line()


@dataclass(frozen=True)
class Verdict:
    rank: int
    text: str

    @property
    def ok(self):
        return self.rank == PASS


def verdict(loader, trusted=()):
    """Can this EFI binary start under Secure Boot with a stock db (and, started by a shim, the shim's vendor
    certificate: TRUSTED common names)?"""
    sig = loader.signature
    if sig is None or sig.state == "not-efi":
        return Verdict(FAIL, "%s is not an EFI image" % loader.name)
    if sig.state != "signed":
        return Verdict(FAIL, "%s is %s" % (loader.name, sig.state if sig.state != "damaged" else
                                           "damaged (%s)" % sig.problem))
    if any(s.digest_ok is False for s in sig.signers):
        return Verdict(FAIL, "%s was changed after signing (Authenticode hash mismatch)" % loader.name)
    cas = [s.ca for s in sig.signers if s.ca]
    vendor = next((name for s in sig.signers for name in s.chain if name in trusted), None)
    if vendor:
        return Verdict(PASS, "%s: %s (the shim's vendor certificate)" % (loader.name, vendor))
    if any(DB_CAS[ca][1] == "2011" for ca in cas):
        ca = next(ca for ca in cas if DB_CAS[ca][1] == "2011")
        return Verdict(PASS, "%s: %s" % (loader.name, ca))
    if cas:
        return Verdict(CONDITIONAL, "%s: the firmware's db holds %s" % (loader.name, " or ".join(cas)))
    issuers = sorted({s.chain[-1] for s in sig.signers})
    return Verdict(SHIM, "%s is signed under %s, which no stock db holds: a shim trusting it must start first"
                   % (loader.name, ", ".join(issuers)))


def chain_verdict(loaders, trusted=None):
    """The worst verdict of the binaries of one chain, with every non-passing reason.  TRUSTED: {loader name:
    common names its starter (a shim) trusts besides db}."""
    trusted = trusted or {}
    verdicts = [verdict(loader, trusted.get(loader.name, ())) for loader in loaders]
    worst = max(v.rank for v in verdicts)
    reasons = [v.text for v in verdicts if v.rank == worst]
    return Verdict(worst, "%s: %s" % (RANK_NAMES[worst], "; ".join(reasons)))


@dataclass
class Report:
    """Secure Boot report of one distro's boot files and the chains offered for it."""
    loaders: List[Loader]
    stl: Optional[str]                      # path of boot.stl, or None
    chains: List[Tuple[str, Verdict]]

    def lines(self):
        width = max([len(l.name) for l in self.loaders] + [len(bootfiles.STL)])
        out = ["%-*s  %s" % (width, l.name, l.line()) for l in self.loaders]
        out.append("%-*s  %s" % (width, bootfiles.STL, "present (24H2+ boot managers read it under Secure Boot)"
                                 if self.stl else "absent (boot managers before 24H2 do not need it)"))
        out += ["chain %s: %s" % (name, v.text) for name, v in self.chains]
        return out

    def to_json(self):
        return {"loaders": [{"name": l.name, "path": l.path, "state": l.signature.state if l.signature else "n/a",
                             "signers": [{"subject": s.subject, "chain": list(s.chain), "ca": s.ca,
                                          "digest_ok": s.digest_ok} for s in (l.signature.signers
                                                                              if l.signature else ())],
                             "detail": l.line()} for l in self.loaders],
                "boot_stl": bool(self.stl),
                "chains": [{"chain": name, "passes": v.ok, "rank": RANK_NAMES[v.rank], "detail": v.text}
                           for name, v in self.chains]}


def _loader(name, path, where=None, key=""):
    """A Loader read from PATH; no PATH: absent because the configuration KEY does not name one."""
    if not path:
        return Loader(name, "", Signature("missing", problem="%s not configured (set %s)" % (name, key)))
    return Loader(name, where or path, read_signature_file(path, where))


def vendor_names(path):
    """The names a shim at PATH trusts besides db (its vendor certificate); () when unreadable or absent."""
    try:
        with open(path, "rb") as handle:
            return shim_vendor_names(handle.read(64 << 20), path)
    except (OSError, WinpeError):
        return ()


@dataclass(frozen=True)
class SignedChain:
    """The admin's Secure Boot binaries (config secure_boot_shim, secure_boot_ipxe, secure_boot_wimboot): paths,
    "" when not set."""
    shim: str = ""
    ipxe: str = ""
    wimboot: str = ""

    def loaders(self):
        return {SB_SHIM: _loader(SB_SHIM, self.shim, key="secure_boot_shim"),
                SB_IPXE: _loader(SB_IPXE, self.ipxe, key="secure_boot_ipxe"),
                SB_WIMBOOT: _loader(SB_WIMBOOT, self.wimboot, key="secure_boot_wimboot")}

    def trusted(self):
        """{loader name: names it is trusted through}: what the shim starts may be signed by its vendor cert."""
        names = vendor_names(self.shim) if self.shim else ()
        return {role: names for role in SHIM_CHECKED}


def report(staged: Dict[str, str], ipxe_path: str, wimboot_path: str, shown: Optional[Dict[str, str]] = None,
           signed: SignedChain = SignedChain()) -> Report:
    """The Report for STAGED ({staged name: host path} of one distro), the plugin's iPXE and wimboot files and the
    admin's SIGNED shim chain.

    SHOWN ({staged name: text}) names where a file came from when its host path is a temporary one."""
    shown = shown or {}
    names = [bootfiles.MANAGER_FILE[m] for m in bootfiles.MANAGERS if bootfiles.MANAGER_FILE[m] in staged]
    managers = [_loader(name, staged[name], shown.get(name)) for name in names]
    bios = [Loader(name, shown.get(name, staged[name]), None) for name in BIOS_NAMES if name in staged]
    extra = {IPXE: _loader(os.path.basename(ipxe_path), ipxe_path),
             WIMBOOT: _loader(os.path.basename(wimboot_path), wimboot_path)}
    extra.update(signed.loaders())
    trusted = signed.trusted()
    chains = []
    for manager in managers:
        roles = dict(extra, manager=manager)
        for name, members in CHAINS:
            chains.append((name.format(manager=manager.name), chain_verdict([roles[r] for r in members], trusted)))
    stl = shown.get(bootfiles.STL, staged.get(bootfiles.STL))
    return Report(managers + bios + list(extra.values()), stl, chains)
