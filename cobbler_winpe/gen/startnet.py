"""WinPE start files: startnet.cmd, winpeshl.ini, the HTTP helper, per-system system.cmd and SetupComplete.cmd."""
import posixpath

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen.model import FIRMWARES, IMAGE_FILES, blend
from cobbler_winpe.gen import drivers, inventory, samba, status, values

SOURCE_DRIVE = "S:"
DATA_DRIVE = "T:"
NET_TRIES = 30          # net use attempts, about 3 s apart: about 90 s for DHCP and the link to come up
HTTP_TRIES = 5
ANSWER = "unattend-%s.xml"   # per firmware: unattend-bios.xml, unattend-uefi.xml
HELPER_VBS = "cobbler-get.vbs"
# Windows 11 24H2 (build 26100) and later: the media's setup.exe starts the new setup ("ConX"), which ignores
# command-line switches; sources\setup.exe is the previous setup, which honours /unattend (docs/winpe-install.md).
NEW_SETUP_BUILD = 26100
POWERSHELL = r"%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe"
# GET %WINPE_URL%; exit 0 only on HTTP 200 (the URL comes from the environment, never from the command line)
POWERSHELL_GET = ('"%s" -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command "try { $r = Invoke-WebRequest '
                  '-UseBasicParsing -TimeoutSec 20 -Uri $env:WINPE_URL; if ($r.StatusCode -ne 200) { exit 1 } } '
                  'catch { exit 1 }"' % POWERSHELL)


def crlf(text):
    """TEXT with CRLF line ends: cmd.exe mis-parses labels in LF-only batch files."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def mac_folder(mac):
    """A MAC address as the folder name WinPE derives from `ipconfig /all`: 52-54-00-AB-CD-EF."""
    return inventory.mac_key(mac)     # netaddr's default form is ipconfig's: 52-54-00-AB-CD-EF


def system_dir(mac):
    """Per-system folder on the data share (one per MAC of the system): systems/<MAC>."""
    return posixpath.join("systems", mac_folder(mac))


def profile_dir(name):
    """Per-profile folder on the data share: profiles/<profile>."""
    return posixpath.join("profiles", values.url_segment("profile name", name))


def distro_dir(name):
    """Per-distro fallback folder on the data share: distros/<distro>."""
    return posixpath.join("distros", values.url_segment("distro name", name))


def answer_name(firmware):
    """File name of the answer file for FIRMWARE inside a system/profile/distro folder."""
    return ANSWER % firmware


def base_url(server):
    """http://address[:port] of the Cobbler server."""
    address = values.host("server address", server.address)
    port = int(server.http_port)
    return "http://%s%s" % (address, "" if port == 80 else ":%d" % port)


def nopxe_url(server, system_name):
    """Cobbler's service that turns netboot_enabled off for SYSTEM_NAME."""
    return "%s/cblr/svc/op/nopxe/system/%s" % (base_url(server), values.url_segment("system name", system_name))


def firstboot_url(server, system_name):
    """Cobbler's install-firstboot trigger for SYSTEM_NAME (the 'first-boot' stage of `cobbler-winpe status`)."""
    return "%s/cblr/svc/op/trig/mode/firstboot/system/%s" % (base_url(server),
                                                            values.url_segment("system name", system_name))


def firstboot_commands(system, server):
    """The first-logon command that reports the first boot to Cobbler (curl.exe ships with Windows 10 1803+).
    None for a name whose URL would hold '%', which cmd.exe would read as a variable."""
    url = firstboot_url(server, system.name)
    return [] if "%" in url else ['cmd.exe /c curl.exe -fsS -m 30 -o NUL "%s"' % url]


REINSTALL_SCRIPT = "winpe_reinstall.cmd"   # snippets/scripts/, rendered per system by Cobbler's script service


def reinstall_url(server, system_name):
    """Cobbler's script service rendering the reinstall script for SYSTEM_NAME.  The '/' before '?' matters:
    Cobbler 3.3's services.py splits REQUEST_URI, query string included, so it would end the system's name."""
    return "%s/cblr/svc/op/script/system/%s/?script=%s" % (
        base_url(server), values.url_segment("system name", system_name), REINSTALL_SCRIPT)


