"""What the WinPE tools do when the stand-ins call: documented syntax checks, net use via real smbclient (24H2 rules)."""
import http.server
import os
import re
import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

from winebed import windows_argv

NET_OK = "The command completed successfully.\r\n"
NET_ERRORS = {   # net.exe's text for the system errors a refused share gives
    5: "Access is denied.",
    53: "The network path was not found.",
    59: "An unexpected network error occurred.",
    67: "The network name cannot be found.",
    85: "The local device name is already in use.",
    86: "The specified network password is not correct.",
    1272: "You can't access this shared folder because your organization's security policies block "
          "unauthenticated guest access. These policies help protect your PC from unsafe or malicious devices "
          "on the network.",
}
SMB_STATUS = {"NT_STATUS_LOGON_FAILURE": 86, "NT_STATUS_WRONG_PASSWORD": 86, "NT_STATUS_ACCESS_DENIED": 5,
              "NT_STATUS_BAD_NETWORK_NAME": 67, "NT_STATUS_CONNECTION_REFUSED": 53,
              "NT_STATUS_HOST_UNREACHABLE": 53, "NT_STATUS_IO_TIMEOUT": 53, "NT_STATUS_CONNECTION_RESET": 53}
# Windows 11 24H2 as an SMB client: SMB2 or later, signing required, no guest fallback.
CLIENT_24H2 = ["--option=client min protocol=SMB2", "--option=client signing=required"]
WPEUTIL_COMMANDS = {"createpagefile", "disablefirewall", "enablefirewall", "initializenetwork",
                    "listkeyboardlayouts", "reboot", "saveprofile", "setkeyboardlayout", "setmuilanguage",
                    "setuserlocale", "shutdown", "updatebootinfo", "waitfornetwork", "waitforremovablestorage"}
CONTROL_KEY = "hklm\\system\\currentcontrolset\\control"
SETUP_OPTIONS = ("/unattend:", "/noreboot", "/auto:", "/quiet", "/dynamicupdate:", "/compat:", "/eula:")
UNATTEND_NS = "{urn:schemas-microsoft-com:unattend}"
NEW_SETUP_BUILD = 26100     # media whose root setup.exe starts the new setup (ConX), which ignores switches
WIN11_BUILD = 22000         # setup checks TPM 2.0 and Secure Boot from here on
LABCONFIG_KEY = "hklm\\system\\setup\\labconfig"
LABCONFIG_NEEDED = {"BypassTPMCheck", "BypassSecureBootCheck"}
REG_TYPES = ("REG_SZ", "REG_MULTI_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_BINARY", "REG_NONE")
# curl's options the scripts may use (curl(1)): switches, and options that take the next word (or "-m30")
CURL_SWITCHES = {"f": "fail", "s": "silent", "S": "show-error"}
CURL_VALUED = {"m": "max-time", "o": "output"}


def net_error(number):
    return 2, "System error %d has occurred.\r\n\r\n%s\r\n\r\n" % (number, NET_ERRORS[number])


