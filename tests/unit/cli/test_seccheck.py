"""SELinux and firewalld rows of `check`, against stand-in getsebool/firewall-cmd printing the real tools' formats."""
import os
import shutil

import pytest

from cobbler_winpe import config, seccheck, troubleshooting
from cobbler_winpe.cli import main as cli_main

GETSEBOOL = """#!/bin/sh
# stand-in getsebool: the output and exit codes of policycoreutils' getsebool.c
if [ "{state}" = disabled ]; then echo "getsebool:  SELinux is disabled" >&2; exit 1; fi
if [ "$1" = -a ]; then printf '%s\\n' {all}; exit 0; fi
for name in "$@"; do
  case "$name" in
{cases}
    *) echo "Error getting active value for $name" >&2; exit 255;;
  esac
done
"""

FIREWALL_CMD = """#!/bin/sh
# stand-in firewall-cmd: --state prints running / "not running" (exit 252), --list-services the zone's services
case "$1" in
  --state) if [ "{running}" = yes ]; then echo running; else echo "not running"; exit 252; fi;;
  --list-services) if [ "{running}" = yes ]; then echo "{services}"; else echo "FirewallD is not running" >&2; exit 252; fi;;
  *) echo "usage" >&2; exit 2;;
esac
"""


def install(folder, name, text):
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)