def reinstall_command(server, system_name):
    """The one line an admin runs in an elevated cmd on the installed Windows to netboot it once."""
    local = "%%TEMP%%\\%s" % REINSTALL_SCRIPT
    if "%" in values.url_segment("system name", system_name):
        raise InputError("system name %r" % system_name, "needs percent-encoding in a URL, which cmd.exe would "
                         "read as variables", "rename the system (letters, digits, - _ .)")
    return 'curl.exe -fsS -o "%s" "%s" && "%s"' % (local, reinstall_url(server, system_name), local)


def post_trigger_url(server, system_name):
    """Cobbler's install-post trigger for SYSTEM_NAME (runs /var/lib/cobbler/triggers/install/post/*)."""
    return "%s/cblr/svc/op/trig/mode/post/system/%s" % (base_url(server),
                                                       values.url_segment("system name", system_name))


def setup_program(distro):
    """The setup.exe on the source drive that honours /unattend for DISTRO's build: the media root's before
    24H2, sources\\setup.exe from build 26100 on and when the build is unknown (it honours it on every build)."""
    if distro.build is not None and distro.build < NEW_SETUP_BUILD:
        return SOURCE_DRIVE + "\\setup.exe"
    return SOURCE_DRIVE + "\\sources\\setup.exe"


def _unc(server, share):
    return "\\\\%s\\%s" % (values.host("server address", server.address), share)


