"""Build the stand-in loaders (nasm BIOS NBP, gnu-efi EFI app) from this folder's sources into a given directory."""
import os
import re
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
NBP_SOURCE = os.path.join(HERE, "nbp.asm")
EFI_SOURCE = os.path.join(HERE, "standin_efi.c")
MARKER_RE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")

EFI_INCLUDES = ("/usr/include/efi", "/usr/include/efi/x86_64")
EFI_CRT0 = "/usr/lib/crt0-efi-x86_64.o"
EFI_LDS = "/usr/lib/elf_x86_64_efi.lds"
EFI_SECTIONS = (".text", ".sdata", ".data", ".dynamic", ".dynsym", ".rel", ".rela", ".reloc")


def missing_tools(kind):
    """Names of the programs/files a build of this kind ('nbp' or 'efi') needs and the host lacks."""
    if kind == "nbp":
        return [] if shutil.which("nasm") else ["nasm"]
    needed = [tool for tool in ("gcc", "ld", "objcopy") if not shutil.which(tool)]
    return needed + [path for path in (EFI_CRT0, EFI_LDS) if not os.path.exists(path)]


def _check_marker(marker):
    if not MARKER_RE.match(marker):
        raise ValueError("stand-in marker %r: use letters, digits, '.', '_', '-' (1-40)" % marker)


def _run(argv, cwd):
    proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (argv[0], proc.returncode, proc.stdout.decode(errors="replace")))


def build_nbp(marker, out_path):
    """Assemble the BIOS NBP stand-in that names itself `marker`; returns out_path."""
    _check_marker(marker)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    _run(["nasm", "-f", "bin", '-DMARKER="%s"' % marker, "-o", out_path, NBP_SOURCE],
         cwd=os.path.dirname(out_path) or ".")
    return out_path


def build_efi(marker, out_path, workdir):
    """Compile and link the EFI stand-in that names itself `marker` (objects go to workdir); returns out_path."""
    _check_marker(marker)
    os.makedirs(workdir, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    obj = os.path.join(workdir, marker + ".o")
    shared = os.path.join(workdir, marker + ".so")
    includes = ["-I" + path for path in EFI_INCLUDES]
    _run(["gcc"] + includes + ["-fno-stack-protector", "-fpic", "-fshort-wchar", "-mno-red-zone", "-Wall",
                               "-DEFI_FUNCTION_WRAPPER", '-DMARKER="%s"' % marker, "-c", EFI_SOURCE, "-o", obj],
         cwd=workdir)
    _run(["ld", "-nostdlib", "-znocombreloc", "-T", EFI_LDS, "-shared", "-Bsymbolic", "-L/usr/lib",
          EFI_CRT0, obj, "-o", shared, "-lefi", "-lgnuefi"], cwd=workdir)
    sections = []
    for name in EFI_SECTIONS:
        sections += ["-j", name]
    _run(["objcopy"] + sections + ["--target=efi-app-x86_64", shared, out_path], cwd=workdir)
    return out_path
