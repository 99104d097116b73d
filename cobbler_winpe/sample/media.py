"""Build Windows-like sample media (real WIM and ISO formats, marker file contents) with wimlib-imagex and genisoimage.

No Microsoft binary is involved: every file holds a few marker bytes naming itself, unless the caller substitutes
content (e.g. a stand-in pxeboot.n12 or bootmgfw.efi for QEMU tests).
"""
import dataclasses
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple

from cobbler_winpe import names
from cobbler_winpe.errors import InputError
from cobbler_winpe.wim.tool import run_tool

ARCH_CODES = {"i386": 0, "x86_64": 9, "arm64": 12}
ARCH_TAGS = {"i386": "x86", "x86_64": "x64", "arm64": "ARM64"}
EFI_BOOT_NAMES = {"i386": "bootia32.efi", "x86_64": "bootx64.efi", "arm64": "bootaa64.efi"}
INSTALL_FORMATS = ("wim", "esd", "swm")
LAYOUTS = {
    # layout -> genisoimage options choosing which file systems see what
    "hidden": ["-udf"],                          # UDF holds everything, ISO9660 only README.TXT
    "bridge": ["-udf", "-J", "-joliet-long", "-r"],
    "joliet": ["-J", "-joliet-long"],
    "rockridge": ["-r"],
    "iso9660": [],
    "tree": None,                                # no ISO: the staged tree is the media
}
PXE_FILES = (names.PXEBOOT, names.PXEBOOT_COM, names.BOOTMGR_EXE, names.WDSNBP, names.ABORTPXE)
EFI_DIR, EFI_EX_DIR, PXE_DIR = "Windows/Boot/EFI/", "Windows/Boot/EFI_EX/", "Windows/Boot/PXE/"
MEDIA_SDI = "boot/" + names.BOOT_SDI
FONT_FILES = ("wgl4_boot.ttf", "segmono_boot.ttf", "segoe_slboot.ttf")
SWM_PART_MB = "0.5"


@dataclass(frozen=True)
class Edition:
    """One image of the install WIM."""
    name: str                              # NAME, e.g. "Windows 10 Pro"
    edition_id: str                        # WINDOWS/EDITIONID, e.g. "Professional"
    installation_type: str = "Client"      # Client, Server or Server Core
    display_name: str = ""                 # DISPLAYNAME; defaults to name
    flags: str = ""                        # FLAGS; defaults to edition_id


@dataclass(frozen=True)
class DistroSpec:
    """One (architecture, release) on the media; ``root`` is its folder on dual-arch media."""
    arch: str = "x86_64"
    build: int = 19045
    major: int = 10
    minor: int = 0
    spbuild: int = 1
    editions: Tuple[Edition, ...] = (Edition("Windows 10 Pro", "Professional"),)
    install_format: str = "wim"
    languages: Tuple[str, ...] = ("en-US",)
    root: str = ""
    efi_ex: bool = False                   # the 24H2+ file set: Windows/Boot/EFI_EX/bootmgfw_EX.efi (2023-signed)
                                           # with its MUI and Windows/Boot/Fonts_EX, and Windows/Boot/EFI/boot.stl
    winload_dir: str = "Windows/System32/Boot"   # Windows 7: Windows/System32
    boot_files: Mapping[str, bytes] = field(default_factory=dict)  # boot.wim path -> content


@dataclass(frozen=True)
class MediaSpec:
    """A whole medium: its distros, volume label and ISO layout."""
    name: str
    label: str
    distros: Tuple[DistroSpec, ...]
    layout: str = "hidden"
    boot_files: Mapping[str, bytes] = field(default_factory=dict)  # every boot.wim; a distro's own win
    el_torito: bool = True
    winpe: bool = False                    # ADK copype + MakeWinPEMedia output: one bootable WinPE image in
                                           # sources/boot.wim, Boot/ and EFI/ around it, no install image


@dataclass
class SampleMedia:
    """What build_sample_media made: the staged tree, the ISO (None for layout "tree") and the WIMs in the tree."""
    spec: MediaSpec
    tree: str
    iso: Optional[str]
    boot_wims: Dict[str, str]
    installs: Dict[str, str]

    @property
    def path(self):
        """The path to hand to open_media: the ISO, else the tree."""
        return self.iso or self.tree