STARTNET_BODY = r"""setlocal EnableDelayedExpansion
set "WINPE_HERE=%~dp0"
set "WINPE_WHY="
call :load_list "%~dp0{image_list}" "%~dp0"
echo cobbler-winpe: starting the network (wpeinit)
wpeinit
call :report winpe-started
set /a WINPE_TRY=0
:map_source
set /a WINPE_TRY+=1
net use {src} /delete /y >nul 2>&1
net use {src} "!WINPE_SOURCE!" "!WINPE_PASS!" /user:!WINPE_USER! /persistent:no >nul 2>&1
if not errorlevel 1 goto map_data
if !WINPE_TRY! geq {net_tries} goto fail_source
echo cobbler-winpe: waiting for the network and !WINPE_SOURCE! (try !WINPE_TRY! of {net_tries})
if !WINPE_TRY! equ 10 wpeutil InitializeNetwork >nul 2>&1
ping -n 4 127.0.0.1 >nul
goto map_source
:map_data
call :report network-up
net use {data} /delete /y >nul 2>&1
net use {data} "!WINPE_DATA!" "!WINPE_PASS!" /user:!WINPE_USER! /persistent:no >nul 2>&1
if errorlevel 1 goto fail_data
if "!WINPE_PROFILE!"=="-" call :profile_from_bcd
set "WINPE_FW=bios"
wpeutil UpdateBootInfo >nul 2>&1
for /f "tokens=3" %%a in ('reg query HKLM\System\CurrentControlSet\Control /v PEFirmwareType 2^>nul') do if "%%a"=="0x2" set "WINPE_FW=uefi"
set "WINPE_ANSWER="
set "WINPE_SYSDIR="
for /f "tokens=1,* delims=:" %%a in ('ipconfig /all') do call :try_mac "%%b"
if not defined WINPE_ANSWER if exist "{data}\profiles\!WINPE_PROFILE!\unattend-!WINPE_FW!.xml" set "WINPE_ANSWER={data}\profiles\!WINPE_PROFILE!\unattend-!WINPE_FW!.xml"
if not defined WINPE_ANSWER if exist "{data}\distros\!WINPE_DISTRO!\unattend-!WINPE_FW!.xml" set "WINPE_ANSWER={data}\distros\!WINPE_DISTRO!\unattend-!WINPE_FW!.xml"
if not defined WINPE_ANSWER goto fail_answer
call :answer_drivers "!WINPE_ANSWER!"
set "WINPE_NOPXE="
if defined WINPE_SYSDIR if exist "!WINPE_SYSDIR!\system.cmd" call "!WINPE_SYSDIR!\system.cmd"
call :report share-mapped
if not exist "{setup}" goto fail_setup_missing
echo cobbler-winpe: setup started with answer file !WINPE_ANSWER! from share !WINPE_SOURCE!
call :report setup-started
start "" /wait "{setup}" /unattend:"!WINPE_ANSWER!" /noreboot
if errorlevel 1 goto fail_setup
if defined WINPE_SYSDIR if exist "!WINPE_SYSDIR!\SetupComplete.cmd" call :copy_setupcomplete
if not defined WINPE_NOPXE goto reboot
set /a WINPE_TRY=0
:nopxe
set /a WINPE_TRY+=1
set "WINPE_URL=!WINPE_NOPXE!"
call :http_get
if not errorlevel 1 goto reboot
if !WINPE_TRY! geq {http_tries} goto fail_nopxe
ping -n 4 127.0.0.1 >nul
goto nopxe
:reboot
call :report winpe-done
echo cobbler-winpe: setup finished its WinPE phase; rebooting
wpeutil reboot
exit /b 0

:load_list
rem %1: a list of .inf files (one a line, relative to %2); each is loaded with drvload, a failure is reported.
if not exist "%~1" exit /b 0
for /f "usebackq delims=" %%i in ("%~1") do call :load_driver "%~2%%i"
exit /b 0

:answer_drivers
rem The .inf files listed beside the answer file %1, relative to the data share (Wine's cmd expands no !VAR! in
rem a for set, so the answer path arrives as an argument).
call :load_list "%~dp1{share_list}" "{data}\"
exit /b 0

:load_driver
drvload "%~1" >nul 2>&1
if errorlevel 1 echo cobbler-winpe: drvload could not load %~1 (continuing)
if not errorlevel 1 echo cobbler-winpe: loaded driver %~1
exit /b 0

:profile_from_bcd
rem The BCD entry's loadoptions carry COBBLER_PROFILE:<name>; Windows shows them in SystemStartOptions.
for /f "tokens=2,*" %%a in ('reg query HKLM\System\CurrentControlSet\Control /v SystemStartOptions 2^>nul') do call :profile_words %%b
exit /b 0

:profile_words
for %%o in (%*) do call :profile_token "%%o"
exit /b 0

:profile_token
for /f "tokens=1,* delims=:" %%p in ("%~1") do if /i "%%p"=="COBBLER_PROFILE" set "WINPE_PROFILE=%%q"
exit /b 0

:try_mac
if defined WINPE_ANSWER exit /b 0
set "WINPE_V="
rem %~1 is one value of ipconfig's "name : value" lines; tokens=* drops its leading blanks.
for /f "tokens=*" %%v in ("%~1") do set "WINPE_V=%%v"
if not defined WINPE_V exit /b 0
if exist "{data}\systems\!WINPE_V!\unattend-!WINPE_FW!.xml" (
  set "WINPE_SYSDIR={data}\systems\!WINPE_V!"
  set "WINPE_ANSWER={data}\systems\!WINPE_V!\unattend-!WINPE_FW!.xml"
)
exit /b 0

:copy_setupcomplete
rem Into the first drive holding an installed Windows; one command per loop step (Wine's cmd substitutes %%d
rem only there), the copying in :copy_to.
set "WINPE_COPIED="
for %%d in (C D E F G H I J K L M N O P Q R U V W Y Z) do if not defined WINPE_COPIED if exist "%%d:\Windows\System32\config\SYSTEM" call :copy_to %%d
exit /b 0

:copy_to
mkdir "%~1:\Windows\Setup\Scripts" >nul 2>&1
copy /y "!WINPE_SYSDIR!\SetupComplete.cmd" "%~1:\Windows\Setup\Scripts\SetupComplete.cmd" >nul
set "WINPE_COPIED=1"
exit /b 0

:report
rem Best effort: a report Cobbler does not take never stops the install (status: cobbler-winpe status).
if exist "%SystemRoot%\System32\cscript.exe" if exist "!WINPE_HERE!{reporter}" "%SystemRoot%\System32\cscript.exe" //nologo //B "!WINPE_HERE!{reporter}" %* >nul 2>&1
exit /b 0

:http_get
rem WinPE has no curl: PowerShell when the image has it (WinPE-PowerShell), else VBScript (WinPE-Scripting).
if exist "{ps}" (
  {ps_get}
  exit /b !errorlevel!
)
if exist "%SystemRoot%\System32\cscript.exe" if exist "!WINPE_HERE!{helper}" (
  "%SystemRoot%\System32\cscript.exe" //nologo //B "!WINPE_HERE!{helper}"
  exit /b !errorlevel!
)
set "WINPE_WHY=this WinPE has neither PowerShell nor Windows Script Host to call Cobbler over HTTP"
exit /b 9

:fail_source
set "WINPE_WHY=cannot map !WINPE_SOURCE! after {net_tries} tries (network down, wrong credentials or share missing)"
goto fail
:fail_data
set "WINPE_WHY=cannot map !WINPE_DATA! (the cobbler-winpe data share)"
goto fail
:fail_answer
set "WINPE_WHY=no answer file for this machine (!WINPE_FW!): not by MAC under {data}\systems, not for profile !WINPE_PROFILE! or distro !WINPE_DISTRO!"
goto fail
:fail_setup_missing
set "WINPE_WHY={setup} not found on !WINPE_SOURCE!"
goto fail
:fail_setup
set "WINPE_CODE=!errorlevel!"
set "WINPE_WHY=setup.exe ended with error !WINPE_CODE!; see X:\Windows\Panther\setupact.log"
call :report failed !WINPE_CODE! "X:\$WINDOWS.~BT\Sources\Panther\setuperr.log" "X:\Windows\Panther\setuperr.log" "X:\Windows\Panther\setupact.log"
goto stopped
:fail_nopxe
if not defined WINPE_WHY set "WINPE_WHY=Cobbler did not answer !WINPE_NOPXE!"
set "WINPE_WHY=cannot turn netboot off (!WINPE_WHY!); not rebooting, or the machine would install again"
goto fail
:fail
call :report failed
:stopped
echo.
echo cobbler-winpe: INSTALL STOPPED: !WINPE_WHY!
echo cobbler-winpe: this prompt stays open. Fix the cause, then run "%~f0" again or type: wpeutil reboot
exit /b 1
"""


