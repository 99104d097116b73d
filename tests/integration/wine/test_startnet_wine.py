"""startnet.cmd run by Wine's real cmd.exe against stand-in WinPE tools and a real smbd (24H2 client rules)."""
import importlib.util
import os
import shutil
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET

import pytest

from cobbler_winpe import config as winpe_config
from cobbler_winpe.adapter import winpe as adapter_winpe
from cobbler_winpe.gen import drivers, samba, startnet, unattend
from cobbler_winpe.host import drivers as host_drivers, samba as host_samba
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile, WinSystem
from cobbler_winpe.sample import drivers as sample_drivers
from cobbler_winpe.sample import media
from cobbler_winpe.snippets import Templates

import winebed
import winpe_tools

pytestmark = pytest.mark.integration
PASSWORD = "S3cret&%^|<>;'x"
MAC = "52:54:00:12:34:56"
OTHER_MAC = "52-54-00-AA-BB-CC"
SYSTEM32 = "X:\\Windows\\System32"
RUN_TIMEOUT = 240          # the 30 net use tries of a refused share take about 30 s here
DEAD_HOST = "127.0.0.9"    # a host whose SMB port refuses connections
INSTALL_SPEC = media.PRESETS["win10-x64"].distros[0]     # a real install.wim: 3 editions (Home, Pro, Education)
WIN11_SPEC = media.PRESETS["win11-x64"].distros[0]       # build 26100 (24H2): Home, Pro
SHIPPED = Templates()     # the templates shipped in snippets/windows, no admin override