class WinPE:
    """One simulated WinPE boot: firmware, NICs, boot options, the SMB servers it can reach; records EVENTS."""

    def __init__(self, prefix, workdir, smb_ports, firmware="uefi", macs=("52-54-00-12-34-56",),
                 start_options="NOEXECUTE=OPTIN", setup_code=0, tpm=True):
        self.prefix, self.workdir, self.smb_ports = prefix, workdir, smb_ports
        self.firmware, self.macs, self.start_options, self.setup_code = firmware, macs, start_options, setup_code
        self.tpm = tpm                      # a TPM 2.0 and Secure Boot, as Windows 11 setup checks
        self.labconfig = set()              # HKLM\SYSTEM\Setup\LabConfig values set to 1 before setup's check
        self.events, self.calls, self.passwords = [], [], []
        self.network_up = self.boot_info = False
        self.mapped = {}
        self.setup_answer = self.setup_image = None
        self.firmware_entries = FIRMWARE_ENTRIES   # what the UEFI firmware boot manager lists (bcdedit /enum)

    def answer(self, call):
        self.calls.append(call)
        handler = getattr(self, "tool_" + call.name, None)
        if handler is None:
            self.events.append(("unknown tool", call.name))
            return 9009, "'%s' is not a stand-in\r\n" % call.name
        return handler([arg for arg in call.argv[1:]], call)

    # -- tools ------------------------------------------------------------------------------------------------
    def tool_wpeinit(self, args, call):
        self.events.append(("wpeinit",))
        if args and not all(arg.lower().startswith("-unattend:") for arg in args):
            return 1, "wpeinit: bad arguments %r\r\n" % args
        self.network_up = True
        return 0, ""

    def tool_wpeutil(self, args, call):
        command = args[0].lower() if args else ""
        self.events.append(("wpeutil", command))
        if command not in WPEUTIL_COMMANDS:
            return 1, "wpeutil: unknown command %r\r\n" % command
        if command == "updatebootinfo":
            self.boot_info = True
        return 0, ""

    def tool_ping(self, args, call):
        ok = len(args) == 3 and args[0].lower() == "-n" and args[1].isdigit() and args[2]
        return (0, "Reply from 127.0.0.1: bytes=32 time<1ms TTL=128\r\n") if ok else (1, "Bad parameter\r\n")

    def tool_reg(self, args, call):
        if len(args) != 4 or args[0].lower() != "query" or args[1].lower() != CONTROL_KEY or args[2].lower() != "/v":
            self.events.append(("reg", "bad", tuple(args)))
            return 1, "ERROR: Invalid syntax.\r\n"
        name = args[3]
        self.events.append(("reg", name))
        value = None
        if name.lower() == "pefirmwaretype" and self.boot_info:
            value = ("REG_DWORD", "0x2" if self.firmware == "uefi" else "0x1")
        elif name.lower() == "systemstartoptions":
            value = ("REG_SZ", " " + self.start_options)
        if value is None:
            return 1, "ERROR: The system was unable to find the specified registry key or value.\r\n"
        return 0, "\r\nHKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Control\r\n    %s    %s    %s\r\n\r\n" % (
            name, value[0], value[1])

    def tool_ipconfig(self, args, call):
        self.events.append(("ipconfig", tuple(args)))
        if [arg.lower() for arg in args] != ["/all"]:
            return 1, "Error: unrecognized or incomplete command line.\r\n"
        return 0, ipconfig_all(self.macs)

    def tool_net(self, args, call):
        if not args or args[0].lower() != "use":
            self.events.append(("net", "bad", tuple(args)))
            return 1, "The syntax of this command is:\r\n\r\nNET\r\n"
        return self.net_use(args[1:])

    def tool_setup(self, args, call):
        """setup.exe: /unattend:<answer file> that exists and parses; the install image index the answer file
        names exists in the share's sources\\install.wim (real wiminfo); then leaves an installed Windows on D:."""
        answer = [arg[len("/unattend:"):] for arg in args if arg.lower().startswith("/unattend:")]
        self.events.append(("setup", call.exe, tuple(args)))
        bad = [arg for arg in args if not arg.lower().startswith(SETUP_OPTIONS)]
        if bad or len(answer) != 1:
            return 1, "setup: bad arguments %r\r\n" % args
        host = self.prefix.unix_path(answer[0])
        if host is None:
            return 1, "setup: answer file %s not found\r\n" % answer[0]
        root = ET.parse(host).getroot()
        if root.tag != UNATTEND_NS + "unattend":
            return 1, "setup: %s is no answer file\r\n" % answer[0]
        self.setup_answer = host
        self.setup_image = self.install_image(call.exe, root)
        if self.setup_image[2] != 0:
            return 1, "setup: no image %s in %s\r\n" % self.setup_image[1::-1]
        build = self.setup_image[3]
        if build >= NEW_SETUP_BUILD and not _in_sources(call.exe):
            self.events.append(("setup", "ConX"))
            return 1, "setup: the new setup (ConX) started; it ignores /unattend and waits for a user\r\n"
        self.run_windows_pe_commands(root)
        if build >= WIN11_BUILD and not self.tpm and not LABCONFIG_NEEDED <= self.labconfig:
            return 1, "setup: This PC can't run Windows 11 (no TPM 2.0, no Secure Boot)\r\n"
        target = os.path.join(self.workdir, "target")
        os.makedirs(os.path.join(target, "Windows", "System32", "config"), exist_ok=True)
        open(os.path.join(target, "Windows", "System32", "config", "SYSTEM"), "wb").close()
        self.prefix.map_drive("D:", target)    # the installed Windows, as setup leaves it for SetupComplete
        return self.setup_code, ""

    def install_image(self, setup_exe, answer):
        """(install image path, index, wiminfo exit code): the image index ANSWER's windowsPE ImageInstall names,
        looked up with wiminfo in sources\\install.wim beside SETUP_EXE (S:\\setup.exe or S:\\sources\\setup.exe)."""
        index = None
        for meta in answer.iter(UNATTEND_NS + "MetaData"):
            if (meta.findtext(UNATTEND_NS + "Key") or "").upper() == "/IMAGE/INDEX":
                index = meta.findtext(UNATTEND_NS + "Value")
        folder = setup_exe.replace("/", "\\").rsplit("\\", 1)[0]
        if not folder.lower().endswith("\\sources"):
            folder += "\\sources"
        wim = self.prefix.unix_path(folder + "\\install.wim")
        if wim is None or not index:
            return folder + "\\install.wim", index, 1, 0
        done = subprocess.run(["wiminfo", wim, index], capture_output=True, text=True, timeout=60)
        build = re.search(r"^Build:\s+([0-9]+)$", done.stdout, re.M)
        return wim, index, done.returncode, int(build.group(1)) if build else 0

    def run_windows_pe_commands(self, answer):
        """What the previous setup does first with the answer file: the windowsPE pass's RunSynchronous
        commands of Microsoft-Windows-Setup, in Order; `reg add` of values under LabConfig is applied."""
        commands = []
        for settings in answer.iter(UNATTEND_NS + "settings"):
            if settings.get("pass") != "windowsPE":
                continue
            for command in settings.iter(UNATTEND_NS + "RunSynchronousCommand"):
                commands.append((int(command.findtext(UNATTEND_NS + "Order")), command.findtext(UNATTEND_NS + "Path")))
        for _, path in sorted(commands):
            argv = windows_argv(path)
            self.events.append(("setup runs", argv[0]))
            if argv[0].lower() in ("reg", "reg.exe") and reg_add(argv[1:]) and \
                    argv[2].lower() == LABCONFIG_KEY and argv[7:9] == ["/d", "1"]:
                self.labconfig.add(argv[4])

    def tool_powershell(self, args, call):
        """WinPE-PowerShell stand-in: does the GET the script's one-liner does (URL from %WINPE_URL%)."""
        self.events.append(("powershell", call.url))
        if not call.url.startswith(("http://", "https://")):
            return 1, ""
        code, status = http_get(call.url, 20)
        return (0 if code == 0 and status == 200 else 1), ""

    def tool_drvload(self, args, call):
        """drvload inf_path [,inf_path [...]] (Microsoft, Drvload Command-Line Options): one or more paths of
        existing .inf files; records each with the Class of its [Version] section."""
        paths = [path.strip() for path in " ".join(args).split(",") if path.strip()]
        if not paths or not all(path.lower().endswith(".inf") for path in paths):
            self.events.append(("drvload", "bad", tuple(args)))
            return 1, "DrvLoad: expected one or more .inf paths\r\n"
        for path in paths:
            host = self.prefix.unix_path(path)
            if host is None:
                self.events.append(("drvload", "missing", path))
                return 2, "DrvLoad: Unable to load %s (Error 0x80070002)\r\n" % path
            self.events.append(("drvload", path, inf_class_of(host)))
        return 0, "DrvLoad: Successfully loaded %s.\r\n" % ", ".join(paths)

    def tool_curl(self, args, call):
        """curl.exe (Windows 10 1803+): options as curl(1) documents them; GETs the one URL for real."""
        try:
            options, url = curl_command(args)
        except ValueError as err:
            self.events.append(("curl", "bad", tuple(args)))
            return 2, "curl: %s\r\ncurl: try 'curl --help' for more information\r\n" % err
        self.events.append(("curl", url))
        output = options.get("output", "NUL")
        target = None if output.upper() == "NUL" else self.output_path(output)
        if output.upper() != "NUL" and target is None:
            return 23, "curl: (23) Failure writing output to destination\r\n"
        code, status = http_get(url, float(options.get("max-time", "300")), target)
        if code == 0 and status >= 400 and "fail" in options:
            code = 22
        if code and "show-error" in options:
            return code, "curl: (%d) %s\r\n" % (code, CURL_ERRORS.get(code, "error"))
        return code, ""

    def output_path(self, windows_path):
        """The host path a tool writing WINDOWS_PATH creates (its folder must exist), or None."""
        folder, _, name = windows_path.rpartition("\\")
        parent = self.prefix.unix_path(folder + "\\") if folder else None
        return os.path.join(parent, name) if parent and name else None

    def tool_bcdedit(self, args, call):
        """bcdedit.exe: `/enum firmware` lists the firmware boot manager's entries (UEFI only); `/set {fwbootmgr}
        bootsequence {id}` takes one of their identifiers (bcdedit /? bootsequence)."""
        words = [arg.lower() for arg in args]
        if words == ["/enum", "firmware"]:
            self.events.append(("bcdedit", "/enum", "firmware"))
            if self.firmware != "uefi":
                return 1, BCDEDIT_NO_FIRMWARE
            return 0, bcdedit_firmware(self.firmware_entries)
        if len(words) == 4 and words[:3] == ["/set", "{fwbootmgr}", "bootsequence"]:
            known = {entry_id.lower() for entry_id, _ in self.firmware_entries}
            if self.firmware != "uefi" or words[3] not in known:
                self.events.append(("bcdedit", "bad id", args[3]))
                return 1, "The element data type specified is not recognized, or does not apply to the specified entry.\r\n"
            self.events.append(("bcdedit", "bootsequence", args[3]))
            return 0, "The operation completed successfully.\r\n"
        self.events.append(("bcdedit", "bad", tuple(args)))
        return 1, "The parameter is incorrect.\r\n"

    def tool_shutdown(self, args, call):
        """shutdown.exe: /r, /t 0-315360000, /d [p|u:]xx:yy, /c "comment" of at most 512 characters."""
        opts, words = {}, list(args)
        while words:
            word = words.pop(0).lower()
            if word in ("/r", "/s", "/f"):
                opts[word] = True
            elif word in ("/t", "/d", "/c") and words:
                opts[word] = words.pop(0)
            else:
                self.events.append(("shutdown", "bad", tuple(args)))
                return 1, "shutdown: invalid option %s\r\n" % word
        good = ("/r" in opts and re.fullmatch(r"\d{1,9}", opts.get("/t", "30"))
                and re.fullmatch(r"([pu]:)?\d{1,3}:\d{1,5}", opts.get("/d", "p:0:0"), re.I)
                and len(opts.get("/c", "")) <= 512)
        self.events.append(("shutdown", "/r" if good else "bad", opts.get("/t")))
        return (0, "") if good else (87, "The parameter is incorrect.(87)\r\n")

    # -- net use ----------------------------------------------------------------------------------------------
    def net_use(self, args):
        options = [arg for arg in args if arg.startswith("/")]
        words = [arg for arg in args if not arg.startswith("/")]
        opts = {}
        for option in options:
            key, _, value = option[1:].partition(":")
            key = key.lower()
            if key not in ("delete", "d", "y", "yes", "persistent", "user", "u"):
                self.events.append(("net use", "unknown option", option))
                return 1, "The option %s is unknown.\r\n" % option
            opts[key] = value
        device = words[0].upper() if words and (words[0] == "*" or _is_drive(words[0])) else None
        if "delete" in opts or "d" in opts:
            if device is None or len(words) != 1:
                return 1, "The syntax of this command is:\r\n\r\nNET USE\r\n"
            present = self.prefix.unmap_drive(device)
            self.mapped.pop(device, None)
            self.events.append(("net use /delete", device, present))
            return (0, "%s was deleted successfully.\r\n" % device) if present else (
                2, "The network connection could not be found.\r\n\r\nMore help is available by typing "
                   "NET HELPMSG 2250.\r\n")
        rest = words[1:] if device else words
        if not rest or not rest[0].startswith("\\\\") or len(rest) > 2:
            self.events.append(("net use", "bad", tuple(args)))
            return 1, "The syntax of this command is:\r\n\r\nNET USE\r\n"
        remote = rest[0]
        password = rest[1] if len(rest) == 2 else ""
        user = opts.get("user", opts.get("u", ""))
        self.passwords.append(password)
        code, text = self.map_share(device, remote, user, password, opts)
        self.events.append(("net use", device, remote, code))
        return code, text

    def map_share(self, device, remote, user, password, opts):
        if opts.get("persistent", "no").lower() not in ("yes", "no"):
            return 1, "The option /PERSISTENT:%s is unknown.\r\n" % opts["persistent"]
        if password == "*":
            return 2, "Type the password for %s: (no console input: net.exe would wait here)\r\n" % remote
        if not self.network_up:
            return net_error(53)
        if device in self.mapped or (device and os.path.lexists(self.prefix.drive(device))):
            return net_error(85)
        parts = remote[2:].split("\\")
        if len(parts) != 2 or not all(parts):
            return net_error(67)
        host, share = parts
        if host not in self.smb_ports:
            return net_error(53)
        if not user or user.lower().rsplit("\\", 1)[-1] == "guest":
            return net_error(1272)
        dest = os.path.join(self.workdir, "mapped", (device or "star").rstrip(":").lower())
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        code = fetch_share(host, self.smb_ports[host], share, user, password, dest)
        if code:
            return net_error(code)
        if device:
            self.prefix.map_drive(device, dest)
            self.mapped[device] = remote
        return 0, NET_OK


