"""No PXE loop: the URLs a Windows system's files call really turn netboot off in cobblerd and report completion."""
import os
import pathlib
import re
import stat
import subprocess
import urllib.request

import pytest

from testbed import run_ok

pytestmark = pytest.mark.integration

MAC = "52:54:00:aa:bb:01"
DATA = pathlib.Path("/var/lib/cobbler/winpe/smb")


def batch_value(text, name):
    """The value a generated batch file gives NAME (set "NAME=value", %% undoubled)."""
    found = re.search(r'^set "%s=(.*)"\r?$' % name, text, re.M)
    assert found, (name, text)
    return found.group(1).replace("%%", "%")


def get(url):
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.status


@pytest.fixture
def system(clean_winpe_bed, sample_media):
    bed = clean_winpe_bed
    out = run_ok(bed, "import", "--path", sample_media["win10-x64"].iso, "--name", "nopxe")
    assert "TASK COMPLETE" in out, out
    run_ok(bed, "system", "add", "--name", "winbox", "--profile", "nopxe-x86_64-pro", "--mac", MAC,
           "--hostname", "winbox", "--netboot-enabled", "true")
    run_ok(bed, "sync")
    return bed


def pxe_file(bed):
    return (pathlib.Path(bed.tftproot) / "pxelinux.cfg" / ("01-" + MAC.replace(":", "-"))).read_text()


def test_system_boots_its_windows_profile_then_nopxe_turns_it_local(system):
    bed = system
    assert "pxechn.c32" in pxe_file(bed) and "\\bcd\\nopxe-x86_64-pro" in pxe_file(bed)
    bcd = pathlib.Path(bed.tftproot) / "images" / "nopxe-x86_64" / "bcd"
    assert os.path.samefile(bcd / "sys" / "winbox", bcd / "nopxe-x86_64-pro")   # what the DHCP block names
    assert "cobbler-winpe-bcd" in pathlib.Path("/etc/cobbler/dhcp.template").read_text()
    folder = DATA / "systems" / MAC.replace(":", "-").upper()
    cmd = (folder / "system.cmd").read_text()
    url = batch_value(cmd, "WINPE_NOPXE")
    assert url == "http://127.0.0.1:%d/cblr/svc/op/nopxe/system/winbox" % bed.http_port
    assert "<ComputerName>winbox</ComputerName>" in (folder / "unattend-bios.xml").read_text()
    for path in (DATA, folder, folder / "unattend-bios.xml", folder / "system.cmd"):
        assert stat.S_IMODE(os.stat(path).st_mode) == (0o750 if path.is_dir() else 0o640), path
    nobody = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat",
                             str(folder / "unattend-bios.xml")], capture_output=True, text=True, timeout=30)
    assert nobody.returncode != 0 and "Permission denied" in nobody.stderr   # another local uid reads nothing
    assert get(url) == 200
    assert not folder.exists()   # install started: its answer files and system.cmd left the share at once
    assert (DATA / "profiles" / "nopxe-x86_64-pro" / "unattend-bios.xml").is_file()
    assert "False" in run_ok(bed, "system", "report", "--name", "winbox").split("Netboot Enabled")[1].splitlines()[0]
    assert "pxechn.c32" not in pxe_file(bed) and "localboot" in pxe_file(bed).lower()
    status, script = bed.http_get("/cblr/svc/op/ipxe/system/winbox")
    assert status == 200 and b"sanboot" in script and b"ipxe/" not in script   # iPXE clients boot local too


def test_setupcomplete_reports_to_the_install_post_trigger(system):
    bed = system
    folder = DATA / "systems" / MAC.replace(":", "-").upper()
    url = batch_value((folder / "SetupComplete.cmd").read_text(), "WINPE_URL")
    assert url == "http://127.0.0.1:%d/cblr/svc/op/trig/mode/post/system/winbox" % bed.http_port
    assert get(url) == 200