def _samba_helpers():
    path = os.path.join(os.path.dirname(__file__), "..", "samba", "test_samba_share.py")
    spec = importlib.util.spec_from_file_location("cwpe_samba_share_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Bed:
    """Everything one module shares: prefix + wineserver, smbd, Cobbler HTTP stand-in, the models."""

    def __init__(self, root):
        self.root = root
        self.procs = []
        self.user = "cwa%s" % uuid.uuid4().hex[:8]
        self.prefix = winebed.WinePrefix(root)
        self.winpe = None
        self.http = self.smbd = None

    def start(self):
        helpers = _samba_helpers()
        self.tool = winebed.build_tool(os.path.join(self.root, "tool.exe"))
        self.http = winpe_tools.CobblerHTTP(["pc1"], [])
        self.server = Server("127.0.0.1", http_port=self.http.server_address[1])
        self.distro = WinDistro("win10-x64", "x86_64", "10", os.path.join(self.root, "mirror", "win10 x64"),
                                build=INSTALL_SPEC.build)
        self.win11 = WinDistro("win11-x64", "x86_64", "11", os.path.join(self.root, "mirror", "win11"),
                               build=WIN11_SPEC.build)
        win11_profile = WinProfile("win11-pro", "win11-x64", image_index=2, meta={"winpe_win11_bypass": "true"})
        self.bare = WinDistro("win11-bare", "x86_64", "11", os.path.join(self.root, "mirror", "win11-bare"))
        self.profile = WinProfile("win10-pro", "win10-x64", image_index=2)
        bare_profile = WinProfile("bare-pro", "win11-bare")
        no_image = WinProfile("win10-none", "win10-x64", image_index=7)     # install.wim has 3 images
        self.virtio = sample_drivers.build_virtio_tree(os.path.join(self.root, "virtio-win"))
        drv_profile = WinProfile("win10-drv", "win10-x64", image_index=2, meta={"winpe_drivers": self.virtio})
        self.system = WinSystem("pc1", "win10-pro", hostname="pc1.example.com", macs=(MAC,))
        for distro, spec in ((self.distro, INSTALL_SPEC), (self.win11, WIN11_SPEC)):
            for setup in ("setup.exe", "sources/setup.exe"):     # both are on real media
                shutil.copyfile(self.tool, _made(os.path.join(distro.mirror, setup)))
            wim = _made(os.path.join(distro.mirror, "sources", "install.wim"))
            media.build_install_wim(os.path.join(self.root, "wimwork", distro.name), spec, wim)
        wim = os.path.join(self.distro.mirror, "sources", "install.wim")
        shutil.copyfile(wim, _made(os.path.join(self.bare.mirror, "sources", "install.wim")))   # no setup.exe
        self.config = winpe_config.validate({"smb_share": "winpe", "smb_user": self.user,
                                             "smb_data_dir": os.path.join(self.root, "data")})
        files = startnet.data_tree([self.distro, self.bare, self.win11],
                                   [self.profile, bare_profile, no_image, win11_profile, drv_profile], [self.system],
                                   self.server, SHIPPED, scan=host_drivers.scan)
        for rel, text in files.items():
            _write(os.path.join(self.config["smb_data_dir"], rel), text)
        for rel, path in startnet.data_copies([self.distro], [drv_profile], [], host_drivers.scan).items():
            shutil.copyfile(path, _made(os.path.join(self.config["smb_data_dir"], rel)))
        include = os.path.join(self.root, "cobbler-winpe.conf")
        _write(include, samba.render_smb_include([self.distro, self.bare, self.win11], self.server,
                                                             self.config))
        self.smb_port = winebed.free_port()
        self.smb_conf = os.path.join(self.root, "smb.conf")
        _write(self.smb_conf, helpers._global_conf(self.root, self.smb_port, include))
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", self.user],
                       check=True, timeout=30)
        subprocess.run(["chmod", "-R", "a+rX", self.root], check=True, timeout=30)
        host_samba.create_smb_account(self.user, PASSWORD, smb_conf=self.smb_conf)
        self.smbd = helpers._start_smbd(self.smb_conf, self.smb_port)
        self.stop_smbd = helpers._stop
        self.prefix.start()
        system32 = os.path.join(self.root, "x", "Windows", "System32")
        os.makedirs(system32)
        for name in winebed.TOOLS:
            shutil.copyfile(self.tool, os.path.join(system32, name + ".exe"))
        self.prefix.map_drive("X:", os.path.join(self.root, "x"))
        self.system32 = system32
        self.powershell(False)

    def powershell(self, present):
        """WinPE with or without WinPE-PowerShell (Wine's own powershell.exe is a stub that always exits 0)."""
        folder = os.path.join(self.prefix.path, "drive_c", "windows", "system32", "WindowsPowerShell", "v1.0")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "powershell.exe")
        if os.path.exists(path):
            os.unlink(path)
        if present:
            shutil.copyfile(self.tool, path)

    def boot(self, script, image=None, **winpe):
        """Run SCRIPT as X:\\Windows\\System32\\startnet.cmd in a fresh simulated WinPE; IMAGE: more files of the
        WinPE image ({System32-relative path: text or host file}); returns (proc, winpe)."""
        for letter in ("S:", "T:", "D:"):
            self.prefix.unmap_drive(letter)
        shutil.rmtree(os.path.join(self.system32, drivers.IMAGE_DIR), ignore_errors=True)
        helper = startnet.render_http_get_vbs(templates=SHIPPED)
        for rel, content in dict({startnet.HELPER_VBS: helper, drivers.IMAGE_LIST: None}, **(image or {})).items():
            path = os.path.join(self.system32, rel)
            if content is None:
                if os.path.exists(path):
                    os.unlink(path)
            elif os.path.isabs(content) and os.path.isfile(content):
                shutil.copyfile(content, _made(path))
            else:
                _write(path, content)
        return self.run(script, os.path.join(self.system32, "startnet.cmd"), SYSTEM32 + "\\startnet.cmd", **winpe)

    def run(self, script, host_path, windows_path, **winpe):
        """Write SCRIPT to HOST_PATH (WINDOWS_PATH to cmd) and run it with `cmd /c` against a fresh WinPE checker."""
        shutil.rmtree(os.path.join(self.root, "work"), ignore_errors=True)
        work = _made(os.path.join(self.root, "work", "x"))
        ports = {"127.0.0.1": self.smb_port, DEAD_HOST: winebed.free_port()}
        self.winpe = winpe_tools.WinPE(self.prefix, os.path.dirname(work), ports, **winpe)
        self.http.events = self.winpe.events
        # written as the plugin writes it (fsutil.write_atomic: UTF-8), read by cmd in the OEM code page
        _write(host_path, script.encode("utf-8"))
        proc = winebed.run_checked(self.prefix, ["cmd", "/c", windows_path], self.winpe.answer, RUN_TIMEOUT,
                                   {"WINEPATH": SYSTEM32}, cwd=os.path.dirname(host_path))
        return proc, self.winpe

    def setupcomplete(self, script):
        """Run SCRIPT as C:\\Windows\\Setup\\Scripts\\SetupComplete.cmd, where Windows setup runs it."""
        host = os.path.join(self.prefix.path, "drive_c", "windows", "Setup", "Scripts", "SetupComplete.cmd")
        return self.run(script, host, "C:\\Windows\\Setup\\Scripts\\SetupComplete.cmd")

    def startnet(self, password=PASSWORD, distro=None, server=None, profile=None, config=None, templates=SHIPPED):
        return startnet.render_startnet(distro or self.distro, server or self.server, config or self.config,
                                        password, profile, templates=templates)

    def stop(self):
        if self.http:
            self.http.close()
        self.prefix.stop()
        if self.smbd:
            self.stop_smbd(self.smbd)
        subprocess.run(["userdel", self.user], check=False, timeout=30)