def inf_class_of(path):
    """The Class= of an .inf file's [Version] section (UTF-16LE with BOM or 8-bit), lower case."""
    with open(path, "rb") as handle:
        data = handle.read()
    text = data[2:].decode("utf-16-le") if data.startswith(b"\xff\xfe") else data.decode("latin-1")
    version = re.search(r"^\s*\[version\](.*?)(^\s*\[|\Z)", text, re.I | re.M | re.S)
    found = re.search(r"^\s*class\s*=\s*\"?([A-Za-z0-9_]+)", version.group(1), re.I | re.M) if version else None
    return found.group(1).lower() if found else ""


def _in_sources(exe):
    return exe.replace("/", "\\").lower().rsplit("\\", 2)[-2:-1] == ["sources"]


def reg_add(args):
    """True when ARGS are `reg add` arguments as reg.exe documents them: add KEY /v NAME /t TYPE /d DATA /f."""
    return (len(args) == 9 and args[0].lower() == "add" and args[1].upper().startswith(("HKLM\\", "HKCU\\"))
            and [args[2].lower(), args[4].lower(), args[6].lower(), args[8].lower()] == ["/v", "/t", "/d", "/f"]
            and args[5].upper() in REG_TYPES)


def _is_drive(word):
    return len(word) == 2 and word[1] == ":" and word[0].upper() in "DEFGHIJKLMNOPQRSTUVWXYZ"


