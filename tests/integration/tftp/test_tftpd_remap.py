"""The real tftpd-hpa with the generated remap file: Windows-style names resolve, '..' traversal is refused."""
import io
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager

import pytest
import tftpy

from cobbler_winpe.gen.model import WinDistro
from cobbler_winpe.gen.remap import render_tftpd_remap
from tftpd import TFTPD, free_udp_port

pytestmark = pytest.mark.integration

FILES = {"Boot/BCD": b"bcd-store", "Boot/Fonts/wgl4_boot.ttf": b"font",
         "images/win10-x64/boot.sdi": b"sdi", "images/win10-x64/pxeboot.n12": b"nbp",
         "images/win10-x64/bootmgr.exe": b"bootmgr", "images/win10-x64/en-US/bootmgr.exe.mui": b"mui",
         "images/Win11.Pro/boot.wim": b"wim", "etc/passwd": b"inside-root-only"}


DISTROS = [WinDistro("win10-x64", "x86_64", "10", "/m"), WinDistro("Win11.Pro", "x86_64", "11", "/m")]


def served_tree(prefix, render):
    """A temp folder holding tree/ (FILES) and the rules file RENDER(DISTROS) writes; returns (folder, rules)."""
    root = tempfile.mkdtemp(prefix=prefix)
    for rel, data in FILES.items():
        path = os.path.join(root, "tree", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    rules = os.path.join(root, "rules")
    with open(rules, "w") as handle:
        handle.write(render(DISTROS))
    subprocess.run(["chmod", "-R", "a+rX", root], check=True)
    return root, rules


@contextmanager
def running_server(prefix, render, argv):
    """A TFTP server on 127.0.0.1 serving served_tree(); ARGV(port, tree, rules) is its command; yields the port."""
    root, rules = served_tree(prefix, render)
    port = free_udp_port()
    proc = subprocess.Popen(argv(port, os.path.join(root, "tree"), rules), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    assert proc.poll() is None, "%s exited at start" % os.path.basename(proc.args[0])
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def tftpd():
    if not os.path.exists(TFTPD):
        pytest.skip("needs tftpd-hpa (%s)" % TFTPD)
    with running_server("cwpe-tftp-", render_tftpd_remap,
                        lambda port, tree, rules: [TFTPD, "-L", "-a", "127.0.0.1:%d" % port, "-s", tree,
                                                   "-m", rules, "-u", "nobody"]) as port:
        yield port


def _get(port, name):
    buf = io.BytesIO()
    tftpy.TftpClient("127.0.0.1", port).download(name, buf, timeout=3, retries=1)
    return buf.getvalue()


@pytest.mark.parametrize("name, expected", [
    ("\\Boot\\BCD", "Boot/BCD"),
    ("boot\\bcd", "Boot/BCD"),
    ("/BOOT/BCD", "Boot/BCD"),
    ("C:\\Boot\\Fonts\\WGL4_BOOT.TTF", "Boot/Fonts/wgl4_boot.ttf"),
    ("\\images\\win10-x64\\BOOT.SDI", "images/win10-x64/boot.sdi"),
    ("\\\\images\\\\WIN10-X64\\pxeboot.N12", "images/win10-x64/pxeboot.n12"),
    ("/images/win10-x64\\bootmgr.exe", "images/win10-x64/bootmgr.exe"),
    ("\\images\\win10-x64\\EN-us\\bootmgr.exe.mui", "images/win10-x64/en-US/bootmgr.exe.mui"),
    ("\\IMAGES\\win11.pro\\Boot.WIM", "images/Win11.Pro/boot.wim"),
])
def test_windows_names_resolve(tftpd, name, expected):
    assert _get(tftpd, name) == FILES[expected]


@pytest.mark.parametrize("name", ["\\images\\..\\..\\etc\\passwd", "\\images\\..\\etc\\passwd",
                                  "/Boot/../etc/passwd", "..\\etc\\passwd", "C:\\..\\etc\\passwd"])
def test_traversal_refused(tftpd, name):
    with pytest.raises(tftpy.TftpException) as err:
        _get(tftpd, name)
    assert "Access violation" in str(err.value) or "violation" in repr(err.value.args)


def test_curl_fetches_backslash_name(tftpd):
    if not shutil.which("curl"):
        pytest.skip("needs curl")
    done = subprocess.run(["curl", "-sS", "--max-time", "10", "tftp://127.0.0.1:%d/images\\win10-x64\\BOOT.SDI" % tftpd],
                          capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == FILES["images/win10-x64/boot.sdi"]