def _made(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def _write(path, data):
    with open(_made(path), "wb") as handle:
        handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))


@pytest.fixture(scope="module")
def bed():
    winebed.require()
    if os.geteuid() != 0:
        pytest.skip("needs root: smbd and the test account")
    started = time.monotonic()
    bed = Bed(winebed.temp_root("cwA-wine-"))
    try:
        bed.start()
        yield bed
    finally:
        bed.stop()
        shutil.rmtree(bed.root, ignore_errors=True)
        print("wine bed: %.1f s for the module" % (time.monotonic() - started))


def _out(proc):
    return proc.stdout.decode("cp437").splitlines()


def _told(proc, winpe):
    """What a failed assertion shows: the script's stdout and stderr, and every call the stand-ins made."""
    return {"stdout": _out(proc), "stderr": proc.stderr.decode("cp437").splitlines(), "calls": winpe.calls}


def _unc(share, host="127.0.0.1"):
    return "\\\\%s\\%s" % (host, share)


SRC = _unc("winpe-win10-x64")
DATA = _unc("winpe")
PROMPT = ('cobbler-winpe: this prompt stays open. Fix the cause, then run "%s\\startnet.cmd" again or type: '
          'wpeutil reboot' % SYSTEM32)


def _mapping(src=SRC):
    return [("wpeinit",), ("net use /delete", "S:", False), ("net use", "S:", src, 0),
            ("net use /delete", "T:", False), ("net use", "T:", DATA, 0)]


def _started(proc):
    return [line for line in _out(proc) if line.startswith("cobbler-winpe: setup started")]


def _stopped(proc, reason):
    """cmd printed the documented stop lines last, kept the exit code 1, and nothing after them ran."""
    lines = [line for line in _out(proc) if line.strip()]
    assert lines[-2:] == ["cobbler-winpe: INSTALL STOPPED: " + reason, PROMPT], _out(proc)
    assert proc.returncode == 1


ADDR_NO_RANDOMIZE = 0x0040000    # linux/personality.h


def test_every_wine_process_of_the_bed_runs_without_address_randomization(bed):
    """winebed.LAUNCH: with a randomized brk heap, Debian's wine64 (no preloader) now and then cannot map the
    shared user data at 0x7ffe0000 and the new process dies (docs/reliability.md)."""
    read = {}
    for pid in bed.prefix.processes():       # wineboot's services.exe & co. (the wineserver is no Windows process)
        try:
            with open("/proc/%d/personality" % pid, encoding="ascii") as handle:
                read[pid] = int(handle.read(), 16)
        except FileNotFoundError:            # ended since the listing
            continue
    read.pop(bed.prefix.server.pid, None)
    assert read and all(flags & ADDR_NO_RANDOMIZE for flags in read.values()), read


