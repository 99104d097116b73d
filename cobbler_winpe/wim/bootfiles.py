"""The one list of boot files taken from a boot image: where each lives in the WIM and the name it is staged under.

Extraction (wim/extract.py), the staging plan (gen/staging.py) and the importer read this list and nothing else.
Paths are '/'-separated, relative to the image root (or to the boot-file cache, which mirrors it), in any case.
Staged names are relative to the distro's folder (images/<distro>/) and lower case.

The 2023-signed boot manager (24H2 and later media): Windows/Boot/EFI_EX/bootmgfw_EX.efi, its fonts in
Windows/Boot/Fonts_EX (named *_EX.ttf; staged without the suffix, under fonts_ex/, as Microsoft's media update
does) and its MUI in EFI_EX/<locale>/.  Windows/Boot/EFI/boot.stl is read by 24H2+ managers under Secure Boot.

boot.sdi (the RAM disk's SDI image) is taken from the media's boot/boot.sdi when the media has one (the importer);
the image's own copy under Windows/Boot/DVD/{PCAT,EFI} is the fallback, for a bare WinPE boot image file.
"""
import re
from dataclasses import dataclass
from typing import Dict, Iterable, Optional

from cobbler_winpe import names
from cobbler_winpe.errors import InputError, MediaError

LOCALE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){1,3}")   # en-US, sr-Latn-RS, qps-ploc
MANAGERS = ("2011", "2023")               # which CA signed a UEFI boot manager: Windows Production PCA 2011, UEFI CA 2023
CHOICES = ("auto", "2011", "2023")
STL = names.BOOT_STL
SDI = names.BOOT_SDI
MUI = names.MUI


@dataclass(frozen=True)
class BootFile:
    """One rule: FOLDER/NAME in the image ("*" + suffix for every such file, with LOCALES for one locale level)."""
    folder: str
    name: str
    staged: str                  # staged name; "{name}" is the file's lower-cased name, "{locale}" its locale folder
    kind: str                    # bios, uefi, stl, fonts, mui
    manager: str = ""            # "2011" / "2023" for what belongs to one UEFI boot manager only
    locales: bool = False
    strip: str = ""              # a suffix dropped from the name before staging (Fonts_EX: "_ex")

    def staged_name(self, file_name, locale=""):
        name = file_name.lower()
        if self.strip and name.rsplit(".", 1)[0].endswith(self.strip):
            stem, ext = name.rsplit(".", 1)
            name = stem[:-len(self.strip)] + "." + ext
        return self.staged.format(name=name, locale=locale)


PXE, EFI, EFI_EX = "windows/boot/pxe", "windows/boot/efi", "windows/boot/efi_ex"
MANAGER_2011, MANAGER_2023 = names.BOOTMGFW, names.BOOTMGFW_EX.lower()
BOOT_FILES = tuple(BootFile(PXE, n, n, names.BIOS) for n in
                   (names.PXEBOOT, names.PXEBOOT_COM, names.BOOTMGR_EXE, names.WDSNBP, names.ABORTPXE)) + (
    BootFile(EFI, MANAGER_2011, MANAGER_2011, names.UEFI, "2011"),
    BootFile(EFI_EX, MANAGER_2023, MANAGER_2023, names.UEFI, "2023"),
    BootFile(EFI, MANAGER_2023, MANAGER_2023, names.UEFI, "2023"),     # pre-release layout, read second
    BootFile(EFI, STL, STL, "stl"),
    BootFile("windows/boot/dvd/pcat", SDI, SDI, "sdi"),
    BootFile("windows/boot/dvd/efi", SDI, SDI, "sdi"),
    BootFile("windows/boot/fonts", "*.ttf", "fonts/{name}", "fonts", "2011"),
    BootFile("windows/boot/fonts_ex", "*.ttf", "fonts_ex/{name}", "fonts", "2023", strip="_ex"),
    BootFile(PXE, names.BOOTMGR_EXE + MUI, "{locale}/" + names.BOOTMGR_EXE + MUI, "mui", locales=True),
    BootFile(EFI, MANAGER_2011 + MUI, "{locale}/" + MANAGER_2011 + MUI, "mui", "2011", locales=True),
    BootFile(EFI_EX, MANAGER_2023 + MUI, "{locale}/" + MANAGER_2023 + MUI, "mui", "2023", locales=True),
)
# What each boot manager is staged as, with its fonts folder (relative to images/<distro>/).
MANAGER_FILE = {rule.manager: rule.staged for rule in BOOT_FILES if rule.kind == names.UEFI}
FONTS_DIR = {rule.manager: rule.staged.split("/")[0] for rule in BOOT_FILES if rule.kind == "fonts"}


def _match(rule, low):
    """(file name, locale) if the lower-case path LOW is a file of RULE, else None."""
    if not low.startswith(rule.folder + "/"):
        return None
    rest = low[len(rule.folder) + 1:].split("/")
    locale = ""
    if rule.locales:
        if len(rest) != 2:
            return None
        locale, rest = rest[0], rest[1:]
    if len(rest) != 1:
        return None
    name = rest[0]
    wanted = rule.name
    if not (name == wanted or (wanted.startswith("*") and name.endswith(wanted[1:]) and len(name) > len(wanted))):
        return None
    return name, locale


