"""Helpers shared by the on-demand benchmarks: timing, /proc I/O counters, disk use, the Cobbler bed, result tables."""
import os
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INTEGRATION = os.path.join(ROOT, "tests", "integration")
VENV = os.path.join(ROOT, ".venv")
SCRATCH = "/var/tmp"
# atftpd (RFC 7440 windowsize), unpacked by scripts/setup.sh: Debian's package would remove tftpd-hpa
ATFTPD = os.path.join(ROOT, ".bench-tools", "atftpd", "usr", "sbin", "atftpd")


def proc_io(pid="self"):
    """/proc/PID/io as a dict of ints (rchar, wchar, read_bytes, write_bytes, ...)."""
    with open("/proc/%s/io" % pid) as handle:
        return {key: int(value) for key, value in (line.split(":") for line in handle if ":" in line)}


def io_delta(before, after):
    return {key: after[key] - before.get(key, 0) for key in after}


def drop_caches():
    """Write back and drop the page cache (root only); True when done, so the next read is cold."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as handle:
            handle.write("3\n")
        return True
    except OSError:
        return False


def timed(func, *args, **kwargs):
    """(seconds, result) of one call."""
    start = time.monotonic()
    result = func(*args, **kwargs)
    return time.monotonic() - start, result


def median_of(runs, func):
    """Median wall time of RUNS calls of func() and every sample."""
    samples = [timed(func)[0] for _ in range(runs)]
    return statistics.median(samples), samples


def disk_used(paths):
    """Bytes of disk blocks used by every file and folder below PATHS, each inode counted once."""
    seen, total = set(), 0
    for top in paths:
        if not os.path.exists(top):
            continue
        for folder, dirs, files in os.walk(top):
            for name in [""] + files:
                path = os.path.join(folder, name) if name else folder
                try:
                    st = os.lstat(path)
                except FileNotFoundError:
                    continue
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    total += st.st_blocks * 512
    return total


def files_below(tops):
    """(path, lstat) of every file below TOPS (symlinks as themselves); files gone since the listing (another
    program's temp files) are left out."""
    for top in tops:
        for folder, _dirs, files in os.walk(top):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    yield path, os.lstat(path)
                except FileNotFoundError:
                    continue


def human(num):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(num) < 1024 or unit == "GiB":
            return ("%d %s" % (num, unit)) if unit == "B" else ("%.1f %s" % (num, unit))
        num /= 1024.0
    return str(num)


def table(title, header, rows):
    """Print a plain fixed-width table: header is a tuple of column names, rows tuples of strings."""
    print("\n== %s" % title)
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        print("  " + "  ".join(str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
                               for i, cell in enumerate(row)))


class BaselineMissing(Exception):
    """A benchmark's baseline could not run: the benchmark must stop before printing any ratio."""


def require(ok, why):
    """Stop the benchmark (BaselineMissing) unless OK; WHY is the one line printed."""
    if not ok:
        raise BaselineMissing(why)


def require_programs(*names):
    for name in names:
        require(shutil.which(name), "baseline cannot run: program %s not found" % name)


def require_modules(python, *modules):
    """Stop unless PYTHON can import every module (checked in its own bounded process)."""
    done = subprocess.run([python, "-c", "import " + ", ".join(modules)], capture_output=True, text=True,
                          timeout=60)
    require(done.returncode == 0, "baseline cannot run: %s cannot import %s" % (python, ", ".join(modules)))


def ratio(value, baseline, what):
    """VALUE / BASELINE; stops the benchmark (BaselineMissing, no ratio printed) when the baseline did not run:
    None, zero or negative (a baseline that processed nothing measures nothing)."""
    require(baseline is not None and baseline > 0, "baseline did not run: %s" % what)
    return value / baseline


def link_share(size, seconds, link_bits):
    """The share of a LINK_BITS/s link that SIZE payload bytes in SECONDS used (1.0 = every bit payload)."""
    require(seconds > 0 and size > 0, "transfer did not run: %d bytes in %.3f s" % (size, seconds))
    return size * 8.0 / seconds / link_bits


def run_main(main, argv=None):
    """Exit status of a benchmark's main(): 2 with one line on stderr (and no ratio) when a baseline is missing."""
    try:
        return main(argv)
    except BaselineMissing as err:
        sys.stdout.flush()
        print("benchmark not run: %s" % err, file=sys.stderr)
        return 2


def goal(label, value, limit, below=True):
    """Print one goal line: PASS/MISS with the figure and the limit; returns True when met."""
    met = value <= limit if below else value >= limit
    print("  goal %-48s %s (%.3g %s %.3g)" % (label, "met" if met else "MISSED", value, "<=" if below else ">=",
                                              limit))
    return met


# ---- the real Cobbler test bed (tests/integration/testbed.py) -------------------------------------------

def testbed():
    """tests/integration/testbed.py, the one home of the bed and of stopping a process by PID."""
    if INTEGRATION not in sys.path:
        sys.path.insert(0, INTEGRATION)
    import testbed as module  # noqa: E402  (lives beside the integration tests)
    return module


def bed_class():
    return testbed().CobblerBed


def stop_process(proc):
    """SIGTERM, a bounded wait, then SIGKILL (testbed.stop_process)."""
    testbed().stop_process(proc)


@contextmanager
def cobbler_bed(plugin=True, settings=None):
    """A started CobblerBed (with the plugin's hooks installed when PLUGIN), stopped by PID at the end."""
    bed = bed_class()(venv=VENV, settings=settings)
    print("starting the Cobbler test bed (waits for the machine-wide bed lock)...", flush=True)
    bed.start()
    try:
        if plugin:
            install_plugin(bed)
        yield bed
    finally:
        bed.stop()


def install_plugin(bed):
    """As tests/integration/conftest.py does: install the hook modules, snippets and template block, restart."""
    argv = [os.path.join(VENV, "bin", "cobbler-winpe"), "install-hooks", "--module-dir", str(bed.modules_dir)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError("cobbler-winpe install-hooks failed: %s" % done.stderr.strip())
    bed.restart_cobblerd()


def cobblerd_pid(bed):
    return bed._cobblerd.pid  # the bed keeps its Popen; only its PID is read here


def cli_ok(bed, *args):
    """Run `cobbler ARGS` on the bed; raise with its output unless it succeeded."""
    rc, out, err = bed.cli(*args)
    if rc != 0 or "TASK FAILED" in out:
        raise RuntimeError("cobbler %s failed (%d): %s %s" % (" ".join(map(str, args)), rc, out[-2000:], err[-2000:]))
    return out


def set_plugin_enabled(enabled, path="/etc/cobbler/winpe.yaml"):
    """Switch every plugin hook on or off (read by each hook call; no restart needed)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write("enabled: %s\n" % ("true" if enabled else "false"))
    os.replace(tmp, path)


def finish(workdir, keep):
    """Leave WORKDIR for inspection (--keep) or remove it."""
    if keep:
        print("kept", workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