def test_a_run_fails_when_cmd_cannot_start_a_program(bed):
    """How a process Wine could not start shows: cmd's "Can't recognize" line, which fails the run."""
    with pytest.raises(AssertionError, match="Can't recognize 'nosuchtool.exe /x'"):
        bed.setupcomplete("@echo off\r\nnosuchtool.exe /x\r\nexit /b 0\r\n")


def test_known_system_installs_and_turns_netboot_off(bed):
    proc, winpe = bed.boot(bed.startnet(), macs=(OTHER_MAC, "52-54-00-12-34-56"), firmware="uefi")
    answer = "T:\\systems\\52-54-00-12-34-56\\unattend-uefi.xml"
    assert winpe.events == _mapping() + [
        ("reg", "SystemStartOptions"), ("wpeutil", "updatebootinfo"), ("reg", "PEFirmwareType"),
        ("ipconfig", ("/all",)),
        ("setup", "S:\\setup.exe", ("/unattend:" + answer, "/noreboot")),
        ("http GET", "/cblr/svc/op/nopxe/system/pc1"),
        ("wpeutil", "reboot")], _out(proc)
    assert proc.returncode == 0, _out(proc)
    assert _started(proc) == ["cobbler-winpe: setup started with answer file %s from share %s" % (answer, SRC)]
    # the answer file's image index exists in the share's install.wim (wiminfo said so)
    assert winpe.setup_image == (bed.prefix.unix_path("S:\\sources\\install.wim"), "2", 0, INSTALL_SPEC.build)
    # setup got the system's own UEFI answer file, as fetched over SMB
    tree = ET.parse(winpe.setup_answer)
    assert tree.find(".//{urn:schemas-microsoft-com:unattend}ComputerName").text == "pc1"
    with open(os.path.join(bed.config["smb_data_dir"], "systems", "52-54-00-12-34-56", "unattend-uefi.xml"),
              "rb") as original, open(winpe.setup_answer, "rb") as used:
        assert used.read() == original.read()
    # cmd copied SetupComplete.cmd into the Windows that setup installed (drive D: here)
    copied = bed.prefix.unix_path("D:\\Windows\\Setup\\Scripts\\SetupComplete.cmd")
    with open(os.path.join(bed.config["smb_data_dir"], "systems", "52-54-00-12-34-56", "SetupComplete.cmd"),
              "rb") as original:
        assert copied and open(copied, "rb").read() == original.read()
    assert winpe.passwords == [PASSWORD, PASSWORD]


def test_profile_from_boot_options_bios_no_nopxe(bed):
    proc, winpe = bed.boot(bed.startnet(), macs=(OTHER_MAC,), firmware="bios",
                           start_options="NOEXECUTE=OPTIN  COBBLER_PROFILE:win10-pro")
    assert winpe.events == _mapping() + [
        ("reg", "SystemStartOptions"), ("wpeutil", "updatebootinfo"), ("reg", "PEFirmwareType"),
        ("ipconfig", ("/all",)),
        ("setup", "S:\\setup.exe", ("/unattend:T:\\profiles\\win10-pro\\unattend-bios.xml", "/noreboot")),
        ("wpeutil", "reboot")], _out(proc)
    assert proc.returncode == 0
    assert _started(proc) == ["cobbler-winpe: setup started with answer file T:\\profiles\\win10-pro\\"
                              "unattend-bios.xml from share %s" % SRC]


def test_powershell_branch_calls_nopxe(bed):
    bed.powershell(True)
    try:
        proc, winpe = bed.boot(bed.startnet(profile=bed.profile), macs=("52-54-00-12-34-56",))
    finally:
        bed.powershell(False)
    url = "http://127.0.0.1:%d/cblr/svc/op/nopxe/system/pc1" % bed.http.server_address[1]
    assert winpe.events[-3:] == [("powershell", url), ("http GET", "/cblr/svc/op/nopxe/system/pc1"),
                                 ("wpeutil", "reboot")], winpe.events
    assert proc.returncode == 0