def _edition(name, edition_id, installation_type="Client", display_name="", flags=""):
    return Edition(name, edition_id, installation_type, display_name, flags)


def _server_editions(year):
    return tuple(
        _edition("Windows Server %s %s" % (year, flag.upper()), edition, kind,
                 "Windows Server %s %s%s" % (year, label, "" if kind == "Server Core" else " (Desktop Experience)"),
                 flag)
        for edition, label in (("ServerStandard", "Standard"), ("ServerDatacenter", "Datacenter"))
        for kind, flag in (("Server Core", edition + "Core"), ("Server", edition)))


_WIN10_EDITIONS = (_edition("Windows 10 Home", "Core"), _edition("Windows 10 Pro", "Professional"),
                   _edition("Windows 10 Education", "Education"))
_WIN11_EDITIONS = (_edition("Windows 11 Home", "Core"), _edition("Windows 11 Pro", "Professional"))

PRESETS = {
    "win10-x64": MediaSpec("win10-x64", "CCCOMA_X64FRE_EN-US_DV9", (
        DistroSpec("x86_64", 19045, editions=_WIN10_EDITIONS, install_format="esd"),)),
    "win11-x64": MediaSpec("win11-x64", "CCCOMA_X64FRE_EN-US_DV9", (
        DistroSpec("x86_64", 26100, editions=_WIN11_EDITIONS, efi_ex=True),)),
    "win11-arm64": MediaSpec("win11-arm64", "CCCOMA_A64FRE_EN-US_DV9", (
        DistroSpec("arm64", 26100, editions=_WIN11_EDITIONS, efi_ex=True),)),
    "server2016": MediaSpec("server2016", "SSS_X64FREE_EN-US_DV9", (
        DistroSpec("x86_64", 14393, spbuild=0, editions=_server_editions("2016")),)),
    "server2019": MediaSpec("server2019", "SSS_X64FRE_EN-US_DV9", (
        DistroSpec("x86_64", 17763, editions=_server_editions("2019"), install_format="swm"),)),
    "server2022": MediaSpec("server2022", "SSS_X64FREE_EN-US_DV9", (
        DistroSpec("x86_64", 20348, editions=_server_editions("2022")),)),
    "server2025": MediaSpec("server2025", "SSS_X64FRE_EN-US_DV9", (
        DistroSpec("x86_64", 26100, editions=_server_editions("2025"), efi_ex=True),)),
    "win7-x64": MediaSpec("win7-x64", "GRMCULXFRER_EN_DVD", (
        DistroSpec("x86_64", 7601, major=6, minor=1, spbuild=17514, winload_dir="Windows/System32",
                   editions=(_edition("Windows 7 PROFESSIONAL", "Professional", display_name="Windows 7 Professional"),
                             _edition("Windows 7 ULTIMATE", "Ultimate", display_name="Windows 7 Ultimate"))),)),
    "adk-winpe": MediaSpec("adk-winpe", "WINPE_AMD64", (DistroSpec("x86_64", 26100, editions=()),), winpe=True),
    "dual-arch": MediaSpec("dual-arch", "CCCOMA_TX86FRE_EN-US_DV9", (
        DistroSpec("i386", 19045, root="x86", editions=_WIN10_EDITIONS[1:2], install_format="esd"),
        DistroSpec("x86_64", 19045, root="x64", editions=_WIN10_EDITIONS[1:2], install_format="esd"))),
}


def preset(name, **changes):
    """A preset MediaSpec by name, with fields replaced (e.g. layout="bridge", boot_files={...})."""
    try:
        spec = PRESETS[name]
    except KeyError:
        raise InputError(name, "no such sample preset", "one of: " + ", ".join(sorted(PRESETS))) from None
    return dataclasses.replace(spec, **changes)


def marker(path, distro):
    """The marker bytes a sample file holds unless the caller substitutes content."""
    return ("cobbler-winpe sample file %s (%s build %d); not a Microsoft binary\r\n"
            % (path, distro.arch, distro.build)).encode("ascii")


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)


