"""A Wine bed for WinPE batch files: throwaway prefix, one wineserver, stand-in tools that ask a Python checker."""
import os
import platform
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL_SOURCE = os.path.join(HERE, "..", "..", "standins", "win", "checked_tool.c")
WINE = "/usr/lib/wine/wine64"
WINESERVER = "/usr/lib/wine/wineserver"
MINGW = "x86_64-w64-mingw32-gcc"
PORT_ENV = "CWPE_CHECK_PORT"
PLUMBING = "STANDIN-TOOL plumbing:"    # what a stand-in prints on stderr when it could not reach the checker
UNSTARTED = "Can't recognize '"        # what Wine's cmd prints on stderr when it could not start a program
# Every Wine process runs without address-space randomization.  Debian's wine64 has no preloader, so nothing holds
# 0x7ffe0000 (Windows' shared user data) before the kernel places its randomized brk heap: about 1 start in 8,300
# died with "wine: failed to map the shared user data: c0000018", and cmd reported the program as unrecognized
# (errorlevel 9009) -- a stand-in call lost (docs/reliability.md has the counts).
LAUNCH = ("setarch", platform.machine(), "--addr-no-randomize", WINE)
# WinPE's System32 holds every tool the scripts call; the stand-ins sit there too (X: is that folder's drive).
TOOLS = ("net", "wpeinit", "wpeutil", "reg", "ipconfig", "ping", "drvload", "curl", "getmac", "wmic", "bcdedit",
         "shutdown")


def missing_programs():
    """What the bed needs and the host lacks."""
    needed = [WINE, WINESERVER]
    missing = [path for path in needed if not os.path.exists(path)]
    return missing + [name for name in (LAUNCH[0], MINGW, "smbd", "smbclient") if not shutil.which(name)
                      and not os.path.exists("/usr/sbin/" + name)]


def require():
    """Fail (never skip) when the host lacks what the bed needs: scripts/setup.sh installs all of it."""
    missing = missing_programs()
    if missing:
        pytest.fail("the Wine bed needs %s: scripts/setup.sh installs them" % ", ".join(missing))