def _assert_source_never_mapped(proc, winpe, code, tries=startnet.NET_TRIES):
    """cmd tried TRIES times (its own count, printed between tries), the checker saw each try, and all failed.

    (The checker once saw 29 calls for 30 tries: Wine failed to start one process, winebed.LAUNCH has why.)"""
    src = winpe_maps_src(winpe)
    waits = [line for line in _out(proc) if line.startswith("cobbler-winpe: waiting for the network")]
    assert waits == ["cobbler-winpe: waiting for the network and %s (try %d of %d)" % (src, n, tries)
                     for n in range(1, tries)]
    maps = [event for event in winpe.events if event[0] == "net use"]
    assert maps == [("net use", "S:", src, code)] * tries
    assert ("wpeutil", "initializenetwork") in winpe.events
    assert not [event for event in winpe.events if event[0] in ("setup", "ipconfig", "http GET")]


def winpe_maps_src(winpe):
    return [event for event in winpe.events if event[0] == "net use"][0][2]


def test_wrong_password_stops_before_setup(bed):
    proc, winpe = bed.boot(bed.startnet(password=PASSWORD + "x"))
    _assert_source_never_mapped(proc, winpe, 2)
    assert winpe_maps_src(winpe) == SRC
    _stopped(proc, "cannot map %s after 30 tries (network down, wrong credentials or share missing)" % SRC)


def test_unreachable_share_stops_before_setup(bed):
    src = _unc("winpe-win10-x64", DEAD_HOST)
    proc, winpe = bed.boot(bed.startnet(server=Server(DEAD_HOST, http_port=bed.server.http_port)))
    _assert_source_never_mapped(proc, winpe, 2)
    assert winpe_maps_src(winpe) == src
    _stopped(proc, "cannot map %s after 30 tries (network down, wrong credentials or share missing)" % src)


def test_guest_is_refused_by_24h2(bed):
    proc, winpe = bed.boot(bed.startnet(password=None, config=dict(bed.config, smb_guest=True)))
    _assert_source_never_mapped(proc, winpe, 2)
    _stopped(proc, "cannot map %s after 30 tries (network down, wrong credentials or share missing)" % SRC)


def test_setup_missing_stops(bed):
    src = _unc("winpe-win11-bare")
    proc, winpe = bed.boot(bed.startnet(distro=bed.bare), macs=(OTHER_MAC,),
                           start_options="COBBLER_PROFILE:bare-pro")
    assert winpe.events[:5] == _mapping(src)
    assert not [event for event in winpe.events if event[0] in ("setup", "http GET")]
    assert winpe.events[-1] == ("ipconfig", ("/all",))
    _stopped(proc, "S:\\sources\\setup.exe not found on %s" % src)     # build unknown: the setup that honours /unattend


def test_answer_file_missing_stops(bed):
    proc, winpe = bed.boot(bed.startnet(), macs=(OTHER_MAC,), firmware="bios")
    assert winpe.events == _mapping() + [("reg", "SystemStartOptions"), ("wpeutil", "updatebootinfo"),
                                         ("reg", "PEFirmwareType"), ("ipconfig", ("/all",))]
    _stopped(proc, "no answer file for this machine (bios): not by MAC under T:\\systems, not for profile - "
                   "or distro win10-x64")


SETUP_FAILED = "setup.exe ended with error %d; see X:\\Windows\\Panther\\setupact.log"


def test_setup_error_stops_before_nopxe(bed):
    """setup.exe exits 31: the stop line carries its code; no SetupComplete copy, no nopxe, no reboot."""
    proc, winpe = bed.boot(bed.startnet(), setup_code=31)
    assert [event[0] for event in winpe.events][-2:] == ["ipconfig", "setup"], winpe.events
    assert bed.prefix.unix_path("D:\\Windows\\Setup\\Scripts\\SetupComplete.cmd") is None
    _stopped(proc, SETUP_FAILED % 31)