def boot_image_files(distro):
    """Paths (inside boot.wim) of the WinPE-like tree for this distro, with the default content."""
    paths = [EFI_DIR + names.BOOTMGFW, "Windows/System32/startnet.cmd"]
    paths += ["Windows/Boot/Fonts/" + f for f in FONT_FILES]
    paths += [EFI_DIR + lang + "/" + names.BOOTMGFW + names.MUI for lang in distro.languages]
    if distro.efi_ex:
        paths += [EFI_EX_DIR + names.BOOTMGFW_EX, EFI_DIR + names.BOOT_STL]
        paths += [EFI_EX_DIR + lang + "/" + names.BOOTMGFW_EX + names.MUI for lang in distro.languages]
        paths += ["Windows/Boot/Fonts_EX/" + f.replace(".ttf", "_EX.ttf") for f in FONT_FILES]
    if distro.arch != "arm64":
        paths += [PXE_DIR + f for f in PXE_FILES]
        paths += [PXE_DIR + lang + "/" + names.BOOTMGR_EXE + names.MUI for lang in distro.languages]
        paths.append(distro.winload_dir + "/winload.exe")
    paths.append(distro.winload_dir + "/winload.efi")
    files = {p: marker(p, distro) for p in paths}
    files["Windows/System32/startnet.cmd"] = b"wpeinit\r\n"
    return files


WINPE_STARTNET = b"wpeinit\r\nrem sample WinPE of its own: its start script, kept as it is\r\nX:\\deploy\\run.cmd\r\n"
WINPE_SDI = ("Windows/Boot/DVD/PCAT/" + names.BOOT_SDI, "Windows/Boot/DVD/EFI/" + names.BOOT_SDI)


def winpe_image_files(distro):
    """Paths (inside winpe.wim) of an ADK WinPE: the boot files, its boot.sdi copies, and its own start script."""
    files = boot_image_files(distro)
    files.update({p: marker(p, distro) for p in WINPE_SDI})
    files["Windows/System32/startnet.cmd"] = WINPE_STARTNET
    return files


def _with_overrides(files, overrides):
    """Replace content case-insensitively (new paths are added as given)."""
    by_lower = {p.lower(): p for p in files}
    for path, data in overrides.items():
        files[by_lower.get(path.lower().lstrip("/"), path.lstrip("/"))] = bytes(data)
    return files


def _common_properties(distro, languages=True):
    props = {
        "WINDOWS/ARCH": ARCH_CODES[distro.arch],
        "WINDOWS/PRODUCTNAME": "Microsoft Windows Operating System",
        "WINDOWS/VERSION/MAJOR": distro.major, "WINDOWS/VERSION/MINOR": distro.minor,
        "WINDOWS/VERSION/BUILD": distro.build, "WINDOWS/VERSION/SPBUILD": distro.spbuild,
        "WINDOWS/VERSION/SPLEVEL": 0, "WINDOWS/SYSTEMROOT": "WINDOWS",
    }
    if languages:
        for i, lang in enumerate(distro.languages, 1):
            props["WINDOWS/LANGUAGES/LANGUAGE" + ("[%d]" % i if i > 1 else "")] = lang
        props["WINDOWS/LANGUAGES/DEFAULT"] = distro.languages[0]
    return props


def _property_args(props):
    args = []
    for key, value in props.items():
        args += ["--image-property", "%s=%s" % (key, value)]
    return args


def _add_image(wim, source, name, description, props, boot=False, compress="LZX"):
    """Capture ``source`` as a new image of ``wim`` (creating it on the first call)."""
    verb = "append" if os.path.exists(wim) else "capture"
    argv = ["wimlib-imagex", verb, source, wim, name, description, "--no-acls"]
    if verb == "capture":
        argv.append("--compress=" + compress)
    if boot:
        argv.append("--boot")
    run_tool(argv + _property_args(props))


def build_boot_wim(workdir, distro, overrides, wim):
    """boot.wim with two images like real media: 1 Windows PE, 2 Windows Setup (bootable)."""
    tag = ARCH_TAGS[distro.arch]
    files = _with_overrides(boot_image_files(distro), overrides)
    props = dict(_common_properties(distro), **{"WINDOWS/EDITIONID": "WindowsPE",
                                                 "WINDOWS/INSTALLATIONTYPE": "WindowsPE",
                                                 "WINDOWS/PRODUCTTYPE": "WinNT"})
    pe_dir = os.path.join(workdir, "pe")
    for path, data in files.items():
        _write(os.path.join(pe_dir, path), data)
    _add_image(wim, pe_dir, "Microsoft Windows PE (%s)" % tag, "Microsoft Windows PE (%s)" % tag,
               dict(props, FLAGS="9"))
    for path in ("setup.exe", "sources/setup.exe"):
        _write(os.path.join(pe_dir, path), marker(path, distro))
    _add_image(wim, pe_dir, "Microsoft Windows Setup (%s)" % tag, "Microsoft Windows Setup (%s)" % tag,
               dict(props, FLAGS="2"), boot=True)