def check_password(password):
    """Refuse a share password startnet.cmd cannot hand to net.exe intact (see _check_cmd_password); the
    error line never holds the password."""
    if not password:
        raise InputError("smb password", "empty while smb_guest is false", "put it in smb_password_file")
    if password.endswith("\\"):
        raise InputError("smb password", "ends with a backslash, which net.exe reads as an escaped quote",
                         "choose another password")
    _check_cmd_password(password)
    return values.text("smb password", password, 127, forbidden='"')


def _check_cmd_password(password):
    """Refuse what cannot reach net.exe intact: cmd reads the script in the OEM code page (only printable ASCII is
    the same in all of them), net.exe takes a leading '/' as an option and a lone '*' as "ask on the console"."""
    bad = sorted({ch for ch in password if not " " <= ch <= "~"})
    if bad:
        raise InputError("smb password", "holds %d character(s) outside printable ASCII, which cmd.exe reads in the "
                         "OEM code page and would change" % len(bad), "use printable ASCII only")
    if password.startswith("/") or password == "*":
        raise InputError("smb password", "starts with '/' or is '*', which net.exe reads as an option or a prompt",
                         "choose another password")


def _credentials_lines(config, password):
    """set lines for WINPE_USER and WINPE_PASS: the read-only account, or guest with an empty password."""
    if values.flag(config.get("smb_guest", False)):
        return [values.batch_set("WINPE_USER", "smb user", "guest"), values.batch_set("WINPE_PASS", "", "")]
    user = samba.user_name(config.get("smb_user", "cobbler-winpe"))
    return [values.batch_set("WINPE_USER", "smb user", user),
            values.batch_set("WINPE_PASS", "smb password", check_password(password))]


def render_startnet(distro, server, config, password=None, profile=None):
    """startnet.cmd for DISTRO (optionally baked with a default PROFILE): map the shares with the generated
    credentials, find the answer file (systems/<MAC>, then profiles/<profile>, then distros/<distro>), run
    setup.exe /noreboot, copy SetupComplete.cmd, call Cobbler's nopxe for known systems, then reboot.
    """
    head = ["@echo off",
            "rem cobbler-winpe: start Windows Setup from the Cobbler server (generated: do not edit)",
            "setlocal EnableExtensions DisableDelayedExpansion",
            values.batch_set("WINPE_SOURCE", "source share",
                             _unc(server, samba.distro_share(distro.source_distro, config))),
            values.batch_set("WINPE_DATA", "data share", _unc(server, samba.data_share(config))),
            values.batch_set("WINPE_API", "Cobbler API URL", status.api_url(base_url(server))),
            values.batch_set("WINPE_DISTRO", "distro name", values.url_segment("distro name", distro.name)),
            values.batch_set("WINPE_PROFILE", "profile name",
                             values.url_segment("profile name", profile.name) if profile else "-"),
           ] + _credentials_lines(config, password)
    return crlf("\n".join(head) + "\n" + startnet_body(distro))


