"""On-demand benchmark: `cobbler import` of a Windows ISO on the real Cobbler bed against plain `cp` of the ISO.

Run: .venv/bin/python bench/bench_import.py [--install-size BYTES] [--boot-size BYTES] [--keep]
Needs root (the Cobbler test bed, dropping the page cache), wimlib-imagex and genisoimage, and about
3 x (install + boot size) of free disk.  The ISO is the win10-x64 sample medium with an uncompressed install.wim
of --install-size bytes and a boot.wim grown to about --boot-size bytes (both uncompressed, so every byte is
really stored and copied).  Figures, page cache dropped before each:
- wall time of `cobbler import --path ISO --name bench` (the CLI returns when cobblerd's task ends) and of
  `cp ISO <distro_mirror>/`, each also with the `sync` that makes the bytes durable;
- bytes cobblerd wrote during the import (its /proc io wchar) against the ISO's size;
- after `cobbler sync`: boot.wim's inode and link count in the mirror, the TFTP tree and the web tree.
"""
import argparse
import os
import shutil
import sys
import tempfile

import benchlib
from cobbler_winpe.sample.media import build_sample_media, preset
from cobbler_winpe.wim.tool import run_tool

NAME = "bench"
DISTRO = "bench-x86_64"


def grow_wim(wim, index, size, workdir, inside):
    """Re-store WIM uncompressed and add a file of SIZE bytes (one repeated random MiB) to image INDEX."""
    run_tool(["wimlib-imagex", "optimize", wim, "--recompress", "--compress=none"])
    payload = os.path.join(workdir, os.path.basename(inside))
    block = os.urandom(1 << 20)
    with open(payload, "wb") as handle:
        for offset in range(0, size, len(block)):
            handle.write(block[:min(len(block), size - offset)])
    run_tool(["wimlib-imagex", "update", wim, str(index), "--command", "add '%s' '%s'" % (payload, inside)])
    os.unlink(payload)


def build_iso(workdir, install_size, boot_size):
    sample = build_sample_media(workdir, preset("win10-x64", layout="tree"))
    sources = os.path.join(sample.tree, "sources")
    os.unlink(sample.installs[""])
    big = os.path.join(workdir, "os")
    os.makedirs(os.path.join(big, "Windows"))
    with open(os.path.join(big, "Windows", "big.bin"), "wb") as handle:
        handle.truncate(install_size)
    run_tool(["wimlib-imagex", "capture", big, os.path.join(sources, "install.wim"), "Windows 10 Pro",
              "--compress=none", "--image-property", "WINDOWS/ARCH=9",
              "--image-property", "WINDOWS/VERSION/BUILD=19045", "--image-property", "WINDOWS/VERSION/MAJOR=10",
              "--image-property", "WINDOWS/INSTALLATIONTYPE=Client",
              "--image-property", "WINDOWS/EDITIONID=Professional"])
    shutil.rmtree(big)
    grow_wim(os.path.join(sources, "boot.wim"), 2, boot_size, workdir, "/sources/payload.bin")
    iso = os.path.join(workdir, "bench.iso")
    run_tool(["genisoimage", "-quiet", "-udf", "-iso-level", "3", "-allow-limited-size", "-V", "BENCH",
              "-o", iso, sample.tree])
    shutil.rmtree(sample.tree)
    os.chmod(iso, 0o644)
    return iso


def time_cp(iso, dest_dir):
    dest = os.path.join(dest_dir, "bench-cp.iso")
    benchlib.drop_caches()
    seconds, _ = benchlib.timed(run_tool, ["cp", iso, dest])
    synced, _ = benchlib.timed(os.sync)
    os.unlink(dest)
    return seconds, seconds + synced


def time_import(bed, iso):
    pid = benchlib.cobblerd_pid(bed)
    benchlib.drop_caches()
    before = benchlib.proc_io(pid)
    seconds, out = benchlib.timed(benchlib.cli_ok, bed, "import", "--path", iso, "--name", NAME)
    written = benchlib.io_delta(before, benchlib.proc_io(pid))
    synced, _ = benchlib.timed(os.sync)
    if "TASK COMPLETE" not in out:
        raise RuntimeError("import did not complete: %s" % out[-2000:])
    return seconds, seconds + synced, written


