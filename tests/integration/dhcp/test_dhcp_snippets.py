"""ISC dhcpd (-t) and dnsmasq (--test) accept the generated snippets inside a minimal configuration."""
import os
import shutil
import subprocess

import pytest

from cobbler_winpe.gen import dhcp
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile, WinSystem

pytestmark = pytest.mark.integration


def _hosts():
    distros = [WinDistro("win10-x64", "x86_64", "10", "/m"), WinDistro("win11.arm", "arm64", "11", "/m")]
    evil = 'q"; } #x, \\'      # escaped, not interpreted: the real parsers must still accept the file
    profiles = [WinProfile("win10-pro", "win10-x64"), WinProfile("w11:arm_pro", "win11.arm"),
                WinProfile(evil, "win10-x64")]
    systems = [WinSystem("pc1", "win10-pro", macs=("52:54:00:12:34:56", "52-54-00-AA-BB-CC")),
               WinSystem("arm.box", "w11:arm_pro", macs=("52:54:00:00:00:01",)),
               WinSystem("evil", evil, macs=("52:54:00:00:00:02",)),
               WinSystem("twin", "win10-pro", macs=("52:54:00:12:34:56",))]   # allow_duplicate_macs: pc1's MAC
    return dhcp.windows_hosts(systems, profiles, distros)


def _run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_dhcpd_accepts_snippet(tmp_path):
    if not os.path.exists("/usr/sbin/dhcpd"):
        pytest.skip("needs isc-dhcp-server")
    snippet = tmp_path / "winpe.conf"
    snippet.write_text(dhcp.render_isc_dhcpd(_hosts(), Server("10.0.0.1")))
    conf = tmp_path / "dhcpd.conf"
    conf.write_text("option system-arch code 93 = unsigned integer 16;\n"   # as Cobbler's dhcp.template has
                    'include "%s";\n'
                    "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.100 10.0.0.200; }\n" % snippet)
    done = _run(["/usr/sbin/dhcpd", "-t", "-4", "-cf", str(conf)])
    assert done.returncode == 0, done.stderr
    conf.write_text(conf.read_text() + "host broken { hardware ethernet 52:54:00:00:00:09; filename \"x;\n")
    assert _run(["/usr/sbin/dhcpd", "-t", "-4", "-cf", str(conf)]).returncode != 0   # the check can fail


@pytest.mark.parametrize("menu", ["uefi_menu", "ipxe_menu"])
def test_dnsmasq_accepts_snippet(tmp_path, menu):
    if not shutil.which("dnsmasq") and not os.path.exists("/usr/sbin/dnsmasq"):
        pytest.skip("needs dnsmasq")
    snippet = tmp_path / "winpe.dnsmasq"
    snippet.write_text(dhcp.render_dnsmasq(_hosts(), Server("10.0.0.1"), **{menu: True}))
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text("port=0\ndhcp-range=10.0.0.100,10.0.0.200\nconf-file=%s\n" % snippet)
    done = _run(["/usr/sbin/dnsmasq", "--test", "--conf-file=%s" % conf])
    assert done.returncode == 0, done.stderr
    assert "syntax check OK" in done.stdout + done.stderr
    snippet.write_text(snippet.read_text() + "dhcp-boot=tag:,,,\ndhcp-option=252,\"\n")
    assert _run(["/usr/sbin/dnsmasq", "--test", "--conf-file=%s" % conf]).returncode != 0


@pytest.mark.parametrize("ipxe_menu", [False, True])
def test_dnsmasq_accepts_proxy_file(tmp_path, ipxe_menu):
    if not shutil.which("dnsmasq") and not os.path.exists("/usr/sbin/dnsmasq"):
        pytest.skip("needs dnsmasq")
    conf = tmp_path / "proxy.conf"
    conf.write_text(dhcp.render_dnsmasq_proxy(_hosts(), Server("10.0.0.1"), "10.0.0.0", ipxe_menu))
    done = _run(["/usr/sbin/dnsmasq", "--test", "--conf-file=%s" % conf])
    assert done.returncode == 0 and "syntax check OK" in done.stdout + done.stderr, done.stderr
    conf.write_text(conf.read_text() + 'pxe-service=tag:x,NoSuchCSA,"y",z\n')
    assert _run(["/usr/sbin/dnsmasq", "--test", "--conf-file=%s" % conf]).returncode != 0