def startnet_body(distro):
    """The part of startnet.cmd after the per-distro set lines."""
    return STARTNET_BODY.format(src=SOURCE_DRIVE, data=DATA_DRIVE, net_tries=NET_TRIES, http_tries=HTTP_TRIES,
                                helper=HELPER_VBS, ps=POWERSHELL, ps_get=POWERSHELL_GET, setup=setup_program(distro),
                                image_list=drivers.IMAGE_LIST, share_list=drivers.SHARE_LIST,
                                reporter=status.REPORTER_VBS)


def render_winpeshl():
    """winpeshl.ini: run startnet.cmd in a cmd that stays open, so a failure leaves a prompt."""
    return crlf("[LaunchApps]\n%SYSTEMROOT%\\System32\\cmd.exe, /k %SYSTEMROOT%\\System32\\startnet.cmd\n")


def render_http_get_vbs():
    """cobbler-get.vbs: GET the URL in %WINPE_URL% with WinHTTP; exit 0 on HTTP 200, else 1."""
    return crlf("""' cobbler-winpe: GET the URL in %WINPE_URL% (WinPE has no curl); exit code 0 only on HTTP 200.
Option Explicit
Dim url, http
url = CreateObject("WScript.Shell").Environment("PROCESS")("WINPE_URL")
If url = "" Then WScript.Quit 2
On Error Resume Next
Set http = NewHttp()
If Err.Number <> 0 Then WScript.Quit 3
http.Open "GET", url, False
http.Send
If Err.Number <> 0 Then WScript.Quit 4
If http.Status = 200 Then WScript.Quit 0
WScript.Quit 1

""" + status.VBS_NEW_HTTP + "\n")


def render_system_cmd(system, server):
    """system.cmd in systems/<MAC>: names the Cobbler system so startnet.cmd can call nopxe for it."""
    return crlf("\n".join([
        "rem cobbler-winpe: identity of this machine for startnet.cmd (generated: do not edit)",
        values.batch_set("WINPE_SYSTEM", "system name", values.url_segment("system name", system.name)),
        values.batch_set("WINPE_NOPXE", "nopxe URL", nopxe_url(server, system.name)), ""]))


SETUPCOMPLETE_BODY = r"""setlocal EnableDelayedExpansion
set /a WINPE_TRY=0
:post
set /a WINPE_TRY+=1
if not exist "{ps}" goto post_curl
{ps_get}
if not errorlevel 1 goto posted
:post_curl
curl.exe -fsS -m 30 -o NUL "!WINPE_URL!"
if not errorlevel 1 goto posted
if !WINPE_TRY! geq {http_tries} goto failed
ping -n 6 127.0.0.1 >nul
goto post
:posted
echo cobbler-winpe: Cobbler took the install-post report (!WINPE_URL!)
exit /b 0
:failed
echo cobbler-winpe: Cobbler did not take the install-post report after {http_tries} tries (!WINPE_URL!)
exit /b 1
"""


def render_setupcomplete(system, server):
    """SetupComplete.cmd: runs once as SYSTEM when setup ends and calls Cobbler's install-post trigger
    (Windows PowerShell when present, else curl.exe, 5 tries about 5 s apart)."""
    return crlf("\n".join([
        "@echo off",
        "rem cobbler-winpe: tell Cobbler this system finished installing (generated: do not edit)",
        "setlocal EnableExtensions DisableDelayedExpansion",
        values.batch_set("WINPE_URL", "post trigger URL", post_trigger_url(server, system.name))])
        + "\n" + SETUPCOMPLETE_BODY.format(http_tries=HTTP_TRIES, ps=POWERSHELL, ps_get=POWERSHELL_GET))