def test_missing_image_index_fails_setup(bed):
    """The answer file names image 7 of a 3-image install.wim: the setup stand-in's wiminfo refuses it."""
    proc, winpe = bed.boot(bed.startnet(), macs=(OTHER_MAC,), start_options="COBBLER_PROFILE:win10-none")
    assert winpe.setup_image[:3] == (bed.prefix.unix_path("S:\\sources\\install.wim"), "7", 18)   # no such image
    _stopped(proc, SETUP_FAILED % 1)


def test_nopxe_refused_keeps_the_prompt(bed):
    """Cobbler answers 404 to nopxe (through Wine's own cscript + WinHTTP running cobbler-get.vbs): 5 tries,
    then the stop line, and no reboot (a reboot would netboot the installer again)."""
    bed.http.known = set()
    try:
        proc, winpe = bed.boot(bed.startnet())
    finally:
        bed.http.known = {"pc1"}
    url = "http://127.0.0.1:%d/cblr/svc/op/nopxe/system/pc1" % bed.http.server_address[1]
    assert winpe.events[winpe.events.index(("ipconfig", ("/all",))) + 2:] == [
        ("http GET", "/cblr/svc/op/nopxe/system/pc1")] * startnet.HTTP_TRIES, _out(proc)
    _stopped(proc, "cannot turn netboot off (Cobbler did not answer %s); not rebooting, or the machine would "
                   "install again" % url)


def _data_file(bed, *parts):
    with open(os.path.join(bed.config["smb_data_dir"], *parts), encoding="utf-8") as handle:
        return handle.read()


POST = "/cblr/svc/op/trig/mode/post/system/%s"


def test_setupcomplete_reports_with_curl(bed):
    """Full Windows without PowerShell on the path the script checks: curl.exe sends the install-post report."""
    proc, winpe = bed.setupcomplete(_data_file(bed, "systems", "52-54-00-12-34-56", "SetupComplete.cmd"))
    url = "http://127.0.0.1:%d" % bed.http.server_address[1] + POST % "pc1"
    assert winpe.events == [("curl", url), ("http GET", POST % "pc1")], _told(proc, winpe)
    assert _out(proc) == ["cobbler-winpe: Cobbler took the install-post report (%s)" % url]
    assert proc.returncode == 0


def test_setupcomplete_reports_with_powershell(bed):
    bed.powershell(True)
    try:
        proc, winpe = bed.setupcomplete(_data_file(bed, "systems", "52-54-00-12-34-56", "SetupComplete.cmd"))
    finally:
        bed.powershell(False)
    url = "http://127.0.0.1:%d" % bed.http.server_address[1] + POST % "pc1"
    assert winpe.events == [("powershell", url), ("http GET", POST % "pc1")], _told(proc, winpe)
    assert proc.returncode == 0


def test_setupcomplete_gives_up_after_five_refusals(bed):
    """Cobbler answers 404 (no such system): five curl tries, each reaching the server, then the stop line."""
    script = startnet.render_setupcomplete(WinSystem("pc9", "win10-pro"), bed.server, templates=SHIPPED)
    proc, winpe = bed.setupcomplete(script)
    url = "http://127.0.0.1:%d" % bed.http.server_address[1] + POST % "pc9"
    assert winpe.events == [("curl", url), ("http GET", POST % "pc9")] * startnet.HTTP_TRIES, _told(proc, winpe)
    assert [line for line in _out(proc) if line.startswith("cobbler-winpe:")] == [
        "cobbler-winpe: Cobbler did not take the install-post report after 5 tries (%s)" % url]
    assert proc.returncode == 1


