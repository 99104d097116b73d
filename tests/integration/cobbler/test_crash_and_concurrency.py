"""Crash safety and concurrency of the plugin's staging against the real bed's Cobbler inventory.

How: a worker process builds Cobbler's own Python API (cobbler.api.CobblerAPI, reading the bed's collections and
settings) and runs cobbler_winpe.adapter.staging.stage(), which is exactly what the sync/post and add/delete hooks
run inside cobblerd.  Killing cobblerd mid-sync would also cut Cobbler's own non-atomic writes (its menus), which
are not this plugin's to guard; killing the worker cuts only the plugin's writes, at a chosen instant.

Two configurations (COBBLER_WINPE_CONFIG files) give two complete staged states OLD and NEW (different BCD
TFTP block sizes and time-outs, a different share name, so BCDs, startnet.cmd, the WinPE WIM and Samba files all
change).  Crash: 20 times, a worker staging towards the other state is SIGKILLed at a random instant of its run;
then every staged file must hold its OLD or NEW content in full, no temp file may be readable by the TFTP/HTTP
servers' users, and one more staging must give exactly the target state.  Concurrency: 50 rounds of two workers
staging at once (different targets): the result is exactly one of the two complete states, nothing is lost, and
no round takes longer than ROUND_TIMEOUT (no deadlock).
"""
import hashlib
import os
import random
import select
import signal
import stat
import subprocess
import time

import pytest

from cobbler_winpe.errors import WinpeError
from cobbler_winpe.wim.info import read_wim_info_path

pytestmark = pytest.mark.integration

WORKER = r"""
import sys, time
from cobbler.api import CobblerAPI
from cobbler_winpe import config
from cobbler_winpe.adapter import staging
api = CobblerAPI()
print("ready", flush=True)
for line in sys.stdin:
    cfg = config.load(line.strip())
    started = time.monotonic()
    staging.stage(api, cfg)
    print("done %.4f" % (time.monotonic() - started), flush=True)
"""
CRASH_ROUNDS = 20
CONCURRENT_ROUNDS = 50
ROUND_TIMEOUT = 120.0
CACHE_DIR = "/var/lib/cobbler/winpe"
TEMP_MARKS = (".tmp-", ".wim-extract-", ".winpe-work", ".new")


