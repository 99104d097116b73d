"""Unit tests of gen.samba: the include text, name/path validation and the account command."""
import subprocess

import pytest

from cobbler_winpe import config
from cobbler_winpe.errors import InputError, ToolError
from cobbler_winpe.host import samba as host_samba
from cobbler_winpe.gen import samba
from cobbler_winpe.gen.model import Server, WinDistro

CONFIG = config.validate({"smb_share": "winpe", "smb_user": "cobbler-winpe", "smb_guest": False, "smb_data_dir": "/srv/winpe data"})


def _distro(name="win10-x64", mirror="/var/www/cobbler/distro_mirror/win10-x64"):
    return WinDistro(name, "x86_64", "10", mirror)


def _sections(text):
    return [line.strip()[1:-1] for line in text.splitlines() if line.startswith("[")]


def test_one_share_per_distro_plus_data():
    text = samba.render_smb_include([_distro("b"), _distro("a", "/m/a")], Server("10.0.0.1"), CONFIG)
    assert _sections(text) == ["winpe", "winpe-a", "winpe-b"]
    assert "    path = /srv/winpe data\n" in text and "    path = /m/a\n" in text
    assert text.count("read only = yes") == 3 and text.count("valid users = cobbler-winpe") == 3
    assert "guest ok = yes" not in text


def test_removed_distro_leaves_the_include():
    both = samba.render_smb_include([_distro("a", "/m/a"), _distro("b", "/m/b")], Server("x"), CONFIG)
    one = samba.render_smb_include([_distro("a", "/m/a")], Server("x"), CONFIG)
    assert "winpe-b" in _sections(both) and "winpe-b" not in _sections(one)


def test_guest_mode():
    text = samba.render_smb_include([_distro()], Server("x"), dict(CONFIG, smb_guest=True))
    assert "guest ok = yes" in text and "valid users" not in text


@pytest.mark.parametrize("name", ["win[10]", "a%b", "a\nb", "a:b", "a/b", "a;b", "a|b", "a<b", "a^b" * 40])
def test_bad_share_names_refused(name):
    with pytest.raises(InputError):
        samba.render_smb_include([_distro(name, "/m/x")], Server("x"), CONFIG)


@pytest.mark.parametrize("path", ["relative/x", "/m/../etc", "/m/%U", "/m/a\nb", "/m/[x]", '/m/"x"', "/m/x\\",
                                  " /m/x"])
def test_bad_paths_refused(path):
    with pytest.raises(InputError):
        samba.render_smb_include([_distro("a", path)], Server("x"), CONFIG)


def test_duplicate_share_names_refused():
    with pytest.raises(InputError):
        samba.render_smb_include([_distro("A", "/m/1"), _distro("a", "/m/2")], Server("x"), CONFIG)


def test_bad_user_refused():
    with pytest.raises(InputError):
        samba.render_smb_include([_distro()], Server("x"), dict(CONFIG, smb_user="a b"))


def test_account_password_only_on_stdin():
    calls = []

    def run(argv, **kwargs):
        calls.append((argv, kwargs))
        return subprocess.CompletedProcess(argv, 0, "", "")

    host_samba.create_smb_account("winpe", "pw&1", smb_conf="/tmp/s.conf", run=run)
    argv, kwargs = calls[0]
    assert argv == ["smbpasswd", "-s", "-a", "-c", "/tmp/s.conf", "winpe"]
    assert not any("pw&1" in arg for arg in argv) and kwargs["input"] == "pw&1\npw&1\n"


def test_account_error_hides_password():
    def run(argv, **kwargs):
        return subprocess.CompletedProcess(argv, 1, "", "Failed to add entry for user secretpw.\n")

    with pytest.raises(ToolError) as err:
        host_samba.create_smb_account("winpe", "secretpw", run=run)
    assert "secretpw" not in str(err.value)


def test_winpe_of_its_own_gets_no_share():
    winpe = WinDistro("lti-x86_64", "x86_64", "11", "/m/lti", kind="winpe")
    text = samba.render_smb_include([_distro("a", "/m/a"), winpe], Server("10.0.0.1"), CONFIG)
    assert _sections(text) == ["winpe", "winpe-a"]
