"""Install status end to end: the reporter WinPE gets, run by Wine's cscript, reports to a real cobblerd; Cobbler's
install triggers add the last stages; `cobbler-winpe status` shows them all.  And the template overrides a sync
stages come from the autoinstall_snippets_dir Cobbler's settings name."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import urllib.request
import xml.etree.ElementTree as ET

import pytest
import yaml

from cobbler_winpe.gen import status
from testbed import run_ok

import winebed
import winpe_tools

pytestmark = pytest.mark.integration
PROFILE = "rep-x86_64-pro"
DISTRO = "rep-x86_64"
SYSTEMS = {"winbox": "52:54:00:aa:cc:01", "failbox": "52:54:00:aa:cc:02"}
ANAMON = pathlib.Path("/var/log/cobbler/anamon")
DATA = pathlib.Path("/var/lib/cobbler/winpe/smb")
WINPE_STAGES = ("winpe-started", "network-up", "share-mapped", "setup-started", "winpe-done")


def batch_value(text, name):
    found = re.search(r'^set "%s=(.*)"\r?$' % name, text, re.M)
    assert found, (name, text)
    return found.group(1).replace("%%", "%")


@pytest.fixture(scope="module")
def reporting_bed(winpe_bed, sample_media):
    bed = winpe_bed
    bed.reset()
    bed.set_settings({"anamon_enabled": True})
    try:
        out = run_ok(bed, "import", "--path", sample_media["win10-x64"].iso, "--name", "rep")
        assert "TASK COMPLETE" in out, out
        for name, mac in SYSTEMS.items():
            run_ok(bed, "system", "add", "--name", name, "--profile", PROFILE, "--mac", mac, "--hostname", name,
                   "--netboot-enabled", "true")
            shutil.rmtree(ANAMON / name, ignore_errors=True)
        run_ok(bed, "sync")
        yield bed
    finally:
        bed.set_settings({"anamon_enabled": False})


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    winebed.require()
    root = str(tmp_path_factory.mktemp("status-wine"))
    prefix = winebed.WinePrefix(root)
    prefix.start()
    try:
        yield prefix
    finally:
        prefix.stop()


def staged(bed, name):
    """A WinPE start file as the sync staged it for wimboot (the same text goes into boot.wim)."""
    return (pathlib.Path(bed.webdir) / "images" / DISTRO / "inject" / PROFILE / name).read_bytes().decode()


def report(wine, script, system, *args, why=""):
    """Runs the reporter the way startnet.cmd's :report does; its exit code says whether Cobbler took it."""
    env = {"WINPE_API": script["api"], "WINPE_SYSTEM": system, "WINPE_WHY": why}
    done = wine.run(["cscript.exe", "//nologo", "//B", script["path"]] + list(args), extra_env=env, timeout=120)
    return done.returncode


def trigger_urls(bed, name):
    """The install-post URL of the system's SetupComplete.cmd and the first-logon URL of its answer file."""
    folder = DATA / "systems" / SYSTEMS[name].replace(":", "-").upper()
    post = batch_value((folder / "SetupComplete.cmd").read_text(), "WINPE_URL")
    ns = {"u": "urn:schemas-microsoft-com:unattend"}
    commands = ET.parse(str(folder / "unattend-uefi.xml")).getroot().findall(".//u:SynchronousCommand", ns)
    last = commands[-1].find("u:CommandLine", ns).text
    firstboot = re.fullmatch(r'cmd\.exe /c curl\.exe -fsS -m 30 -o NUL "(http://[^"]+)"', last).group(1)
    base = "http://127.0.0.1:%d/cblr/svc/op/trig/mode/" % bed.http_port
    assert (post, firstboot) == (base + "post/system/" + name, base + "firstboot/system/" + name)
    return post, firstboot


