"""QEMU (TCG) as a PXE client (BIOS pxelinux, OVMF UEFI, NIC iPXE ROM) with serial console, TFTP root, loopback HTTP."""
import functools
import http.server
import importlib.util
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from cobbler_winpe.gen import layout

QEMU = "qemu-system-x86_64"
PXELINUX_DIR = "/usr/lib/PXELINUX"
SYSLINUX_BIOS_DIR = "/usr/lib/syslinux/modules/bios"
PXELINUX_MODULES = ("ldlinux.c32", "libcom32.c32", "libutil.c32", "menu.c32", "pxechn.c32")
GRUB_NET_EFI = "/usr/lib/grub/x86_64-efi/monolithic/grubnetx64.efi"
IPXE_DIR = "/usr/lib/ipxe"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
GUEST_HTTP_ADDR = "10.0.2.100"        # guestfwd address the guest uses for the host's HTTP server
SLIRP_SERVER = "10.0.2.2"             # slirp's own TFTP/DHCP server address
EXIT_CODE_STANDIN = 33                # isa-debug-exit: (0x10 << 1) | 1
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")
STANDINS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "standins")


def load_standins_builder():
    """The tests/standins/build.py module (loaded by path: tests/ is not a package)."""
    path = os.path.normpath(os.path.join(STANDINS_DIR, "build.py"))
    spec = importlib.util.spec_from_file_location("standins_build", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def missing_programs(firmware="bios"):
    """What this host lacks to boot a client of this firmware ('bios', 'uefi', 'ipxe')."""
    needed = [QEMU]
    files = {"bios": [os.path.join(PXELINUX_DIR, "pxelinux.0")],
             "uefi": [OVMF_CODE, OVMF_VARS, GRUB_NET_EFI, os.path.join(IPXE_DIR, "snponly.efi")],
             "ipxe": []}[firmware]
    if firmware in ("ipxe", "uefi"):
        needed.append("socat")
    return [p for p in needed if not shutil.which(p)] + [f for f in files if not os.path.exists(f)]


# ---- TFTP trees ------------------------------------------------------------------------------------

def _copy(src, root, rel):
    dest = os.path.join(root, rel)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copyfile(src, dest)
    os.chmod(dest, 0o644)
    return dest


def put_file(root, rel, data):
    """Write DATA (bytes or str) at ROOT/REL, creating folders; returns the path."""
    dest = os.path.join(root, rel)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "wb") as handle:
        handle.write(data.encode() if isinstance(data, str) else data)
    return dest


def add_pxelinux(root):
    """pxelinux.0 and the modules a menu with pxechn needs, at the TFTP root (as Cobbler stages them)."""
    _copy(os.path.join(PXELINUX_DIR, "pxelinux.0"), root, "pxelinux.0")
    for name in PXELINUX_MODULES:
        _copy(os.path.join(SYSLINUX_BIOS_DIR, name), root, name)


def add_grub(root, rel="grubnetx64.efi"):
    """Debian's monolithic network GRUB (it reads grub/grub.cfg from the TFTP root)."""
    _copy(GRUB_NET_EFI, root, rel)


def add_ipxe(root, name, rel=None):
    """One of Debian's iPXE binaries (snponly.efi, ipxe.efi, undionly.kpxe, ...) at REL (default: its name)."""
    return _copy(os.path.join(IPXE_DIR, name), root, rel or name)


def place_standins(builder, root, distro_names, firmware, workdir, systems=()):
    """Replace each distro's first Windows loader in a TFTP tree (ours or one cobblerd staged) with a stand-in
    that names itself after the distro; FIRMWARE 'bios' (pxeboot.n12) or 'uefi' (bootmgfw.efi, also the copy
    DHCP hands each of SYSTEMS: images/<distro>/sys/<system>/bootmgfw.efi)."""
    for name in distro_names:
        dests = [layout.nbp_file(name, firmware)]
        if firmware == "uefi":
            dests += [layout.system_nbp_file(name, system) for system in systems]
        for dest in (os.path.join(root, rel) for rel in dests):
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if os.path.lexists(dest):
                os.unlink(dest)      # a hard link into the bed's cache: never write through it
            if firmware == "bios":
                builder.build_nbp(name, dest)
            else:
                builder.build_efi(name, dest, workdir)


def with_serial_console(pxelinux_cfg):
    """pxelinux config text with `SERIAL 0 115200` first, so the menu also appears on COM1."""
    return "SERIAL 0 115200\n" + pxelinux_cfg


# ---- HTTP server -----------------------------------------------------------------------------------

class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        self.server.requests.append((self.command, self.path, int(getattr(code, "value", code))))


class HttpServer:
    """A static file server on 127.0.0.1 (ephemeral port) that records (method, path, status) in order."""

    def __init__(self, root):
        self.root = root
        handler = functools.partial(_Handler, directory=root)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.requests = []
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def requests(self):
        return list(self.httpd.requests)

    def guest_url(self, path=""):
        """The URL a QEMU guest uses for PATH on this server (through guestfwd)."""
        return "http://%s:%d/%s" % (GUEST_HTTP_ADDR, self.port, path.lstrip("/"))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


# ---- QEMU ------------------------------------------------------------------------------------------

@dataclass
class Boot:
    """What one QEMU boot did: exit code (None if killed at the deadline), serial text, seconds taken."""
    exit_code: Optional[int]
    serial: str
    seconds: float
    argv: List[str] = field(default_factory=list)

    @property
    def text(self):
        """The serial output with ANSI escapes and carriage returns removed."""
        return ANSI.sub("", self.serial).replace("\r", "")

    def lines(self, prefix):
        """Serial lines starting with PREFIX (e.g. 'STANDIN-NBP win10a')."""
        return [line.strip() for line in self.text.split("\n") if line.strip().startswith(prefix)]