def fetch_share(host, port, share, user, password, dest):
    """Copy the whole share to DEST with smbclient under 24H2 client rules; 0 or the net.exe system error."""
    env = {key: value for key, value in os.environ.items() if key not in ("USER", "LOGNAME")}
    env["PASSWD"] = password
    argv = ["smbclient", "-s", "/dev/null", "-p", str(port), "//%s/%s" % (host, share), "-U", user,
            *CLIENT_24H2, "-c", "prompt OFF; recurse ON; mget *"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=dest)
    out = done.stdout + done.stderr
    if done.returncode == 0 and "NT_STATUS_" not in out:
        return 0
    for status, number in SMB_STATUS.items():
        if status in out:
            return number
    return 59


CURL_ERRORS = {7: "Failed to connect to the server", 22: "The requested URL returned error",
               28: "Operation timed out", 3: "URL rejected: Bad hostname"}


def curl_command(args):
    """({long option: value}, url) as curl parses ARGS; ValueError for what curl would refuse."""
    options, urls, words = {}, [], list(args)
    while words:
        word = words.pop(0)
        if word.startswith("--"):
            name = word[2:]
            if name in CURL_SWITCHES.values():
                options[name] = True
            elif name in CURL_VALUED.values():
                if not words:
                    raise ValueError("option %s: requires parameter" % word)
                options[name] = words.pop(0)
            else:
                raise ValueError("option %s: is unknown" % word)
        elif word.startswith("-") and len(word) > 1:
            letters = word[1:]
            while letters:
                letter, letters = letters[0], letters[1:]
                if letter in CURL_SWITCHES:
                    options[CURL_SWITCHES[letter]] = True
                elif letter in CURL_VALUED:
                    value = letters or (words.pop(0) if words else None)
                    if value is None:
                        raise ValueError("option -%s: requires parameter" % letter)
                    options[CURL_VALUED[letter]], letters = value, ""
                else:
                    raise ValueError("option -%s: is unknown" % letter)
        else:
            urls.append(word)
    if len(urls) != 1 or not urls[0].startswith(("http://", "https://")):
        raise ValueError("(3) expected one http(s) URL, got %r" % urls)
    if "max-time" in options and not re.fullmatch(r"[0-9]+(\.[0-9]+)?", options["max-time"]):
        raise ValueError("option -m: expected a proper numerical parameter")
    return options, urls[0]