def cli_status(bed, *args):
    done = subprocess.run([str(bed.venv / "bin" / "cobbler-winpe"), "status", "--json"] + list(args),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def script(reporting_bed, wine):
    """The staged reporter copied into the Wine prefix, and the API URL the staged startnet.cmd gives it."""
    api = batch_value(staged(reporting_bed, "startnet.cmd"), "WINPE_API")
    assert api == "http://127.0.0.1:%d/cobbler_api" % reporting_bed.http_port
    host = os.path.join(wine.drive("C:"), status.REPORTER_VBS)
    with open(host, "w", newline="") as handle:
        handle.write(staged(reporting_bed, status.REPORTER_VBS))
    return {"api": api, "path": "C:\\" + status.REPORTER_VBS}


def test_every_stage_reaches_cobbler_and_status_shows_it(reporting_bed, wine, script):
    bed = reporting_bed
    # before startnet.cmd knows the system (no share yet) the reports wait; the first one with a name sends all
    assert report(wine, script, "", "winpe-started") == 0
    assert report(wine, script, "", "network-up") == 0
    assert not (ANAMON / "winbox").exists()
    for stage in WINPE_STAGES[2:]:
        assert report(wine, script, "winbox", stage) == 0, stage
    for url in trigger_urls(bed, "winbox"):      # what SetupComplete.cmd and the first logon call
        with urllib.request.urlopen(url, timeout=60) as reply:
            assert reply.status == 200
    every = cli_status(bed, "--system", "winbox")["reports"]
    assert [row["stage"] for row in every] == list(WINPE_STAGES) + ["installed", "first-boot"]
    assert all(row["file"].startswith(str(ANAMON / "winbox")) for row in every)
    latest = {row["system"]: row for row in cli_status(bed)["reports"]}
    assert latest["winbox"]["stage"] == "first-boot"


def test_a_failed_setup_sends_its_code_reason_and_log_tail(reporting_bed, wine, script):
    bed = reporting_bed
    log = os.path.join(wine.drive("C:"), "setuperr.log")
    with open(log, "w", newline="") as handle:
        handle.write("".join("%d Error SP Operation failed: step %d\r\n" % (n, n) for n in range(200)))
    why = "setup.exe ended with error 31; see X:\\Windows\\Panther\\setupact.log"
    assert report(wine, script, "failbox", "setup-started") == 0
    assert report(wine, script, "failbox", "failed", "31", "C:\\setuperr.log", "C:\\absent.log", why=why) == 0
    out = cli_status(bed, "--system", "failbox")
    last = out["reports"][-1]
    assert (last["stage"], last["code"], last["detail"]) == ("failed", "31", why)
    assert out["logs"] == [str(ANAMON / "failbox" / "winpe-setuperr.log")]
    tail = (ANAMON / "failbox" / "winpe-setuperr.log").read_text().splitlines()
    assert tail[-1] == "199 Error SP Operation failed: step 199" and len(tail) == status.LOG_TAIL_LINES
    latest = {row["system"]: row for row in cli_status(bed)["reports"]}
    assert latest["failbox"]["stage"] == "failed"


def test_a_stage_cobbler_does_not_know_is_refused(reporting_bed, wine, script):
    assert report(wine, script, "nosuchbox", "setup-started") == 1      # no such system in Cobbler
    assert report(wine, script, "winbox", "no-such-stage") == 2
    assert not (ANAMON / "nosuchbox").exists()


# -- reinstall: the one-liner `cobbler-winpe reinstall` prints, run by Wine's cmd against Cobbler's script service --
GUIDS = ["{6f1a2b3c-0000-11ef-8000-5254000000%02d}" % n for n in range(4)]


@pytest.fixture(scope="module")
def tools(wine):
    """curl, bcdedit and shutdown stand-ins in C:\\tools, answered by one checker per run."""
    folder = os.path.join(wine.drive("C:"), "tools")
    os.makedirs(folder, exist_ok=True)
    tool = winebed.build_tool(os.path.join(folder, "tool.exe"))
    for name in ("curl", "bcdedit", "shutdown"):
        shutil.copyfile(tool, os.path.join(folder, name + ".exe"))
    return "C:\\tools"


def reinstall(bed, wine, tools, system, firmware="uefi", entries=None):
    """Runs the printed one-liner in Wine's cmd; returns (exit code, cmd output, the stand-ins' events)."""
    done = subprocess.run([str(bed.venv / "bin" / "cobbler-winpe"), "reinstall", "--system", system],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    with open(os.path.join(wine.drive("C:"), "oneliner.cmd"), "w", newline="") as handle:
        handle.write("@echo off\r\n%s\r\n" % line)
    winpe = winpe_tools.WinPE(wine, wine.root, {}, firmware=firmware)
    if entries:
        winpe.firmware_entries = entries
    proc = winebed.run_checked(wine, ["cmd", "/c", "C:\\oneliner.cmd"], winpe.answer, 120, {"WINEPATH": tools})
    return proc.returncode, proc.stdout.decode("cp437"), winpe.events


def test_reinstall_makes_the_network_entry_naming_this_mac_the_next_boot(reporting_bed, wine, tools):
    url = "http://127.0.0.1:%d/cblr/svc/op/script/system/winbox/?script=winpe_reinstall.cmd" % reporting_bed.http_port
    entries = [(GUIDS[0], "Windows Boot Manager"), (GUIDS[1], "UEFI PXEv4 (MAC:525400123456)"),
               (GUIDS[2], "EFI Network 0 for IPv4 (52-54-00-AA-CC-01)"), (GUIDS[3], "UEFI QEMU DVD-ROM")]
    code, out, events = reinstall(reporting_bed, wine, tools, "winbox", entries=entries)
    assert code == 0, (out, events)
    assert events == [("curl", url), ("bcdedit", "/enum", "firmware"), ("bcdedit", "bootsequence", GUIDS[2]),
                      ("shutdown", "/r", "0")]
    # no entry names the MAC: the first IPv4 network entry
    code, out, events = reinstall(reporting_bed, wine, tools, "winbox", entries=entries[:2] + entries[3:])
    assert code == 0 and ("bcdedit", "bootsequence", GUIDS[1]) in events, (out, events)


def test_reinstall_on_bios_says_so_and_does_not_restart(reporting_bed, wine, tools):
    code, out, events = reinstall(reporting_bed, wine, tools, "winbox", firmware="bios")
    assert code == 2
    assert out.strip().splitlines()[-1].startswith("cobbler-winpe: no IPv4 network boot entry")
    assert [e[0] for e in events] == ["curl", "bcdedit"]


def test_reinstall_refuses_while_netboot_is_off(reporting_bed, wine, tools):
    bed = reporting_bed
    run_ok(bed, "system", "edit", "--name", "failbox", "--netboot-enabled", "false")
    code, out, events = reinstall(bed, wine, tools, "failbox")
    assert code == 1
    assert out.strip() == ("cobbler-winpe: netboot is off for failbox in Cobbler; first run: cobbler system edit "
                           "--name failbox --netboot-enabled true")
    assert [e[0] for e in events] == ["curl"]


SITE_STARTNET = """@echo off
setlocal EnableExtensions DisableDelayedExpansion
set "WINPE_SOURCE=$winpe_source"
set "WINPE_PROFILE=$winpe_profile"
setlocal EnableDelayedExpansion
echo site startnet: profile !WINPE_PROFILE!, source !WINPE_SOURCE!
"""


def test_the_override_folder_is_cobblers_autoinstall_snippets_dir(reporting_bed, wine, tmp_path):
    """Cobbler's settings name another autoinstall_snippets_dir; an admin's per_profile startnet.cmd there is what
    `cobbler sync` stages for the profile (wimboot's injected startnet.cmd), and Wine's cmd.exe runs it with the
    values the plugin escaped.  Setting back, the next sync stages the shipped script again."""
    bed = reporting_bed
    shipped = staged(bed, "startnet.cmd")
    source = batch_value(shipped, "WINPE_SOURCE")
    folder = tmp_path / "site-snippets"
    override = folder / "per_profile" / "windows" / "startnet.cmd.tmpl" / PROFILE
    override.parent.mkdir(parents=True)
    override.write_text(SITE_STARTNET)
    os.chmod(tmp_path, 0o755)
    with open("/etc/cobbler/settings.yaml", encoding="utf-8") as handle:
        original = yaml.safe_load(handle)["autoinstall_snippets_dir"]
    assert original != str(folder)
    bed.set_settings({"autoinstall_snippets_dir": str(folder)})
    try:
        run_ok(bed, "sync")
        host = os.path.join(wine.drive("C:"), "site-startnet.cmd")
        with open(host, "w", newline="") as handle:
            handle.write(staged(bed, "startnet.cmd"))
        done = wine.run(["cmd", "/c", "C:\\site-startnet.cmd"], timeout=120)
        assert done.stdout.decode("cp437").splitlines() == [
            "site startnet: profile %s, source %s" % (PROFILE, source)], done
    finally:
        bed.set_settings({"autoinstall_snippets_dir": original})
        run_ok(bed, "sync")
    assert staged(bed, "startnet.cmd") == shipped