class Worker:
    """One staging process over the bed's Cobbler; stage(config) runs one full staging."""

    def __init__(self, bed):
        self.proc = subprocess.Popen([str(bed.venv / "bin" / "python"), "-c", WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/",
                                     start_new_session=True)
        assert self.readline() == "ready", self.stderr()

    def readline(self, timeout=ROUND_TIMEOUT):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "worker silent for %.0f s (deadlock?)" % timeout
        return self.proc.stdout.readline().strip()

    def start(self, config):
        self.proc.stdin.write(config + "\n")
        self.proc.stdin.flush()

    def wait(self):
        line = self.readline()
        assert line.startswith("done"), (line, self.stderr())
        return float(line.split()[1])

    def stage(self, config):
        self.start(config)
        return self.wait()

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stderr(self):
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read()[-3000:]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def write_config(path, out, **values):
    lines = ["smb_guest: true", "smb_include: %s/smb-winpe.conf" % out, "tftpd_rules: %s/tftpd.rules" % out,
             "dhcp_snippets_dir: %s/dhcp" % out] + ["%s: %s" % item for item in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def is_temp(relpath):
    return any(mark in part for part in relpath.split("/") for mark in TEMP_MARKS)


def wim_digest(path):
    """A WIM's content as it matters: a complete, readable WIM and the startnet.cmd in its boot image.

    The WinPE WIM is rebuilt by wimlib whenever its start files change, and wimlib's output is not byte-identical
    from one build to the next (time stamps), so WIMs are compared by what they carry."""
    try:
        info = read_wim_info_path(path)
    except WinpeError as err:
        return "broken WIM: %s" % err
    done = subprocess.run(["wimlib-imagex", "extract", path, str(info.boot_index or 1),
                           "/Windows/System32/startnet.cmd", "--to-stdout", "--no-globs"],
                          capture_output=True, timeout=60)
    if done.returncode != 0:
        return "unreadable WIM: %s" % done.stderr.decode("utf-8", "replace").strip()[-200:]
    return "wim " + hashlib.sha256(done.stdout).hexdigest()


def state(roots):
    """{path: (content digest, world-readable)} of every file below ROOTS (missing roots are empty)."""
    found = {}
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode):
                    found[path] = ("not a regular file", True)
                    continue
                if name.lower().endswith(".wim") and not is_temp(path):
                    digest = wim_digest(path)
                else:
                    with open(path, "rb") as handle:
                        digest = hashlib.sha256(handle.read()).hexdigest()
                found[path] = (digest, bool(st.st_mode & stat.S_IROTH))
    return found


def staged_roots(bed, out):
    """What staging writes: both trees' images/ and winpe/ folders, the service files, the data share."""
    return [os.path.join(str(bed.tftproot), "images"), os.path.join(str(bed.webdir), "images"),
            os.path.join(str(bed.tftproot), "winpe"), os.path.join(str(bed.webdir), "winpe"), str(out),
            os.path.join(CACHE_DIR, "smb")]


def contents(snapshot):
    return {path: digest for path, (digest, _readable) in snapshot.items()}


def check_between(now, old, new):
    """Every file holds OLD's or NEW's content in full; a file both states have is never missing; temp files
    (left by the kill) are not readable by the servers' unprivileged users."""
    problems = []
    for path, (digest, readable) in now.items():
        if is_temp(path):
            if readable and digest not in set(old.values()) | set(new.values()):
                problems.append("readable partial temp file %s" % path)
            continue
        if digest not in (old.get(path), new.get(path)):
            problems.append("%s holds neither the old nor the new content" % path)
    for path in set(old) & set(new):
        if path not in now:
            problems.append("%s is missing" % path)
    return problems


@pytest.fixture(scope="module")
def staged_bed(winpe_bed, sample_media, tmp_path_factory):
    """The bed with two Windows imports and configurations OLD and NEW; yields (bed, roots, configs)."""
    winpe_bed.reset()
    for path, name in ((sample_media["win10-x64"].iso, "w10"), (sample_media["dual-arch"].tree, "dual")):
        rc, out, err = winpe_bed.cli("import", "--path", path, "--name", name)
        assert rc == 0 and "TASK COMPLETE" in out, (out, err)
    rc, out, err = winpe_bed.cli("sync")
    assert rc == 0, (out, err)
    work = tmp_path_factory.mktemp("crash")
    out = work / "service"
    configs = {"old": write_config(work / "old.yaml", out, tftp_blocksize=1456, smb_share="winpe"),
               "new": write_config(work / "new.yaml", out, tftp_blocksize=8192, bcd_timeout=3, smb_share="winpeb")}
    yield winpe_bed, staged_roots(winpe_bed, out), configs


def complete_states(bed, roots, configs):
    """{name: state} of each configuration's complete staging, and the time one staging takes."""
    worker = Worker(bed)
    try:
        states, took = {}, []
        for name in ("old", "new", "old", "new"):
            took.append(worker.stage(configs[name]))
            states[name] = state(roots)
    finally:
        worker.close()
    for name, snap in states.items():
        assert not [p for p in snap if is_temp(p)], name
    assert contents(states["old"]) != contents(states["new"])
    return states, max(took)


def test_sigkill_at_random_points_then_heal(staged_bed):
    bed, roots, configs = staged_bed
    states, took = complete_states(bed, roots, configs)
    old, new = contents(states["old"]), contents(states["new"])
    rng = random.Random(8)
    current = "new"
    for round_number in range(CRASH_ROUNDS):
        target = "old" if current == "new" else "new"
        worker = Worker(bed)
        delay = rng.uniform(0, took * 1.1)
        worker.start(configs[target])
        time.sleep(delay)
        worker.kill()
        problems = check_between(state(roots), old, new)
        assert not problems, "round %d, killed after %.3f s: %s" % (round_number, delay, problems[:5])
        healer = Worker(bed)
        try:
            healer.stage(configs[target])
        finally:
            healer.close()
        assert contents(state(roots)) == contents(states[target]), "round %d did not heal" % round_number
        current = target


def test_two_stagings_at_once(staged_bed):
    bed, roots, configs = staged_bed
    states, _took = complete_states(bed, roots, configs)
    wanted = {name: contents(snap) for name, snap in states.items()}
    workers = [Worker(bed), Worker(bed)]
    try:
        for round_number in range(CONCURRENT_ROUNDS):
            began = time.monotonic()
            order = ("old", "new") if round_number % 2 else ("new", "old")
            for worker, name in zip(workers, order):
                worker.start(configs[name])
            for worker in workers:
                worker.wait()
            now = contents(state(roots))
            assert now in (wanted["old"], wanted["new"]), "round %d: a mix of both states or a lost file: %s" % (
                round_number, sorted(set(now.items()) ^ set(wanted["old"].items()))[:5])
            assert time.monotonic() - began < ROUND_TIMEOUT
    finally:
        for worker in workers:
            worker.close()
