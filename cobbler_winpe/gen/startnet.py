"""WinPE start files: startnet.cmd, winpeshl.ini, the HTTP helper, per-system system.cmd and SetupComplete.cmd."""
import posixpath

from cobbler_winpe.errors import InputError, WinpeError
from cobbler_winpe.gen.model import FIRMWARES, IMAGE_FILES, blend
from cobbler_winpe.gen import cheetah, drivers, inventory, samba, status, values

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
    return values.http_base(server.address, server.http_port)


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


def _script(templates, name, context, distro, profile=None, system=None):
    """snippets/windows/NAME.tmpl for these items (their overrides first), rendered with CONTEXT, CRLF line ends."""
    return cheetah.render_script(templates, cheetah.WINDOWS_DIR + name + ".tmpl", context, distro, profile, system)


def _batch(what, value):
    """VALUE escaped for the inside of set "NAME=value" (values.batch_value), marked safe for the template."""
    return cheetah.Safe(values.batch_value(what, value))


def _constants(distro):
    """The script templates' fixed values: drives, tries, helper names, the setup.exe DISTRO's build honours."""
    return {"source_drive": SOURCE_DRIVE, "data_drive": DATA_DRIVE, "net_tries": NET_TRIES, "http_tries": HTTP_TRIES,
            "helper_vbs": HELPER_VBS, "reporter_vbs": status.REPORTER_VBS, "powershell": POWERSHELL,
            "powershell_get": POWERSHELL_GET, "setup_exe": setup_program(distro) if distro else "",
            "image_list": drivers.IMAGE_LIST, "share_list": drivers.SHARE_LIST}


def _credentials(config, password):
    """The $winpe_user and $winpe_pass of startnet.cmd: the read-only account, or guest with an empty password."""
    if values.flag(config.get("smb_guest", False)):
        return {"winpe_user": _batch("smb user", "guest"), "winpe_pass": _batch("", "")}
    user = samba.user_name(config.get("smb_user", "cobbler-winpe"))
    return {"winpe_user": _batch("smb user", user), "winpe_pass": _batch("smb password", check_password(password))}


def startnet_context(distro, server, config, password=None, profile=None):
    """The values of startnet.cmd.tmpl: the escaped $winpe_* set values and the constants."""
    context = {
        "winpe_source": _batch("source share", _unc(server, samba.distro_share(distro.source_distro, config))),
        "winpe_data": _batch("data share", _unc(server, samba.data_share(config))),
        "winpe_api": _batch("Cobbler API URL", status.api_url(base_url(server))),
        "winpe_distro": _batch("distro name", values.url_segment("distro name", distro.name)),
        "winpe_profile": _batch("profile name", values.url_segment("profile name", profile.name) if profile else "-")}
    return dict(context, **_credentials(config, password), **_constants(distro))


def render_startnet(distro, server, config, password=None, profile=None, *, templates):
    """startnet.cmd for DISTRO (optionally baked with a default PROFILE): map the shares with the generated
    credentials, find the answer file (systems/<MAC>, then profiles/<profile>, then distros/<distro>), run
    setup.exe /noreboot, copy SetupComplete.cmd, call Cobbler's nopxe for known systems, then reboot.
    TEMPLATES (cobbler_winpe.snippets.Templates) finds windows/startnet.cmd.tmpl and its overrides.
    """
    context = startnet_context(distro, server, config, password, profile)
    return _script(templates, "startnet.cmd", context, distro, profile)


def render_winpeshl(distro=None, profile=None, *, templates):
    """winpeshl.ini: run startnet.cmd in a cmd that stays open, so a failure leaves a prompt."""
    return _script(templates, "winpeshl.ini", {}, distro, profile)


def render_http_get_vbs(distro=None, profile=None, *, templates):
    """cobbler-get.vbs: GET the URL in %WINPE_URL% with WinHTTP; exit 0 on HTTP 200, else 1."""
    return _script(templates, HELPER_VBS, {}, distro, profile)


def render_system_cmd(system, server, distro=None, profile=None, *, templates):
    """system.cmd in systems/<MAC>: names the Cobbler system so startnet.cmd can call nopxe for it."""
    context = {"winpe_system": _batch("system name", values.url_segment("system name", system.name)),
               "winpe_nopxe": _batch("nopxe URL", nopxe_url(server, system.name))}
    return _script(templates, "system.cmd", context, distro, profile, system)