def tools(tmp_path, monkeypatch, booleans=None, selinux="enabled", firewalld=None):
    """Put stand-ins on PATH (ahead of nothing else that matters: the real tools are absent on this host)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    if booleans is not None:
        cases = "\n".join('    %s) echo "%s --> %s";;' % (n, n, v) for n, v in booleans.items())
        lines = " ".join("'%s --> %s'" % item for item in booleans.items())
        install(folder, "getsebool", GETSEBOOL.format(state=selinux, all=lines or "''", cases=cases))
    if firewalld is not None:
        running, services = firewalld
        install(folder, "firewall-cmd", FIREWALL_CMD.format(running=running, services=" ".join(services)))
    monkeypatch.setenv("PATH", "%s:%s" % (folder, os.environ["PATH"]))


def label(path, kind):
    try:
        os.setxattr(str(path), "security.selinux", ("system_u:object_r:%s:s0" % kind).encode() + b"\0")
    except OSError as err:
        pytest.skip("cannot set security.selinux here: %s" % err)


def cfg_with(tmp_path, shares=()):
    include = tmp_path / "winpe.conf"
    include.write_text("".join("[s%d]\n   path = %s\n   read only = yes\n" % (i, p) for i, p in enumerate(shares)))
    return config.validate({"smb_include": str(include)})


def rows(cfg, tftproot):
    return {row.name: row for row in seccheck.security_rows(cfg, str(tftproot))}


def test_this_host_has_neither_tool_and_gets_one_skipped_line(tmp_path):
    if shutil.which("getsebool") or shutil.which("firewall-cmd"):
        pytest.skip("this host has SELinux or firewalld tools")
    found = seccheck.security_rows(cfg_with(tmp_path), str(tmp_path))
    assert [(r.name, r.ok, r.detail) for r in found] == [
        ("selinux/firewalld", True, "skipped: no SELinux/firewalld on this host")]


def test_booleans_off_fail_with_the_setsebool_fix(tmp_path, monkeypatch):
    tools(tmp_path, monkeypatch, {"samba_export_all_ro": "off", "cobbler_can_network_connect": "off",
                                  "httpd_can_network_connect_cobbler": "on"})
    share = tmp_path / "share"
    share.mkdir()
    found = rows(cfg_with(tmp_path, [share]), tmp_path)
    samba = found["selinux samba share"]
    assert not samba.ok and samba.fix.startswith("setsebool -P samba_export_all_ro on")
    assert 'semanage fcontext -a -t samba_share_t "%s(/.*)?"' % share in samba.fix
    assert not found["selinux cobbler_can_network_connect"].ok
    assert found["selinux cobbler_can_network_connect"].fix == "setsebool -P cobbler_can_network_connect on"
    assert found["selinux httpd_can_network_connect_cobbler"].ok
    assert not found["selinux tftp root"].ok and "tftpdir_rw_t" in found["selinux tftp root"].fix
    assert "selinux/firewalld" not in found and "firewalld" not in " ".join(found)


def test_booleans_on_and_labels_pass(tmp_path, monkeypatch):
    tools(tmp_path, monkeypatch, {"samba_export_all_ro": "on", "cobbler_can_network_connect": "on",
                                  "httpd_can_network_connect_cobbler": "on"})
    label(tmp_path, "tftpdir_rw_t")
    found = rows(cfg_with(tmp_path), tmp_path)
    assert all(row.ok for row in found.values()), found


def test_share_labels_stand_in_for_the_boolean(tmp_path, monkeypatch):
    tools(tmp_path, monkeypatch, {"samba_export_all_ro": "off"})
    shares = [tmp_path / "data", tmp_path / "mirror"]
    for share in shares:
        share.mkdir()
    label(shares[0], "samba_share_t")
    assert not rows(cfg_with(tmp_path, shares), tmp_path)["selinux samba share"].ok
    label(shares[1], "public_content_t")
    assert rows(cfg_with(tmp_path, shares), tmp_path)["selinux samba share"].ok


def test_booleans_unknown_to_the_policy_are_optional(tmp_path, monkeypatch):
    tools(tmp_path, monkeypatch, {"samba_export_all_ro": "on"})
    row = rows(cfg_with(tmp_path), tmp_path)["selinux cobbler_can_network_connect"]
    assert not row.ok and not row.needed and "unknown" in row.detail


def test_selinux_disabled_is_one_ok_row(tmp_path, monkeypatch):
    tools(tmp_path, monkeypatch, {}, selinux="disabled")
    found = rows(cfg_with(tmp_path), tmp_path)
    assert list(found) == ["selinux"] and found["selinux"].ok and "disabled" in found["selinux"].detail


def test_firewalld_services(tmp_path, monkeypatch):
    tools(tmp_path, monkeypatch, firewalld=("yes", ["ssh", "dhcpv6-client", "tftp", "samba"]))
    found = rows(cfg_with(tmp_path), tmp_path)
    assert found["firewalld tftp"].ok and found["firewalld samba"].ok
    http = found["firewalld http"]
    assert not http.ok and http.needed
    assert http.fix == "firewall-cmd --permanent --add-service=http && firewall-cmd --reload"
    assert not found["firewalld proxy-dhcp"].ok and not found["firewalld proxy-dhcp"].needed
    assert not any(name.startswith("selinux") for name in found)


def test_firewalld_not_running_is_one_ok_row(tmp_path, monkeypatch):
    tools(tmp_path, monkeypatch, firewalld=("no", []))
    found = rows(cfg_with(tmp_path), tmp_path)
    assert list(found) == ["firewalld"] and found["firewalld"].ok and "not running" in found["firewalld"].detail


def test_check_command_prints_the_fix_and_the_row(tmp_path, monkeypatch, capsys):
    tools(tmp_path, monkeypatch, {"samba_export_all_ro": "on", "cobbler_can_network_connect": "on",
                                  "httpd_can_network_connect_cobbler": "on"}, firewalld=("yes", ["ssh"]))
    path = tmp_path / "winpe.yaml"
    path.write_text("smb_include: %s\n" % (tmp_path / "winpe.conf"))
    assert cli_main.main(["check", "--config", str(path), "--tftproot", str(tmp_path),
                          "--module-dir", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("MISSING  firewalld samba"))
    assert lines[at + 1].split() == ["fix:", "firewall-cmd", "--permanent", "--add-service=samba", "&&",
                                     "firewall-cmd", "--reload", "(see",
                                     "docs/troubleshooting.md#%s)" % troubleshooting.check_row("firewalld samba")]
