"""The README's Samba step, done exactly as it says on a typical smb.conf, is accepted by testparm and keeps every
global setting (the include holds share sections: put where the README once said, it swallowed what followed)."""
import os
import re
import shutil
import subprocess

import pytest

from cobbler_winpe import config as winpe_config
from cobbler_winpe.gen import samba
from cobbler_winpe.gen.model import Server, WinDistro

pytestmark = pytest.mark.integration
README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "README.md")
TYPICAL = """[global]
   workgroup = CWPEGROUP
   server string = %h server
   max log size = 1234
   map to guest = bad user

[homes]
   comment = Home Directories
   browseable = no
"""


def readme_instruction():
    """(include line, where) from the README: the smb.conf include and the place it names for it."""
    with open(README, encoding="utf-8") as handle:
        text = " ".join(handle.read().split())
    found = re.search(r"add `(include = \S+)` (as the last line of smb\.conf|to smb\.conf's `\[global\]`)", text)
    assert found, "README no longer says where the Samba include goes"
    return found.group(1), ("end" if "last line" in found.group(2) else "global")


def follow(where, include_line):
    """TYPICAL smb.conf with INCLUDE_LINE put where WHERE says."""
    if where == "end":
        return TYPICAL + include_line + "\n"
    head, rest = TYPICAL.split("\n", 1)
    return head + "\n   " + include_line + "\n" + rest


def run_testparm(tmp_path, where):
    include = tmp_path / "cobbler-winpe.conf"
    distro = WinDistro("win10-x64", "x86_64", "10", str(tmp_path / "mirror"))
    config = winpe_config.validate({"smb_share": "winpe", "smb_user": "cobbler-winpe", "smb_data_dir": str(tmp_path / "data")})
    include.write_text(samba.render_smb_include([distro], Server("127.0.0.1"), config))
    line, _ = readme_instruction()
    conf = tmp_path / "smb.conf"
    conf.write_text(follow(where, re.sub(r"=\s*\S+", "= %s" % include, line)))
    return subprocess.run(["testparm", "-s", str(conf)], capture_output=True, text=True, timeout=60)


def test_readme_samba_step_keeps_global_settings(tmp_path):
    if not shutil.which("testparm"):
        pytest.fail("testparm (samba-common-bin) is not installed: ./scripts/setup.sh installs it")
    _line, where = readme_instruction()
    done = run_testparm(tmp_path, where)
    assert done.returncode == 0, done.stderr
    assert "found in service section" not in done.stderr, done.stderr
    glob = done.stdout.split("[global]", 1)[1].split("\n[", 1)[0]
    assert "workgroup = CWPEGROUP" in glob and "max log size = 1234" in glob, done.stdout
    assert "[winpe-win10-x64]" in done.stdout and "[winpe]" in done.stdout and "[homes]" in done.stdout


def test_the_old_instruction_is_what_testparm_refuses(tmp_path):
    """The control: the include inside [global] (the README's old words) swallows the settings after it."""
    if not shutil.which("testparm"):
        pytest.fail("testparm (samba-common-bin) is not installed: ./scripts/setup.sh installs it")
    done = run_testparm(tmp_path, "global")
    glob = done.stdout.split("[global]", 1)[1].split("\n[", 1)[0]
    assert "found in service section" in done.stderr or "workgroup = CWPEGROUP" not in glob, done.stdout
