"""Installs and removes the plugin's hooks in a Cobbler: hook modules, snippets and the menu-template branch."""
import copy
import json
import os
import re
import shutil
import subprocess

import yaml

from cobbler_winpe import config as winpe_config
from cobbler_winpe import resources
from cobbler_winpe.errors import ToolError
from cobbler_winpe.fsutil import write_atomic

HOOK_PACKAGE = "winpe"            # cobbler/modules/winpe/: Cobbler imports cobbler.modules.winpe.<hook>
SNIPPET_FOLDER = "cobbler_winpe"  # <autoinstall_snippets_dir>/cobbler_winpe/
MENU_FORMATS = ("pxe", "grub", "ipxe")
BEGIN = "## cobbler-winpe begin"
END = "## cobbler-winpe end"
BLOCK = """{begin}: Windows profiles imported by cobbler-winpe boot the WDS chain; `cobbler-winpe remove-hooks` removes this
#if $getVar('mgmt_parameters', {{}}).get('winpe') and ($getVar('system_name', '') == '' or $getVar('netboot_enabled', True))
$SNIPPET('{folder}/menu_{fmt}')
#stop
#end if
{end}
"""
BLOCK_RE = re.compile(r"[ \t]*" + re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n", re.S)

# Cobbler's DHCP templates, beside settings.yaml (Cobbler 3.3's isc and dnsmasq managers read /etc/cobbler/...).
DHCP_TEMPLATE = "dhcp.template"
DNSMASQ_TEMPLATE = "dnsmasq.template"
ISC_OPTION = """{begin}: option 252 (the Windows boot manager's BCD path) for cobbler-winpe's host statements
option cobbler-winpe-bcd code 252 = text;
{end}
"""
ISC_HOST = r"""        {begin}: a Windows system's PXE client (not iPXE) gets its distro's loader and option 252
        #if $iface.get('mgmt_parameters', {{}}).get('winpe') and $iface.get('netboot_enabled') and not $iface.get('enable_ipxe') and not $iface.get('filename') and $iface.get('distro')
        #set $winpe_bcd = '\\\\images\\\\' + $iface.distro.name + '\\\\bcd\\\\sys\\\\' + $iface.owner
        if substring (option vendor-class-identifier, 0, 9) = "PXEClient" and not exists user-class {{
            if option system-arch = 00:00 {{
                filename "images/$iface.distro.name/pxeboot.n12";
                option cobbler-winpe-bcd "$winpe_bcd";
            }} else {{
                filename "images/$iface.distro.name/bootmgfw.efi";
                option cobbler-winpe-bcd "${{winpe_bcd}}.uefi";
            }}
        }}
        #end if
        {end}
"""
ISC_HOST_LINE = re.compile(r"^[ \t]*host \$iface\.name \{[ \t]*\n", re.M)
DNSMASQ_LINE = """{begin}: boot files and option 252 for Windows systems (tags only; Cobbler keeps its dhcp-host lines)
conf-file={path}
{end}
"""
INIT = '''"""cobbler-winpe hook package (written by `cobbler-winpe install-hooks`): puts the plugin on Cobbler's path."""
import sys

PLUGIN_PATH = {path!r}
if PLUGIN_PATH not in sys.path:
    sys.path.append(PLUGIN_PATH)
'''


def cobbler_settings(path="/etc/cobbler/settings.yaml"):
    """The few Cobbler settings the installer needs, with Cobbler's defaults."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except FileNotFoundError:
        data = {}
    return {"template_dir": data.get("boot_loader_conf_template_dir", "/etc/cobbler/boot_loader_conf"),
            "snippet_dir": data.get("autoinstall_snippets_dir", "/var/lib/cobbler/snippets"),
            "signatures": data.get("signature_path", "/var/lib/cobbler/distro_signatures.json")}


# Windows releases Cobbler 3.3's signature file lacks: os_version -> (entry to copy, version regex).
EXTRA_WINDOWS_VERSIONS = {"2025": ("2022", "^Name:.*Windows Server 2025.*$")}


def add_signatures(path):
    """Add the Windows os_versions Cobbler does not know yet (Server 2025) to its signature file, so distros
    with them validate; existing entries are never changed. Returns the versions added."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as err:
        raise ToolError(path, "cannot read Cobbler's distro signatures: %s" % err,
                        "check signature_path in Cobbler's settings") from None
    windows = data.get("breeds", {}).get("windows", {})
    added = []
    for version, (template, regex) in EXTRA_WINDOWS_VERSIONS.items():
        if version not in windows and template in windows:
            windows[version] = dict(copy.deepcopy(windows[template]), version_file_regex=regex)
            added.append(version)
    if added:
        write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return added


def find_module_dir(cobbler_python=None):
    """Cobbler's module folder: from this interpreter's cobbler, else from COBBLER_PYTHON's (distro Cobbler)."""
    if not cobbler_python:
        try:
            import cobbler.modules  # the adapter is the one place that may import cobbler
            return os.path.dirname(cobbler.modules.__file__)
        except ImportError:
            cobbler_python = "/usr/bin/python3"
    code = "import os, cobbler.modules as m; print(os.path.dirname(m.__file__))"
    try:
        out = subprocess.run([cobbler_python, "-c", code], capture_output=True, text=True, timeout=60)
    except OSError as err:
        raise ToolError(cobbler_python, "cannot run: %s" % err.strerror, "pass --cobbler-python PATH") from None
    if out.returncode != 0:
        raise ToolError(cobbler_python, "cannot import cobbler",
                        "install Cobbler 3.3, or pass --module-dir or --cobbler-python") from None
    return out.stdout.strip()


def plugin_path():
    """The folder that holds the cobbler_winpe package (put on Cobbler's sys.path by the hook package)."""
    import cobbler_winpe
    return os.path.dirname(os.path.dirname(os.path.abspath(cobbler_winpe.__file__)))


def install_modules(module_dir):
    target = os.path.join(module_dir, HOOK_PACKAGE)
    os.makedirs(target, exist_ok=True)
    write_atomic(os.path.join(target, "__init__.py"), INIT.format(path=plugin_path()))
    source = resources.data_dir("triggers")
    names = sorted(n for n in os.listdir(source) if n.endswith(".py"))
    for name in names:
        with open(os.path.join(source, name), "rb") as handle:
            write_atomic(os.path.join(target, name), handle.read())
    for stale in set(os.listdir(target)) - set(names) - {"__init__.py", "__pycache__"}:
        os.unlink(os.path.join(target, stale))
    return target


def install_snippets(snippet_dir):
    source = resources.data_dir("snippets")
    for folder, _dirs, files in os.walk(source):
        rel = os.path.relpath(folder, source)
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                write_atomic(os.path.normpath(os.path.join(snippet_dir, rel, name)), handle.read())
    return os.path.join(snippet_dir, SNIPPET_FOLDER)


def with_block(text, fmt):
    """TEXT (a Cobbler boot-loader template) with exactly one cobbler-winpe block at its top."""
    block = BLOCK.format(begin=BEGIN, end=END, folder=SNIPPET_FOLDER, fmt=fmt)
    text = BLOCK_RE.sub("", text)
    first, sep, rest = text.partition("\n")
    if first.startswith("#template="):  # Cobbler reads the template type from the first line: keep it there
        return first + sep + block + rest
    return block + text


def without_block(text):
    return BLOCK_RE.sub("", text)


def with_isc_blocks(text):
    """Cobbler's dhcp.template with the option definition on top and the Windows statements first in each host
    block (they step aside for systems with enable_ipxe or their own filename, which Cobbler handles)."""
    text = without_block(text)
    found = ISC_HOST_LINE.search(text)
    if not found:
        raise ToolError("dhcp.template", "no `host $iface.name {` line to extend",
                        "include /etc/cobbler/winpe/dhcpd-winpe.conf in dhcpd.conf by hand instead")
    host = ISC_HOST.format(begin=BEGIN, end=END)
    text = text[:found.end()] + host + text[found.end():]
    return ISC_OPTION.format(begin=BEGIN, end=END) + text


def with_dnsmasq_line(text, snippet):
    return without_block(text).rstrip("\n") + "\n" + DNSMASQ_LINE.format(begin=BEGIN, end=END, path=snippet)


def edit_dhcp_templates(etc_dir, snippets_dir, install=True):
    """Add (or with INSTALL false remove) the plugin's blocks in Cobbler's DHCP templates that exist in ETC_DIR."""
    changed = []
    edits = ((DHCP_TEMPLATE, with_isc_blocks),
             (DNSMASQ_TEMPLATE, lambda t: with_dnsmasq_line(t, os.path.join(snippets_dir, "dnsmasq-winpe.conf"))))
    for name, edit in edits:
        path = os.path.join(etc_dir, name)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        if write_atomic(path, edit(text) if install else without_block(text)):
            changed.append(path)
    return changed


def edit_templates(template_dir, edit):
    changed = []
    for fmt in MENU_FORMATS:
        path = os.path.join(template_dir, fmt + ".template")
        if not os.path.exists(path):
            raise ToolError(path, "Cobbler menu template missing", "check boot_loader_conf_template_dir")
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        new = edit(text, fmt) if edit is with_block else edit(text)
        if write_atomic(path, new):
            changed.append(path)
    return changed


def install(module_dir=None, cobbler_python=None, settings_path="/etc/cobbler/settings.yaml"):
    """Install everything; returns a list of (what, where) lines for the user."""
    settings = cobbler_settings(settings_path)
    module_dir = module_dir or find_module_dir(cobbler_python)
    return [("hook modules", install_modules(module_dir)),
            ("snippets", install_snippets(settings["snippet_dir"])),
            ("menu templates", ", ".join(edit_templates(settings["template_dir"], with_block)) or "unchanged"),
            ("signatures", "windows " + (", ".join(add_signatures(settings["signatures"])) or "unchanged")),
            ("dhcp templates", ", ".join(edit_dhcp_templates(os.path.dirname(settings_path),
                                                             winpe_config.load().dhcp_snippets_dir)) or "unchanged")]


def remove(module_dir=None, cobbler_python=None, settings_path="/etc/cobbler/settings.yaml"):
    """Undo install(): the hook package, the snippet folder and the template blocks go."""
    settings = cobbler_settings(settings_path)
    module_dir = module_dir or find_module_dir(cobbler_python)
    target = os.path.join(module_dir, HOOK_PACKAGE)
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(os.path.join(settings["snippet_dir"], SNIPPET_FOLDER), ignore_errors=True)
    edit_templates(settings["template_dir"], without_block)
    edit_dhcp_templates(os.path.dirname(settings_path), "", install=False)
    return [("removed", target)]