def boot_wim_links(bed):
    """[(where, path, inode, link count)] of boot.wim in the mirror, the TFTP tree and the web tree."""
    places = [("mirror", os.path.join(str(bed.webdir), "distro_mirror", NAME, "sources", "boot.wim")),
              ("tftp tree", os.path.join(str(bed.tftproot), "images", DISTRO, "boot.wim")),
              ("web tree", os.path.join(str(bed.webdir), "images", DISTRO, "boot.wim"))]
    rows = []
    for where, path in places:
        st = os.stat(path) if os.path.exists(path) else None
        rows.append((where, path, st.st_ino if st else "-", st.st_nlink if st else "-",
                     benchlib.human(st.st_size) if st else "missing"))
    return rows


def copies_of(size, roots):
    """[(inode, link count, [paths])] of every file within 5% of SIZE bytes below ROOTS: boot.wim and the
    images made from it (the plugin's winpe.wim is boot.wim plus a few start files)."""
    found = {}
    for path, st in benchlib.files_below(roots):
        if abs(st.st_size - size) <= size // 20:
            found.setdefault(st.st_ino, [st.st_nlink, []])[1].append(path)
    return [(ino, links, paths) for ino, (links, paths) in sorted(found.items())]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install-size", type=int, default=1000 ** 3, help="install image payload bytes")
    parser.add_argument("--boot-size", type=int, default=300 * 1000 ** 2, help="boot.wim payload bytes")
    parser.add_argument("--keep", action="store_true", help="keep the built ISO")
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="bench-import-", dir=benchlib.SCRATCH)
    os.chmod(work, 0o755)
    try:
        t_build, iso = benchlib.timed(build_iso, work, args.install_size, args.boot_size)
        iso_size = os.path.getsize(iso)
        print("built %s (%s) in %.1f s" % (iso, benchlib.human(iso_size), t_build))
        with benchlib.cobbler_bed(plugin=True) as bed:
            bed.reset()
            benchlib.set_plugin_enabled(True)
            mirror_root = os.path.join(str(bed.webdir), "distro_mirror")
            cp_time, cp_synced = time_cp(iso, mirror_root)
            imp_time, imp_synced, written = time_import(bed, iso)
            benchlib.cli_ok(bed, "sync")
            links = boot_wim_links(bed)
            boot_size = os.path.getsize(os.path.join(mirror_root, NAME, "sources", "boot.wim"))
            copies = copies_of(boot_size, [str(bed.webdir), str(bed.tftproot), "/var/lib/cobbler", "/tmp"])
            cache = benchlib.disk_used(["/var/lib/cobbler/winpe"])
            bed.reset()
            shutil.rmtree(os.path.join(mirror_root, NAME), ignore_errors=True)
        benchlib.table("import of a %s ISO (boot.wim %s)" % (benchlib.human(iso_size), benchlib.human(args.boot_size)),
                       ("", "wall s", "with sync s", "x cp"), [
                           ("cobbler import (plugin)", "%.2f" % imp_time, "%.2f" % imp_synced,
                            "%.2f / %.2f" % (imp_time / cp_time, imp_synced / cp_synced)),
                           ("cp ISO to distro_mirror", "%.2f" % cp_time, "%.2f" % cp_synced, "1.00")])
        print("  cobblerd wrote %s during the import (wchar) = %.2f x the ISO; read %s (rchar)"
              % (benchlib.human(written["wchar"]), written["wchar"] / iso_size, benchlib.human(written["rchar"])))
        print("  extra bytes written beyond one copy of the ISO: %s (boot.wim is %s)"
              % (benchlib.human(written["wchar"] - iso_size), benchlib.human(args.boot_size)))
        print("  plugin boot-file cache: %s on disk" % benchlib.human(cache))
        benchlib.table("boot.wim after import + sync", ("", "path", "inode", "links", "size"), links)
        for ino, nlink, paths in copies:
            print("  inode %d (%d links): %s" % (ino, nlink, ", ".join(paths)))
        print("  boot.wim: %d cop%s on disk after import + sync (%s)" % (
            len(copies), "y" if len(copies) == 1 else "ies",
            "hard links only" if len(copies) == 1 else "each inode is one full copy"))
        benchlib.goal("import wall time <= 1.15 x cp (ratio)", imp_time / cp_time, 1.15)
        benchlib.goal("import + sync <= 1.15 x cp + sync (ratio)", imp_synced / cp_synced, 1.15)
        benchlib.goal("boot.wim-sized inodes on disk (1 = never copied twice)", len(copies), 1)
        benchlib.goal("bytes written <= 1.01 x ISO (boot.wim written once)", written["wchar"] / iso_size, 1.01)
        return 0
    finally:
        benchlib.finish(work, args.keep)


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
