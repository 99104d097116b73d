"""On-demand benchmark: inspect of an ISO holding a ~4 GB install image, wall time and bytes read, against wiminfo.

Run: .venv/bin/python bench/bench_inspect.py [--size BYTES] [--workdir DIR] [--keep]
Needs wimlib-imagex, wiminfo and genisoimage, and about 2.2 x SIZE of free disk under the work dir.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from cobbler_winpe.media.detect import detect
from cobbler_winpe.media.source import open_media
from cobbler_winpe.sample.media import build_sample_media, preset
from cobbler_winpe.wim.tool import run_tool


def rchar(pid="self"):
    """Bytes this process asked read() for so far (Linux /proc/PID/io), cache hits included."""
    with open("/proc/%s/io" % pid) as fp:
        for line in fp:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise RuntimeError("no rchar in /proc/%s/io" % pid)


def build_iso(workdir, size):
    """An ISO whose sources/install.wim holds one uncompressed image with a sparse file of ``size`` bytes."""
    sample = build_sample_media(workdir, preset("win10-x64", layout="tree"))
    payload = os.path.join(workdir, "payload")
    os.makedirs(os.path.join(payload, "Windows"))
    with open(os.path.join(payload, "Windows", "big.bin"), "wb") as fp:
        fp.truncate(size)
    install = os.path.join(sample.tree, "sources", "install.wim")
    os.unlink(sample.installs[""])
    run_tool(["wimlib-imagex", "capture", payload, install, "Windows 10 Pro", "--compress=none",
              "--image-property", "WINDOWS/ARCH=9", "--image-property", "WINDOWS/VERSION/BUILD=19045",
              "--image-property", "WINDOWS/INSTALLATIONTYPE=Client",
              "--image-property", "WINDOWS/EDITIONID=Professional"])
    shutil.rmtree(payload)
    iso = os.path.join(workdir, "big.iso")
    run_tool(["genisoimage", "-quiet", "-udf", "-iso-level", "3", "-allow-limited-size", "-V", "BENCH",
              "-o", iso, sample.tree])
    return iso, install


def measure_inspect(iso):
    before, start = rchar(), time.monotonic()
    with open_media(iso) as media:
        info = detect(media)
    return time.monotonic() - start, rchar() - before, info


def measure_wiminfo(wim):
    """wiminfo's wall time and rchar, read from its /proc entry while it is a zombie (not yet reaped)."""
    start = time.monotonic()
    proc = subprocess.Popen(["wiminfo", wim], stdout=subprocess.DEVNULL)
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    elapsed = time.monotonic() - start
    read = rchar(proc.pid)
    proc.wait()
    return elapsed, read


def drop_caches():
    """Cold-cache figures need root; without it the numbers are warm-cache."""
    try:
        with open("/proc/sys/vm/drop_caches", "w") as fp:
            fp.write("3\n")
        return True
    except OSError:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4 * 1000 ** 3, help="install image payload in bytes")
    parser.add_argument("--workdir", default=None, help="where to build (default: a temp dir in /var/tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the built ISO")
    args = parser.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-inspect-", dir="/var/tmp")
    try:
        start = time.monotonic()
        iso, wim = build_iso(workdir, args.size)
        print("built %s (%d bytes) in %.1f s" % (iso, os.path.getsize(iso), time.monotonic() - start))
        cold = drop_caches()
        t_ins, r_ins, info = measure_inspect(iso)
        drop_caches()
        t_wi, r_wi = measure_wiminfo(wim)
        iso_size = os.path.getsize(iso)
        distro = info.distros[0]
        print("detected: Windows %s %s build %s, install %s (%d bytes)"
              % (distro.os_version, distro.arch, distro.build, distro.install.path, os.path.getsize(wim)))
        print("caches: %s" % ("dropped before each run (cold)" if cold else "not dropped (warm, not root)"))
        print("%-22s %10s %16s %12s" % ("", "wall s", "bytes read", "of ISO"))
        print("%-22s %10.3f %16d %11.5f%%" % ("cobbler-winpe inspect", t_ins, r_ins, 100.0 * r_ins / iso_size))
        print("%-22s %10.3f %16d %11.5f%%" % ("wiminfo (WIM on disk)", t_wi, r_wi, 100.0 * r_wi / iso_size))
        print("ratio inspect/wiminfo: time %.2f, bytes %.2f" % (t_ins / t_wi, r_ins / max(r_wi, 1)))
        return 0
    finally:
        if args.keep:
            print("kept", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