def winpe_files(distro, server, config, password=None, profile=None):
    """The files placed in X:\\Windows\\System32 of WinPE (in the WIM or as wimboot initrds), by name."""
    files = {"startnet.cmd": render_startnet(distro, server, config, password, profile),
             "winpeshl.ini": render_winpeshl(),
             HELPER_VBS: render_http_get_vbs(),
             status.REPORTER_VBS: status.render_reporter_vbs()}
    driver_set = image_drivers(distro)
    if driver_set and driver_set.net_infs:
        files[drivers.IMAGE_LIST] = drivers.image_list(driver_set)
    return files


def image_drivers(distro):
    """The DriverSet whose network drivers go into DISTRO's WinPE image: the distro's own winpe_drivers (one
    image serves every profile and system of the distro, and wimboot's injected files hold no folders), or None."""
    return drivers.for_meta(distro.meta)


def winpe_driver_files(distro):
    """{System32-relative path: host path} of the network driver folders the WinPE image carries."""
    driver_set = image_drivers(distro)
    return drivers.image_files(driver_set) if driver_set else {}


def _answer_drivers(found, *items):
    """The DriverSet the blended winpe_drivers of ITEMS (distro, profile[, system]) names; FOUND caches scans."""
    folder = (blend(*(item.meta for item in items if item)).get(drivers.META_KEY) or "").strip()
    if folder and folder not in found:
        found[folder] = drivers.scan(folder)
    return found.get(folder) if folder else None


def _answer_folders(distros, profiles, systems):
    """(share folder, distro, profile, system or None) of every answer-file folder data_tree writes."""
    by_distro = {distro.name: distro for distro in distros if distro.start_files != IMAGE_FILES}   # not as-is WinPEs
    for profile in profiles:
        distro = by_distro.get(profile.distro)
        if distro:
            yield [profile_dir(profile.name)], distro, profile, None
    served = {}   # a MAC's folder comes from the system that serves that MAC in DHCP too (inventory.unique_macs)
    hosts = inventory.windows_hosts(systems, profiles, list(by_distro.values()))
    for mac, system, profile, distro, _others in inventory.unique_macs(hosts):
        served.setdefault(system.name, (system, profile, distro, []))[3].append(system_dir(mac))
    for system, profile, distro, folders in served.values():
        yield folders, distro, profile, system


def data_tree(distros, profiles, systems, server, template_dirs, config=None):
    """Every generated file of the data share, by path relative to it: profiles/<p>/unattend-<fw>.xml for each
    profile, systems/<MAC>/{unattend-<fw>.xml, system.cmd, SetupComplete.cmd} for each netboot-enabled system (none
    for a WinPE booted with its own start files), and drivers.txt beside the answer files whose metadata names winpe_drivers (the driver files: data_copies)."""
    from cobbler_winpe.gen import unattend   # Cheetah is only needed when answer files are made
    share = _unc(server, samba.data_share(config or {}))
    files, found = {}, {}
    for folders, distro, profile, system in _answer_folders(distros, profiles, systems):
        context = unattend.unattend_context(distro, profile, system, config)
        driver_set = _answer_drivers(found, distro, profile, system)
        own = {}
        if driver_set:
            context["driver_paths"] = [drivers.share_path(share, driver_set)]
            if driver_set.other_infs:
                own[drivers.SHARE_LIST] = drivers.share_list(driver_set)
        if system:
            context["first_logon"] = context["first_logon"] + firstboot_commands(system, server)
        own.update((answer_name(fw), unattend.render_unattend(context, fw, template_dirs)) for fw in FIRMWARES)
        if system:
            own["system.cmd"] = render_system_cmd(system, server)
            own["SetupComplete.cmd"] = render_setupcomplete(system, server)
        for folder in folders:
            files.update((posixpath.join(folder, name), text) for name, text in own.items())
    return files


def data_copies(distros, profiles, systems):
    """{data-share relpath: host path} of the driver files the answer folders' winpe_drivers name."""
    copies, found = {}, {}
    for _folders, distro, profile, system in _answer_folders(distros, profiles, systems):
        driver_set = _answer_drivers(found, distro, profile, system)
        if driver_set:
            copies.update(drivers.share_files(driver_set))
    return copies