def build_winpe_wim(workdir, distro, overrides, wim):
    """winpe.wim as the ADK ships it (copype copies it to sources/boot.wim): one bootable WindowsPE image."""
    files = _with_overrides(winpe_image_files(distro), overrides)
    pe_dir = os.path.join(workdir, "pe")
    for path, data in files.items():
        _write(os.path.join(pe_dir, path), data)
    name = "Microsoft Windows PE (%s)" % ("amd64" if distro.arch == "x86_64" else ARCH_TAGS[distro.arch])
    props = dict(_common_properties(distro), **{"WINDOWS/EDITIONID": "WindowsPE", "FLAGS": "9",
                                                 "WINDOWS/INSTALLATIONTYPE": "WindowsPE",
                                                 "WINDOWS/PRODUCTTYPE": "WinNT"})
    _add_image(wim, pe_dir, name, name, props, boot=True)


def _filler(seed, size):
    """Deterministic incompressible bytes (so split WIMs really have several parts)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(b"%s/%d" % (seed, counter)).digest()
        counter += 1
    return bytes(out[:size])


def build_install_wim(workdir, distro, wim):
    """install.wim with one image per edition, properties like real media."""
    os_dir = os.path.join(workdir, "os")
    _write(os.path.join(os_dir, "Windows/System32/winload.exe"), marker("Windows/System32/winload.exe", distro))
    if distro.install_format == "swm":
        _write(os.path.join(os_dir, "Windows/System32/filler.bin"), _filler(b"swm", 1200 * 1024))
    server = any(e.installation_type.startswith("Server") for e in distro.editions)
    for edition in distro.editions:
        _write(os.path.join(os_dir, "Windows/edition.txt"), edition.name.encode("utf-8"))
        props = dict(_common_properties(distro), **{
            "DISPLAYNAME": edition.display_name or edition.name,
            "DISPLAYDESCRIPTION": edition.display_name or edition.name,
            "FLAGS": edition.flags or edition.edition_id,
            "WINDOWS/EDITIONID": edition.edition_id,
            "WINDOWS/INSTALLATIONTYPE": edition.installation_type,
            "WINDOWS/PRODUCTTYPE": "ServerNT" if server else "WinNT",
        })
        _add_image(wim, os_dir, edition.name, edition.name, props)


def _finish_install(wim, fmt, sources):
    """Turn install.wim into the requested format inside ``sources``; returns the (first) file."""
    if fmt == "wim":
        final = os.path.join(sources, "install.wim")
        shutil.move(wim, final)
        return final
    if fmt == "esd":
        final = os.path.join(sources, "install.esd")
        run_tool(["wimlib-imagex", "export", wim, "all", final, "--solid"])
        return final
    final = os.path.join(sources, "install.swm")
    run_tool(["wimlib-imagex", "split", wim, final, SWM_PART_MB])
    return final


def _media_files(spec, tree):
    """The files around the WIMs: setup, boot manager, boot.sdi, El Torito images, README."""
    first = spec.distros[0]
    files = {"setup.exe": None, "autorun.inf": b"[AutoRun.Amd64]\r\nopen=setup.exe\r\n",
             "bootmgr": None, names.BOOTMGR_EFI: None, "boot/bcd": None, MEDIA_SDI: None,
             "boot/etfsboot.com": b"\0" * 4096, "boot/fonts/wgl4_boot.ttf": None,
             "efi/microsoft/boot/efisys.bin": b"\0" * 65536,
             "efi/boot/" + EFI_BOOT_NAMES[first.arch]: None}
    for distro in spec.distros:
        prefix = distro.root + "/" if distro.root else ""
        for path in ("sources/setup.exe", "sources/lang.ini", MEDIA_SDI, "setup.exe"):
            files[prefix + path] = None
    for path, data in files.items():
        _write(os.path.join(tree, path), data if data is not None else marker(path, first))


def _winpe_media_files(spec, tree):
    """MakeWinPEMedia's layout around sources/boot.wim: Boot/BCD, Boot/boot.sdi, EFI/Boot, EFI/Microsoft/Boot/BCD."""
    distro = spec.distros[0]
    files = ("bootmgr", names.BOOTMGR_EFI, "Boot/BCD", "Boot/" + names.BOOT_SDI, "Boot/Fonts/wgl4_boot.ttf",
             "EFI/Boot/" + EFI_BOOT_NAMES[distro.arch], "EFI/Microsoft/Boot/BCD",
             "EFI/Microsoft/Boot/Fonts/wgl4_boot.ttf", "en-us/" + names.BOOTMGR_EFI + names.MUI)
    for path in files:
        _write(os.path.join(tree, path), marker(path, distro))
    _write(os.path.join(tree, "Boot/etfsboot.com"), b"\0" * 4096)
    _write(os.path.join(tree, "EFI/Microsoft/Boot/efisys.bin"), b"\0" * 65536)


