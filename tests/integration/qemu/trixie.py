"""Debian 13 (trixie) loaders for tests: apt-get download into a cache folder, dpkg -x, never installed."""
import os
import subprocess

CACHE = os.environ.get("COBBLER_WINPE_DEB_CACHE", "/var/tmp/cobbler-winpe-debs/trixie")
SOURCE = ("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
          "http://deb.debian.org/debian trixie main\n")
# GRUB 2.12 modules and grub-mkimage, iPXE 2025, OVMF 2025.02; the libraries let trixie's grub-mkimage run
# through trixie's own ld.so (Debian 12's glibc 2.36 is older than the 2.38 it needs).
PACKAGES = ("grub-efi-amd64-bin", "grub-common", "ipxe", "ovmf", "libc6", "libdevmapper1.02.1", "liblzma5",
            "libselinux1", "libudev1", "libpcre2-8-0", "libcap2")
LIB_DIR = "usr/lib/x86_64-linux-gnu"
LOADER = "usr/lib64/ld-linux-x86-64.so.2"


class Unavailable(Exception):
    """The packages could not be fetched (the message says what failed)."""


def _apt_options():
    base = os.path.join(CACHE, "apt")
    return ["-o", "Dir::Etc::sourcelist=" + os.path.join(base, "sources.list"), "-o", "Dir::Etc::sourceparts=-",
            "-o", "Dir::State=" + os.path.join(base, "state"), "-o", "Dir::State::status=" + os.path.join(base, "status"),
            "-o", "Dir::Cache=" + os.path.join(base, "cache"), "-o", "APT::Architecture=amd64",
            "-o", "APT::Sandbox::User=root"]


def _run(what, argv, cwd=None):
    """Run ARGV; WHAT names it in the Unavailable message (with the last lines it printed)."""
    try:
        proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise Unavailable("%s: %s" % (what, err))
    if proc.returncode != 0:
        tail = proc.stdout.decode(errors="replace").strip().splitlines()[-3:]
        raise Unavailable("%s failed (exit %d): %s" % (what, proc.returncode, " | ".join(tail)))


def root():
    """The folder holding the unpacked trixie packages (fetched on first use); raises Unavailable."""
    tree = os.path.join(CACHE, "root")
    done = os.path.join(CACHE, "unpacked")
    if os.path.exists(done):
        return tree
    base = os.path.join(CACHE, "apt")
    debs = os.path.join(CACHE, "debs")
    for folder in ("state/lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(base, folder), exist_ok=True)
    os.makedirs(debs, exist_ok=True)
    with open(os.path.join(base, "sources.list"), "w") as handle:
        handle.write(SOURCE)
    open(os.path.join(base, "status"), "w").close()    # nothing installed: candidates come from trixie alone
    _run("apt-get update (trixie)", ["apt-get"] + _apt_options() + ["--error-on=any", "update"])
    _run("apt-get download", ["apt-get"] + _apt_options() + ["download"] + list(PACKAGES), cwd=debs)
    for name in sorted(os.listdir(debs)):
        _run("dpkg -x " + name, ["dpkg", "-x", os.path.join(debs, name), tree])
    open(done, "w").close()
    return tree


def program(tree, path):
    """argv prefix that runs a trixie program (e.g. usr/bin/grub-mkimage) with trixie's own libraries."""
    return [os.path.join(tree, LOADER), "--library-path", os.path.join(tree, LIB_DIR), os.path.join(tree, path)]