def netdev_arg(tftp_root=None, bootfile=None, http_port=None):
    """The -netdev user option: restricted slirp with TFTP root, DHCP boot file and guestfwd to 127.0.0.1."""
    parts = ["user", "id=n0", "restrict=on"]
    if tftp_root:
        parts.append("tftp=" + tftp_root)
    if bootfile:
        parts.append("bootfile=" + bootfile)
    if http_port:
        parts.append("guestfwd=tcp:%s:%d-cmd:socat STDIO TCP:127.0.0.1:%d" % (GUEST_HTTP_ADDR, http_port, http_port))
    for part in parts:
        if "," in part.split("=", 1)[-1]:
            raise ValueError("netdev value with a comma: %r" % part)
    return ",".join(parts)


def tap_netdev(tap):
    """The -netdev option for an existing tap (tests/integration/netlab.py network(taps=N))."""
    return "tap,id=n0,ifname=%s,script=no,downscript=no" % tap


def qemu_argv(firmware, workdir, netdev, serial_path, mac=None, ovmf=None):
    """The qemu-system-x86_64 command line for a PXE client of FIRMWARE: 'bios' (the e1000's iPXE ROM is the PXE
    stack) or 'uefi' (OVMF's own PXE on virtio-net without an option ROM); MAC for the NIC (QEMU's default
    52:54:00:12:34:56 without it); OVMF a (code, vars) pair other than Debian 12's (those also get a virtio-rng
    device: OVMF 2025.02 offers no network boot without an RNG)."""
    nic = ",mac=" + mac if mac else ""
    argv = [QEMU, "-m", "256", "-display", "none", "-no-reboot", "-monitor", "none", "-nodefaults",
            "-chardev", "socket,id=s0,path=%s,server=on,wait=on" % serial_path, "-serial", "chardev:s0",
            "-netdev", netdev, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if firmware == "bios":
        return argv + ["-machine", "pc,accel=tcg", "-device", "e1000,netdev=n0" + nic, "-boot", "n"]
    code, variables = ovmf or (OVMF_CODE, OVMF_VARS)
    vars_copy = os.path.join(workdir, "OVMF_VARS.fd")
    shutil.copyfile(variables, vars_copy)
    argv += ["-machine", "q35,accel=tcg",
             "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
             "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy]
    if ovmf:
        argv += ["-device", "virtio-rng-pci"]
    return argv + ["-device", "virtio-net-pci,netdev=n0,bootindex=1,romfile=" + nic]


def _connect(path, proc, deadline):
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            time.sleep(0.05)
    return None


def _converse(sock, proc, deadline, replies, stop_text):
    """Read the serial console until QEMU ends, STOP_TEXT appears or the deadline; send each reply's keys after
    its text.  Returns (serial text, whether STOP_TEXT was seen)."""
    received = b""
    pending = list(replies)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], 0.2)
        if ready:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        text = ANSI.sub("", received.decode("latin-1"))
        if pending and pending[0][0] in text:
            sock.sendall(pending.pop(0)[1].encode("latin-1"))
        if stop_text and stop_text in text:
            return received.decode("latin-1"), True
        if proc.poll() is not None and not ready:
            break
    return received.decode("latin-1"), False


def _stop(proc):
    """Kill the process group QEMU leads (QEMU and the socat children of guestfwd), then reap QEMU."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def boot(firmware, tftp_root=None, bootfile=None, http_port=None, timeout=40,
         replies: Sequence[Tuple[str, str]] = (), stop_text=None, netdev=None, netns=None, mac=None, ovmf=None):
    """Boot one QEMU PXE client and return a Boot; the process is always stopped by its PID.

    FIRMWARE: 'bios' (NIC iPXE ROM as the PXE stack, e1000) or 'uefi' (OVMF's own PXE, virtio-net without ROM).
    The DHCP boot file BOOTFILE may be an HTTP URL (iPXE fetches it through guestfwd to HTTP_PORT).
    REPLIES: (text, keys) pairs typed on the serial console once TEXT has appeared, in order.
    STOP_TEXT ends the run early once seen.
    NETDEV replaces the slirp network (e.g. tap_netdev(tap)); NETNS runs QEMU in that network namespace (`ip netns
    exec` execs QEMU, so the PID stays QEMU's); MAC is the NIC's address; OVMF see qemu_argv.
    """
    workdir = tempfile.mkdtemp(prefix="qemu-pxe-")
    serial_path = os.path.join(workdir, "serial.sock")
    argv = qemu_argv(firmware, workdir, netdev or netdev_arg(tftp_root, bootfile, http_port), serial_path, mac, ovmf)
    if netns:
        argv = ["ip", "netns", "exec", netns] + argv
    start = time.monotonic()
    deadline = start + timeout
    with open(os.path.join(workdir, "qemu.err"), "wb") as errfile:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errfile,
                                start_new_session=True)
    serial, stopped = "", False
    try:
        sock = _connect(serial_path, proc, deadline)
        if sock is not None:
            with sock:
                serial, stopped = _converse(sock, proc, deadline, replies, stop_text)
        if not stopped:
            try:
                proc.wait(timeout=max(0.1, min(5, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                pass
        code = proc.poll()
    finally:
        _stop(proc)
        with open(os.path.join(workdir, "qemu.err"), "rb") as handle:
            errors = handle.read().decode(errors="replace")
        shutil.rmtree(workdir, ignore_errors=True)
    if code not in (None, EXIT_CODE_STANDIN) and errors.strip():
        serial += "\n[qemu stderr] " + errors
    return Boot(exit_code=code, serial=serial, seconds=time.monotonic() - start, argv=argv)