def render_setupcomplete(system, server, distro=None, profile=None, *, templates):
    """SetupComplete.cmd: runs once as SYSTEM when setup ends and calls Cobbler's install-post trigger
    (Windows PowerShell when present, else curl.exe, 5 tries about 5 s apart)."""
    context = dict(_constants(None), winpe_url=_batch("post trigger URL", post_trigger_url(server, system.name)))
    return _script(templates, "SetupComplete.cmd", context, distro, profile, system)


def winpe_files(distro, server, config, password=None, profile=None, *, templates, scan=None):
    """The files placed in X:\\Windows\\System32 of WinPE (in the WIM or as wimboot initrds), by name."""
    files = {"startnet.cmd": render_startnet(distro, server, config, password, profile, templates=templates),
             "winpeshl.ini": render_winpeshl(distro, profile, templates=templates),
             HELPER_VBS: render_http_get_vbs(distro, profile, templates=templates),
             status.REPORTER_VBS: status.render_reporter_vbs(distro, profile, templates=templates)}
    driver_set = image_drivers(distro, scan)
    if driver_set and driver_set.net_infs:
        files[drivers.IMAGE_LIST] = drivers.image_list(driver_set)
    return files


def image_drivers(distro, scan=None):
    """The DriverSet whose network drivers go into DISTRO's WinPE image: the distro's own winpe_drivers (one
    image serves every profile and system of the distro, and wimboot's injected files hold no folders), or None."""
    return drivers.for_meta(distro.meta, scan)


def winpe_driver_files(distro, scan=None):
    """{System32-relative path: host path} of the network driver folders the WinPE image carries (SCAN:
    host/drivers.scan reads them)."""
    driver_set = image_drivers(distro, scan)
    return drivers.image_files(driver_set) if driver_set else {}


def _answer_drivers(found, scan, *items):
    """The DriverSet the blended winpe_drivers of ITEMS (distro, profile[, system]) names; FOUND caches SCAN's."""
    meta = blend(*(item.meta for item in items if item))
    folder = (meta.get(drivers.META_KEY) or "").strip()
    if folder and folder not in found:
        found[folder] = drivers.for_meta(meta, scan)
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


def data_tree(distros, profiles, systems, server, templates, config=None, skip=None, scan=None):
    """Every generated file of the data share, by path relative to it: profiles/<p>/unattend-<fw>.xml for each
    profile, systems/<MAC>/{unattend-<fw>.xml, system.cmd, SetupComplete.cmd} for each netboot-enabled system (none
    for a WinPE booted with its own start files), and drivers.txt beside the answer files whose metadata names
    winpe_drivers (the driver files: data_copies).  TEMPLATES finds each file's template and its overrides.
    SKIP(kind, name, error): called for a profile or system whose files cannot be made (a broken override), whose
    folder is then left out while the others are made; without it the error is raised."""
    share = _unc(server, samba.data_share(config or {}))
    files, found = {}, {}
    for folders, distro, profile, system in _answer_folders(distros, profiles, systems):
        try:
            own = _folder_files(distro, profile, system, server, templates, config, share, (found, scan))
        except WinpeError as err:
            if skip is None:
                raise
            skip("system" if system else "profile", (system or profile).name, err)
            continue
        for folder in folders:
            files.update((posixpath.join(folder, name), text) for name, text in own.items())
    return files


def _folder_files(distro, profile, system, server, templates, config, share, reader):
    """{name: text} of one answer folder: the answer files, drivers.txt, and a system's system.cmd and
    SetupComplete.cmd."""
    from cobbler_winpe.gen import unattend   # Cheetah is only needed when answer files are made
    context = unattend.unattend_context(distro, profile, system, config)
    driver_set = _answer_drivers(*reader, distro, profile, system)
    own = {}
    if driver_set:
        context["driver_paths"] = [drivers.share_path(share, driver_set)]
        if driver_set.other_infs:
            own[drivers.SHARE_LIST] = drivers.share_list(driver_set)
    if system:
        context["first_logon"] = context["first_logon"] + firstboot_commands(system, server)
    own.update((answer_name(fw), unattend.render_unattend(context, fw, templates)) for fw in FIRMWARES)
    if system:
        own["system.cmd"] = render_system_cmd(system, server, distro, profile, templates=templates)
        own["SetupComplete.cmd"] = render_setupcomplete(system, server, distro, profile, templates=templates)
    return own


def data_copies(distros, profiles, systems, scan=None):
    """{data-share relpath: host path} of the driver files the answer folders' winpe_drivers name (SCAN reads
    them: host/drivers.scan)."""
    copies, found = {}, {}
    for _folders, distro, profile, system in _answer_folders(distros, profiles, systems):
        driver_set = _answer_drivers(found, scan, distro, profile, system)
        if driver_set:
            copies.update(drivers.share_files(driver_set))
    return copies