def build_tool(out_path):
    """Compile the one stand-in console program (tests/standins/win/checked_tool.c) to OUT_PATH."""
    done = subprocess.run([MINGW, "-O2", "-Wall", "-mconsole", "-o", out_path, TOOL_SOURCE, "-lws2_32"],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError("mingw build failed: %s" % done.stderr)
    return out_path


def windows_argv(line):
    """LINE split as the Microsoft C runtime (CommandLineToArgvW, 2008+) splits a command line."""
    args, cur, quoted, have, i = [], [], False, False, 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            end = i
            while end < len(line) and line[end] == "\\":
                end += 1
            count = end - i
            if end < len(line) and line[end] == '"':
                cur.append("\\" * (count // 2))
                if count % 2:
                    cur.append('"')
                    end += 1
            else:
                cur.append("\\" * count)
            i, have = end, True
        elif char == '"':
            if quoted and line[i + 1:i + 2] == '"':
                cur.append('"')
                i += 2
            else:
                quoted = not quoted
                i += 1
            have = True
        elif char in " \t" and not quoted:
            if have:
                args.append("".join(cur))
            cur, have, i = [], False, i + 1
        else:
            cur.append(char)
            have, i = True, i + 1
    if have:
        args.append("".join(cur))
    return args


class Call:
    """One run of a stand-in: its name (net, setup, ...), argv as the C runtime parses it, the raw line."""

    def __init__(self, exe, line, cwd, url):
        self.exe, self.line, self.cwd, self.url = exe, line, cwd, url
        self.name = exe.replace("/", "\\").rsplit("\\", 1)[-1].lower()
        if self.name.endswith(".exe"):
            self.name = self.name[:-4]
        self.argv = windows_argv(line)

    def __repr__(self):
        return "Call(%s %r)" % (self.name, self.argv[1:])


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data = b""
        self.request.settimeout(30)
        try:
            while True:
                chunk = self.request.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError as err:   # the stand-in never finished sending: the test must show it
            self.server.errors.append(("receiving a stand-in's call", err))
            return
        parts = [part.decode("utf-8", "replace") for part in data.split(b"\0")]
        call = Call(*(parts + ["", "", "", ""])[:4])
        try:
            code, text = self.server.answer(call)
        except Exception as err:   # a checker bug must show in the test, not hang cmd
            code, text = 96, "checker error: %r\r\n" % err
            self.server.errors.append((call, err))
        self.request.sendall(("%d\n" % code).encode() + text.encode("cp437", "replace"))


class Checker(socketserver.ThreadingTCPServer):
    """Loopback server the stand-ins call; ANSWER(call) -> (exit code, stdout text)."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.errors = []
        # one checker per run: a short poll keeps close() (shutdown waits for the loop) at a few milliseconds
        self.thread = threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.server_address[1]

    def close(self):
        self.shutdown()
        self.server_close()
        self.thread.join(10)


def run_checked(prefix, argv, answer, timeout=60, extra_env=None, cwd=None):
    """ARGV run in PREFIX with a fresh checker giving its stand-ins ANSWER(call).  Fails the test when the bed
    failed: a stand-in could not reach the checker, the checker could not take a call, cmd could not start one."""
    checker = Checker(answer)
    try:
        proc = prefix.run(argv, timeout, dict(extra_env or {}, **{PORT_ENV: str(checker.port)}), cwd)
    finally:
        checker.close()
    stderr = proc.stderr.decode("cp437")
    failed = [line for line in stderr.splitlines() if line.startswith((PLUMBING, UNSTARTED))]
    assert not checker.errors and not failed, {"checker": checker.errors, "stderr": stderr}
    return proc


class WinePrefix:
    """A throwaway WINEPREFIX with its own persistent wineserver (started and stopped by PID)."""

    def __init__(self, root):
        self.root = root
        self.path = os.path.join(root, "prefix")
        self.server = None

    def env(self, extra=None):
        env = {key: value for key, value in os.environ.items() if not key.startswith(("WINE", "DISPLAY"))}
        env.update(WINEPREFIX=self.path, WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=", LC_ALL="C.UTF-8")
        env.update(extra or {})
        return env

    def start(self):
        os.makedirs(self.path)
        # Wine repairs a missing /tmp/.wine-<uid> socket folder, then asks to be run again: one more try.
        for attempt in range(2):
            # -f: stay in the foreground, so the PID we hold is the server's; -p: persist between cmd runs
            self.server = subprocess.Popen([WINESERVER, "-f", "-p"], env=self.env(), stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL, start_new_session=True)
            done = self.run(["wineboot", "-i"], timeout=120)
            if os.path.isdir(os.path.join(self.path, "drive_c", "windows", "system32")):
                break
            self.stop()
        else:
            raise RuntimeError("wineboot made no prefix: %s" % done.stderr)

    def run(self, argv, timeout=60, extra_env=None, cwd=None):
        """wine64 ARGV (through LAUNCH); the whole process group is killed when TIMEOUT passes."""
        # files, not pipes: wineboot leaves services.exe & co. holding its stdout, a pipe would never end
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(list(LAUNCH) + argv, env=self.env(extra_env), stdout=out, stderr=err,
                                    stdin=subprocess.DEVNULL, cwd=cwd or self.root, start_new_session=True)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(argv, proc.returncode, out.read(), err.read())

    def drive(self, letter):
        return os.path.join(self.path, "dosdevices", letter.lower().rstrip(":") + ":")

    def map_drive(self, letter, target):
        link = self.drive(letter)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(target, link)

    def unmap_drive(self, letter):
        link = self.drive(letter)
        if os.path.lexists(link):
            os.unlink(link)
            return True
        return False

    def unix_path(self, windows_path):
        """The host path of a drive-letter path (C:\\x\\y), or None."""
        if len(windows_path) < 3 or windows_path[1:3] != ":\\":
            return None
        rest = [part for part in windows_path[3:].split("\\") if part]
        return _case_path(os.path.realpath(self.drive(windows_path[0])), rest)

    def processes(self):
        """PIDs of the Wine processes of this prefix (services.exe, winedevice.exe, ...), from /proc."""
        mark = ("WINEPREFIX=%s" % self.path).encode()
        pids = []
        for name in os.listdir("/proc"):
            try:
                with open("/proc/%s/environ" % name, "rb") as handle:
                    if mark in handle.read().split(b"\0") and int(name) != os.getpid():
                        pids.append(int(name))
            except (OSError, ValueError):
                continue
        return pids

    def stop(self):
        """Stop this prefix's Wine processes and its wineserver, each by PID."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = [pid for pid in self.processes() if not self.server or pid != self.server.pid]
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(0.5 if pids else 0)
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()


def _case_path(base, parts):
    """BASE/PARTS matched case-insensitively as Windows would (None when a part is missing)."""
    path = base
    for part in parts:
        try:
            names = os.listdir(path)
        except OSError:
            return None
        match = [name for name in names if name.lower() == part.lower()]
        if not match:
            return None
        path = os.path.join(path, match[0])
    return path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port, proc, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("nothing listens on %d" % port)


def temp_root(prefix):
    root = tempfile.mkdtemp(prefix=prefix)
    os.chmod(root, 0o755)
    return root