@pytest.mark.parametrize("name, exe", [("win10-x64", "S:\\setup.exe"), ("win11-x64", "S:\\sources\\setup.exe")])
def test_setup_that_honours_the_answer_file_per_build(bed, name, exe):
    """Build 19045 starts the media's setup.exe; build 26100 (24H2) starts sources\\setup.exe, the previous setup,
    which runs the answer file's windowsPE commands: LabConfig lets it install Windows 11 on a PC without TPM."""
    distro = {"win10-x64": bed.distro, "win11-x64": bed.win11}[name]
    profile = {"win10-x64": "win10-pro", "win11-x64": "win11-pro"}[name]
    proc, winpe = bed.boot(bed.startnet(distro=distro), macs=(OTHER_MAC,), firmware="uefi", tpm=False,
                           start_options="COBBLER_PROFILE:" + profile)
    answer = "T:\\profiles\\%s\\unattend-uefi.xml" % profile
    assert [event for event in winpe.events if event[0] == "setup"] == [
        ("setup", exe, ("/unattend:" + answer, "/noreboot"))], _out(proc)
    assert _started(proc) == ["cobbler-winpe: setup started with answer file %s from share %s" % (
        answer, _unc("winpe-" + name))]
    assert winpe.setup_image[1:] == ("2", 0, distro.build)
    assert winpe.labconfig == (set(unattend.LABCONFIG_KEYS) if name == "win11-x64" else set())
    assert proc.returncode == 0, _out(proc)


def test_root_setup_of_24h2_ignores_the_answer_file(bed):
    """The stand-in knows ConX: a 26100 image started through the media's setup.exe (what the plugin did for
    every build before) ignores /unattend, so the install stops."""
    import dataclasses
    script = bed.startnet(distro=dataclasses.replace(bed.win11, build=19045))    # as if it were pre-24H2
    proc, winpe = bed.boot(script, macs=(OTHER_MAC,), start_options="COBBLER_PROFILE:win11-pro")
    assert ("setup", "ConX") in winpe.events and winpe.labconfig == set()
    _stopped(proc, SETUP_FAILED % 1)


def test_drivers_load_before_network_and_setup_and_reach_the_answer_file(bed):
    """winpe_drivers names a virtio-like tree: its network .inf is in the image and drvload'ed before wpeinit;
    the storage and other .inf files are drvload'ed from the mapped data share after T: is mapped and before
    setup; setup's answer file carries the share folder as a PnpCustomizationsWinPE driver path."""
    import dataclasses
    distro = dataclasses.replace(bed.distro, meta={"winpe_drivers": bed.virtio})
    image = {rel: path for rel, path in startnet.winpe_driver_files(distro, host_drivers.scan).items()}
    image[drivers.IMAGE_LIST] = startnet.winpe_files(distro, bed.server, bed.config, PASSWORD,
                                                     templates=SHIPPED, scan=host_drivers.scan)[drivers.IMAGE_LIST]
    proc, winpe = bed.boot(bed.startnet(distro=distro), image=image, macs=(OTHER_MAC,), firmware="bios",
                           start_options="COBBLER_PROFILE:win10-drv")
    name = drivers.set_name(bed.virtio)
    net = "X:\\Windows\\System32\\cobbler-drivers\\%s\\NetKVM\\w10\\amd64\\netkvm.inf" % name
    share = "T:\\drivers\\%s\\%%s\\w10\\amd64\\%%s.inf" % name
    answer = "T:\\profiles\\win10-drv\\unattend-bios.xml"
    assert winpe.events == [("drvload", net, "net")] + _mapping() + [
        ("reg", "SystemStartOptions"), ("wpeutil", "updatebootinfo"), ("reg", "PEFirmwareType"),
        ("ipconfig", ("/all",)),
        ("drvload", share % ("Balloon", "balloon"), "system"),
        ("drvload", share % ("vioscsi", "vioscsi"), "scsiadapter"),
        ("drvload", share % ("viostor", "viostor"), "scsiadapter"),
        ("setup", "S:\\setup.exe", ("/unattend:" + answer, "/noreboot")),
        ("wpeutil", "reboot")], _out(proc)
    assert proc.returncode == 0
    ns = {"u": "urn:schemas-microsoft-com:unattend", "wcm": "http://schemas.microsoft.com/WMIConfig/2002/State"}
    component = [c for c in ET.parse(winpe.setup_answer).getroot().find("u:settings[@pass='windowsPE']", ns)
                 if c.get("name") == "Microsoft-Windows-PnpCustomizationsWinPE"]
    assert len(component) == 1
    items = component[0].findall("u:DriverPaths/u:PathAndCredentials", ns)
    wcm = "{%s}" % ns["wcm"]
    assert [(item.get(wcm + "action"), item.get(wcm + "keyValue"), item.findtext("u:Path", None, ns))
            for item in items] == [("add", "1", "\\\\127.0.0.1\\winpe\\drivers\\" + name)]
    # the driver files reached the mapped share byte for byte
    with open(bed.prefix.unix_path(share % ("viostor", "viostor")), "rb") as got, \
            open(os.path.join(bed.virtio, "viostor", "w10", "amd64", "viostor.inf"), "rb") as made:
        assert got.read() == made.read()