def staged_name(path):
    """(rule, staged name) of PATH (image- or cache-relative) when it is a boot file, else None.

    A locale folder that is not a locale (a folder named like 'boot.wim' or 'bcd' holding a .mui) is refused:
    its file would land on a path the plugin stages itself."""
    low = path.strip("/").lower()
    for rule in BOOT_FILES:
        found = _match(rule, low)
        if found:
            name, locale = found
            locale_dir = path.strip("/").split("/")[-2] if rule.locales else ""
            if rule.locales and not LOCALE.fullmatch(locale):
                raise MediaError(path, "%r is not a locale folder, yet holds a boot manager MUI file" % locale_dir,
                                 "use a boot image whose Windows/Boot folders hold only locale folders")
            return rule, rule.staged_name(name, locale_dir)
    return None


def select(paths: Iterable[str]) -> Dict[str, str]:
    """{path: staged name} of the boot files among PATHS; the first path of each staged name wins (rule order)."""
    ranked = []
    for path in paths:
        found = staged_name(path)
        if found:
            ranked.append((BOOT_FILES.index(found[0]), path, found[1]))
    chosen, taken = {}, set()
    for _rank, path, staged in sorted(ranked):
        if staged.lower() not in taken:
            taken.add(staged.lower())
            chosen[path] = staged
    return chosen


def folder_in_place(dirs: Iterable[str]) -> Optional[str]:
    """The first folder among DIRS (lower-case paths) standing where a boot file of an exact name should be."""
    exact = {"%s/%s" % (rule.folder, rule.name) for rule in BOOT_FILES if not rule.name.startswith("*")}
    return next((d for d in sorted(dirs) if d.strip("/").lower() in exact), None)


# Files a UEFI boot manager may ask for that no boot image must provide: (request, why), "{folder}" being the
# manager's own folder.  A site's absence of any of them is normal; verify reports them as "absent, optional".
# SiPolicy.p7b / CIPolicies\Active\{GUID}.cip: Windows Defender Application Control (Device Guard) policies
# (learn.microsoft.com "Deploy WDAC policies ... UEFI"); SkuSiPolicy.p7b: the boot manager revocation policy of
# KB5025885; boot.stl: the 24H2+ manager's trust list under Secure Boot (wimboot 2.9.0 changelog).
PROBED = (
    ("{folder}\\" + STL, "read by 24H2+ boot managers under Secure Boot (0xc000000f without it there)"),
    ("\\EFI\\Microsoft\\Boot\\" + STL, "the ESP location of " + STL),
    ("\\EFI\\Microsoft\\Boot\\SiPolicy.p7b", "a single WDAC/Device Guard policy, only where a site deploys one"),
    ("\\EFI\\Microsoft\\Boot\\SkuSiPolicy.p7b", "the KB5025885 boot manager revocation policy, where installed"),
    ("\\EFI\\Microsoft\\Boot\\CIPolicies\\Active\\", "multiple WDAC policies ({GUID}.cip): named by policy "
                                                         "GUID, so not probed"),
)

RUN_NAME = names.BOOTMGFW   # the name a UEFI boot manager runs under (2023 media rename bootmgfw_EX.efi to it)


def manager_files(staged: Iterable[str], manager: str) -> Dict[str, str]:
    """{name in a boot manager folder: staged name} of MANAGER run as RUN_NAME: the manager, its MUI files as
    <locale>/RUN_NAME.mui (the manager reads the MUI named after its own file) and boot.stl, among STAGED."""
    staged = set(staged)
    own = MANAGER_FILE[manager]
    files = {RUN_NAME: own} if own in staged else {}
    for name in sorted(staged):
        folder, _, base = name.rpartition("/")
        if folder and "/" not in folder and base == own + MUI:
            files[folder + "/" + RUN_NAME + MUI] = name
    if STL in staged:
        files[STL] = STL
    return files


def check_choice(choice, what="boot manager"):
    """CHOICE if it names a boot manager (auto, 2011, 2023), else InputError naming WHAT was set."""
    if choice not in CHOICES:
        raise InputError("%s %r" % (what, choice), "not one of " + ", ".join(CHOICES),
                         "set %s to auto, 2011 or 2023" % what)
    return choice


def manager_of(staged: Dict[str, str], choice: str) -> str:
    """The boot manager (2011 or 2023) to use: CHOICE ("auto", "2011", "2023"); auto = 2023 when staged.

    STAGED: the staged names the distro has.  A manager that is not there gives way to the other."""
    check_choice(choice)
    have = [m for m in MANAGERS if MANAGER_FILE[m] in staged]
    if choice in have:
        return choice
    return "2023" if "2023" in have and choice == "auto" else (have or ["2011"])[0]