def _make_iso(spec, tree, iso, workdir):
    opts = LAYOUTS[spec.layout]
    argv = ["genisoimage", "-quiet", "-iso-level", "3", "-no-pad", "-V", spec.label, "-o", iso] + opts
    if spec.el_torito:
        boot, efi = ("Boot", "EFI/Microsoft/Boot") if spec.winpe else ("boot", "efi/microsoft/boot")
        argv += ["-b", boot + "/etfsboot.com", "-no-emul-boot", "-boot-load-size", "8", "-hide", "boot.catalog",
                 "-eltorito-alt-boot", "-e", efi + "/efisys.bin", "-no-emul-boot"]
    paths = [tree]
    if spec.layout == "hidden":
        readme = os.path.join(workdir, "readme", "README.TXT")
        _write(readme, b"This disc contains a \"UDF\" file system and requires an operating system\r\n"
                       b"that supports the ISO-13346 \"UDF\" file system specification.\r\n")
        for name in os.listdir(tree):
            argv += ["-hide", name]
        paths.append(os.path.dirname(readme))
    run_tool(argv + paths)


def _check(spec):
    if spec.layout not in LAYOUTS:
        raise InputError(spec.layout, "unknown sample layout", "one of: " + ", ".join(LAYOUTS))
    if not spec.distros:
        raise InputError(spec.name, "a sample medium needs at least one distro")
    for distro in spec.distros:
        if distro.arch not in ARCH_CODES:
            raise InputError(distro.arch, "unknown sample architecture", "one of: " + ", ".join(ARCH_CODES))
        if distro.install_format not in INSTALL_FORMATS:
            raise InputError(distro.install_format, "unknown install image format", "wim, esd or swm")


def build_sample_media(workdir, spec):
    """Build the medium ``spec`` under ``workdir``: <name>/ (tree), <name>.iso (unless layout "tree")."""
    _check(spec)
    tree = os.path.join(workdir, spec.name)
    stage = os.path.join(workdir, spec.name + ".stage")
    for path in (tree, stage):
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(tree)
    boot_wims, installs = {}, {}
    for n, distro in enumerate(spec.distros):
        sources = os.path.join(tree, distro.root, "sources")
        os.makedirs(sources, exist_ok=True)
        work = os.path.join(stage, str(n))
        overrides = dict(spec.boot_files, **distro.boot_files)
        boot_wims[distro.root] = os.path.join(sources, names.BOOT_WIM)
        if spec.winpe:
            build_winpe_wim(work, distro, overrides, boot_wims[distro.root])
            continue
        build_boot_wim(work, distro, overrides, boot_wims[distro.root])
        install = os.path.join(work, "install.wim")
        build_install_wim(work, distro, install)
        installs[distro.root] = _finish_install(install, distro.install_format, sources)
    (_winpe_media_files if spec.winpe else _media_files)(spec, tree)
    iso = None
    if LAYOUTS[spec.layout] is not None:
        iso = os.path.join(workdir, spec.name + ".iso")
        _make_iso(spec, tree, iso, stage)
    shutil.rmtree(stage, ignore_errors=True)
    return SampleMedia(spec, tree, iso, boot_wims, installs)