SITE_STEP = ("echo cobbler-winpe: site start for profile !WINPE_PROFILE! ($winpe_profile)\n"
             'drvload "%~dp0site\\netkvm.inf"\n')


def test_admin_per_profile_startnet_override_is_what_cmd_runs(bed):
    """An admin copies the shipped startnet.cmd.tmpl to <autoinstall_snippets_dir>/per_profile/windows/
    startnet.cmd.tmpl/win10-pro and adds a site step before wpeinit.  The adapter's loader (adapter/winpe.templates
    over the server's snippet_dir) gives that override to the profile's (wimboot-injected) startnet.cmd, and cmd.exe
    runs it: the step's drvload comes first, it echoes the profile value the template was given, and the install
    then goes on as usual with the profile's answer file.  The same loader gives the distro's own WIM (no profile)
    and another profile the shipped script."""
    import dataclasses
    snippet_dir = os.path.join(bed.root, "cobbler-snippets")
    override = SHIPPED.source("windows/startnet.cmd.tmpl").replace("\nwpeinit\n", "\n" + SITE_STEP + "wpeinit\n", 1)
    assert SITE_STEP in override
    _write(os.path.join(snippet_dir, "per_profile", "windows", "startnet.cmd.tmpl", "win10-pro"), override)
    server = dataclasses.replace(bed.server, snippet_dir=snippet_dir)
    files = startnet.winpe_files(bed.distro, server, bed.config, PASSWORD, bed.profile,
                                 templates=adapter_winpe.templates(server))
    for profile in (None, WinProfile("win10-other", "win10-x64")):
        assert startnet.winpe_files(bed.distro, server, bed.config, PASSWORD, profile,
                                    templates=adapter_winpe.templates(server)) == startnet.winpe_files(
            bed.distro, server, bed.config, PASSWORD, profile, templates=SHIPPED)
    net_inf = os.path.join(bed.virtio, "NetKVM", "w10", "amd64", "netkvm.inf")
    try:
        proc, winpe = bed.boot(files["startnet.cmd"], image={"site/netkvm.inf": net_inf}, macs=(OTHER_MAC,),
                               firmware="bios")
    finally:
        shutil.rmtree(os.path.join(bed.system32, "site"), ignore_errors=True)
    site_inf = SYSTEM32 + "\\site\\netkvm.inf"
    answer = "T:\\profiles\\win10-pro\\unattend-bios.xml"
    assert winpe.events == [("drvload", site_inf, "net")] + _mapping() + [   # the profile is baked in: no BCD read
        ("wpeutil", "updatebootinfo"), ("reg", "PEFirmwareType"),
        ("ipconfig", ("/all",)),
        ("setup", "S:\\setup.exe", ("/unattend:" + answer, "/noreboot")),
        ("wpeutil", "reboot")], _out(proc)
    assert _out(proc)[:2] == ["cobbler-winpe: starting the network (wpeinit)",
                              "cobbler-winpe: site start for profile win10-pro (win10-pro)"], _out(proc)
    assert proc.returncode == 0, _out(proc)
