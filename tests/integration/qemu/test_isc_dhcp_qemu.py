"""OVMF's own PXE (no option ROM) on a tap of the namespace network, served by real ISC dhcpd with the plugin's
ISC statements: the Windows loader gets option 252 although the firmware never asks for it."""
import os
import shutil

import pytest

import harness
import netlab
from cobbler_winpe.gen import dhcp, layout
from cobbler_winpe.gen.model import Server
from test_proxy_dhcp_qemu import DISTRO, PROFILE, SYSTEM, WIN_MAC, tftp_tree

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, taps)")
    missing = [name for name in ("dhcpd", "in.tftpd", harness.QEMU) if not shutil.which(name)]
    if missing + harness.missing_programs("uefi"):
        pytest.fail("missing: %s (./scripts/setup.sh installs them)" % (missing + harness.missing_programs("uefi")))
    work = tmp_path_factory.mktemp("isc-qemu")
    root = work / "tftp"
    tftp_tree(str(root), str(work / "build"))
    hosts = dhcp.windows_hosts([SYSTEM], [PROFILE], [DISTRO])
    (work / "winpe.conf").write_text(dhcp.render_isc_dhcpd(hosts, Server(netlab.SERVER_IP)))
    (work / "dhcpd.conf").write_text('option system-arch code 93 = unsigned integer 16;\ninclude "%s";\n'
                                     "subnet 192.168.1.0 netmask 255.255.255.0 { range 192.168.1.100 "
                                     "192.168.1.200; }\n" % (work / "winpe.conf"))
    with netlab.network(taps=1) as net, netlab.dhcpd(work / "dhcpd.conf", work, dev=net.dev), \
            netlab.tftpd(root, work):
        yield net


def test_uefi_firmware_pxe_gets_bootmgfw_and_252(lab):
    result = harness.boot("uefi", netdev=harness.tap_netdev(lab.taps[0]), netns=netlab.SERVER_NS, mac=WIN_MAC,
                          timeout=120)
    print("MEASURED isc qemu uefi %s: exit %s in %.1f s\n%s" % (SYSTEM.name, result.exit_code, result.seconds,
                                                               "\n".join(result.lines("STANDIN"))))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    expected = "pkt=dhcpack received=1 siaddr=%s file=%s opt252=%s" % (netlab.SERVER_IP, layout.system_nbp_file(DISTRO.name, SYSTEM.name),
                                                            dhcp.bcd_path(DISTRO, SYSTEM, "uefi"))
    assert result.lines("STANDIN-EFI %s %s" % (DISTRO.name, expected)), result.text[-3000:]
