"""The real atftpd with the generated --pcre file: Windows-style names resolve, '..' traversal is refused."""
import os

import pytest
import tftpy

from cobbler_winpe.gen.remap import render_atftpd_pcre
from test_tftpd_remap import FILES, _get, running_server

pytestmark = pytest.mark.integration
# unpacked by scripts/setup.sh (Debian's atftpd package Conflicts with tftpd-hpa)
ATFTPD = os.path.join(os.path.dirname(__file__), "..", "..", "..", ".bench-tools", "atftpd", "usr", "sbin", "atftpd")


@pytest.fixture
def atftpd():
    if not os.access(ATFTPD, os.X_OK):
        pytest.skip("needs atftpd (%s: scripts/setup.sh as root unpacks it)" % ATFTPD)
    with running_server("cwpe-atftp-", render_atftpd_pcre,
                        lambda port, tree, rules: [ATFTPD, "--daemon", "--no-fork", "--bind-address", "127.0.0.1",
                                                   "--port", str(port), "--user", "nobody", "--group", "nogroup",
                                                   "--logfile", "/dev/null", "--pcre", rules, tree]) as port:
        yield port


@pytest.mark.parametrize("name, expected", [
    ("\\Boot\\BCD", "Boot/BCD"),
    ("boot\\bcd", "Boot/BCD"),
    ("/BOOT/BCD", "Boot/BCD"),
    ("C:\\Boot\\Fonts\\wgl4_boot.ttf", "Boot/Fonts/wgl4_boot.ttf"),
    ("\\images\\win10-x64\\boot.sdi", "images/win10-x64/boot.sdi"),
    ("\\\\images\\\\WIN10-X64\\pxeboot.n12", "images/win10-x64/pxeboot.n12"),
    ("/images/win10-x64\\bootmgr.exe", "images/win10-x64/bootmgr.exe"),
    ("\\images\\win10-x64\\EN-us\\bootmgr.exe.mui", "images/win10-x64/en-US/bootmgr.exe.mui"),
    ("\\IMAGES\\win11.pro\\boot.wim", "images/Win11.Pro/boot.wim"),
])
def test_windows_names_resolve(atftpd, name, expected):
    assert _get(atftpd, name) == FILES[expected]


def test_no_lower_casing_a_file_name(atftpd):
    """atftpd has no \\L: a boot file asked in another case than staged is not found (the BCDs name it as staged)."""
    with pytest.raises(tftpy.TftpException):
        _get(atftpd, "\\images\\win10-x64\\BOOT.SDI")


@pytest.mark.parametrize("name", ["\\images\\..\\..\\etc\\passwd", "\\images\\..\\etc\\passwd",
                                  "/Boot/../etc/passwd", "..\\etc\\passwd", "C:\\..\\etc\\passwd", "../etc/passwd"])
def test_traversal_refused(atftpd, name):
    with pytest.raises(tftpy.TftpException):
        _get(atftpd, name)