def http_get(url, timeout, target=None):
    """(curl exit code, HTTP status) of a GET of URL; the body goes to the host file TARGET when one is given."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            body = reply.read()
            if target:
                with open(target, "wb") as handle:
                    handle.write(body)
            return 0, reply.status
    except urllib.error.HTTPError as err:
        return 0, err.code
    except (socket.timeout, TimeoutError):
        return 28, 0
    except (urllib.error.URLError, OSError):
        return 7, 0


BCDEDIT_NO_FIRMWARE = ("The boot configuration data store could not be opened.\r\n"
                       "The request is not supported.\r\n")
FIRMWARE_ENTRIES = (("{a1b2c3d4-0001-11ef-8000-525400123456}", "Windows Boot Manager"),
                    ("{a1b2c3d4-0002-11ef-8000-525400123456}", "UEFI QEMU HARDDISK QM00001"),
                    ("{a1b2c3d4-0003-11ef-8000-525400123456}", "UEFI PXEv4 (MAC:525400123456)"),
                    ("{a1b2c3d4-0004-11ef-8000-525400123456}", "EFI Network 0 for IPv4 (52-54-00-12-34-56)"))


def bcdedit_firmware(entries):
    """`bcdedit /enum firmware` as Windows 11 en-US prints it for ENTRIES [(identifier, description)]."""
    lines = ["", "Firmware Boot Manager", "---------------------", "identifier              {fwbootmgr}"]
    lines += ["displayorder            %s" % (entries[0][0] if i == 0 else "") + ("" if i == 0 else
              " " * 24 + entries[i][0]) for i in range(len(entries))]
    lines += ["timeout                 0", ""]
    for entry_id, description in entries:
        lines += ["Firmware Application (101fffff)", "-------------------------------",
                  "identifier              %s" % entry_id, "description             %s" % description, ""]
    return "\r\n".join(lines) + "\r\n"


def ipconfig_all(macs):
    """`ipconfig /all` as Windows 10/11 en-US prints it: an adapter per MAC, with the lines that carry colons."""
    lines = ["", "Windows IP Configuration", "",
             "   Host Name . . . . . . . . . . . . : minint-7h2k9q1",
             "   Primary Dns Suffix  . . . . . . . : ",
             "   Node Type . . . . . . . . . . . . : Hybrid",
             "   IP Routing Enabled. . . . . . . . : No", ""]
    for number, mac in enumerate(macs):
        lines += ["Ethernet adapter Ethernet%s:" % (" %d" % (number + 1) if number else ""), "",
                  "   Connection-specific DNS Suffix  . : example.com",
                  "   Description . . . . . . . . . . . : Intel(R) PRO/1000 MT Network Connection #%d" % (number + 1),
                  "   Physical Address. . . . . . . . . : %s" % mac,
                  "   DHCP Enabled. . . . . . . . . . . : Yes",
                  "   Link-local IPv6 Address . . . . . : fe80::5054:ff:fe12:%d%%%d(Preferred) " % (number, number + 4),
                  "   IPv4 Address. . . . . . . . . . . : 10.0.2.%d(Preferred) " % (15 + number),
                  "   Subnet Mask . . . . . . . . . . . : 255.255.255.0",
                  "   Lease Obtained. . . . . . . . . . : Wednesday, December 2, 2026 7:00:01 PM",
                  "   Default Gateway . . . . . . . . . : 10.0.2.2",
                  "   DHCPv6 Client DUID. . . . . . . . : 00-01-00-01-2E-AB-CD-EF-%s" % mac,
                  "   NetBIOS over Tcpip. . . . . . . . : Enabled", ""]
    return "\r\n".join(lines) + "\r\n"


class CobblerHTTP(http.server.ThreadingHTTPServer):
    """Loopback stand-in for Cobbler's /cblr/svc: 200 for nopxe and the install-post trigger of KNOWN systems,
    404 else; records each GET."""
    daemon_threads = True

    def __init__(self, known, events):
        self.known, self.events = set(known), events
        super().__init__(("127.0.0.1", 0), _HTTPHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.shutdown()
        self.server_close()
        self.thread.join(10)


class _HTTPHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.events.append(("http GET", self.path))
        ok = self.path in {form % name for name in self.server.known
                           for form in ("/cblr/svc/op/nopxe/system/%s", "/cblr/svc/op/trig/mode/post/system/%s")}
        body = b"True" if ok else b"not found"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass
