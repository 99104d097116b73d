"""Installs and removes the plugin's hooks in a Cobbler: hook modules, snippets and the menu-template branch."""
import copy
import glob
import os
import re
import shutil
import subprocess

import yaml

from cobbler_winpe import names
from cobbler_winpe import resources
from cobbler_winpe.adapter import dhcp_templates
from cobbler_winpe.adapter.blocks import BEGIN, END, BLOCK_RE, without_block
from cobbler_winpe.adapter.signatures import add_signatures
from cobbler_winpe.errors import ToolError
from cobbler_winpe.fsutil import write_atomic

HOOK_PACKAGE = "winpe"            # cobbler/modules/winpe/: Cobbler imports cobbler.modules.winpe.<hook>
SNIPPET_FOLDER = "cobbler_winpe"  # <autoinstall_snippets_dir>/cobbler_winpe/
MENU_FORMATS = ("pxe", "grub", "ipxe")
GRUB_ENTRY = re.compile(r"^menuentry ", re.M)   # the first entry of Cobbler's grub.template
BLOCK = """{begin}: Windows profiles imported by cobbler-winpe boot the WDS chain; `cobbler-winpe remove-hooks` removes this
#if $getVar('mgmt_parameters', {{}}).get('winpe') and ($getVar('system_name', '') == '' or $getVar('netboot_enabled', True))
$SNIPPET('{folder}/menu_{fmt}')
#stop
#end if
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
    data = merged_settings(path)
    return {"server": data.get("server", "127.0.0.1"), "http_port": int(data.get("http_port", 80)),
            "template_dir": data.get("boot_loader_conf_template_dir", "/etc/cobbler/boot_loader_conf"),
            "snippet_dir": data.get("autoinstall_snippets_dir", "/var/lib/cobbler/snippets"),
            "signatures": data.get("signature_path", "/var/lib/cobbler/distro_signatures.json")}


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


SCRIPTS_DIR = "/var/lib/cobbler/scripts"   # Cobbler 3.3 renders /cblr/svc/op/script templates from here (fixed)
SCRIPTS = "scripts"                         # snippets/scripts/: templates for that service, not snippets


def install_snippets(snippet_dir):
    source = resources.data_dir("snippets")
    for folder, _dirs, files in os.walk(source):
        rel = os.path.relpath(folder, source)
        if rel.split(os.sep)[0] == SCRIPTS:
            continue
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                write_atomic(os.path.normpath(os.path.join(snippet_dir, rel, name)), handle.read())
    return os.path.join(snippet_dir, SNIPPET_FOLDER)


def script_names():
    return sorted(os.listdir(os.path.join(resources.data_dir("snippets"), SCRIPTS)))


def install_scripts(scripts_dir=SCRIPTS_DIR):
    """Cobbler's script templates (winpe_reinstall.cmd): /cblr/svc/op/script/system/NAME?script=... renders them."""
    source = os.path.join(resources.data_dir("snippets"), SCRIPTS)
    for name in script_names():
        with open(os.path.join(source, name), "rb") as handle:
            write_atomic(os.path.join(scripts_dir, name), handle.read())
    return ", ".join(os.path.join(scripts_dir, name) for name in script_names())


def remove_scripts(scripts_dir=SCRIPTS_DIR):
    for name in script_names():
        try:
            os.unlink(os.path.join(scripts_dir, name))
        except FileNotFoundError:
            pass


def with_block(text, fmt):
    """TEXT (a Cobbler boot-loader template) with exactly one cobbler-winpe block: before GRUB's first menuentry,
    so the `set system/timeout/default` lines Cobbler's grub.template puts above it still reach a system's file
    (the block ends in #stop); at the top elsewhere."""
    block = BLOCK.format(begin=BEGIN, end=END, folder=SNIPPET_FOLDER, fmt=fmt)
    text = BLOCK_RE.sub("", text)
    entry = GRUB_ENTRY.search(text) if fmt == "grub" else None
    if entry:
        return text[:entry.start()] + block + text[entry.start():]
    first, sep, rest = text.partition("\n")
    if first.startswith("#template="):  # Cobbler reads the template type from the first line: keep it there
        return first + sep + block + rest
    return block + text



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


GRUB_SETTINGS = "cobbler-winpe.settings"   # in settings.d: Cobbler's grub.0 gets linux16 (BIOS Windows entries)


def settings_d(settings_path, name):
    """A file in Cobbler's settings.d folder beside SETTINGS_PATH."""
    return os.path.join(os.path.dirname(settings_path), "settings.d", name)


def merged_settings(settings_path, skip=None):
    """Cobbler's settings as cobblerd sees them: settings.yaml updated key by key by settings.d/*.settings."""
    data = {}
    for path in [settings_path] + sorted(glob.glob(settings_d(settings_path, "*.settings"))):
        if path != skip and os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                data.update(yaml.safe_load(handle) or {})
    return data


def grub_formats(settings_path):
    """Cobbler's bootloaders_formats with `linux16` added to i386-pc-pxe (grub.0), or None if it has it already.

    A settings.d file replaces the whole dict (Cobbler updates settings key by key), so the whole dict is returned.
    """
    data = merged_settings(settings_path, skip=settings_d(settings_path, GRUB_SETTINGS))
    formats = copy.deepcopy(data.get("bootloaders_formats") or {})
    pxe = formats.get("i386-pc-pxe")
    if pxe is None or "linux16" in pxe.get("extra_modules", []):
        return None
    pxe["extra_modules"] = list(pxe.get("extra_modules", [])) + ["linux16"]
    return formats


def install_grub_settings(settings_path):
    """Write settings.d/cobbler-winpe.settings so `cobbler mkloaders` builds grub.0 with linux16."""
    path = settings_d(settings_path, GRUB_SETTINGS)
    formats = grub_formats(settings_path)
    if formats is None:
        return "unchanged"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(path, "# written by cobbler-winpe install-hooks: %s needs linux16 (docs/boot-chains.md)\n" % names.GRUB_BIOS
                 + yaml.safe_dump({"bootloaders_formats": formats}, default_flow_style=False))
    return path + " (run `cobbler mkloaders`, then `cobbler sync`)"


def install(cfg, module_dir=None, cobbler_python=None, settings_path="/etc/cobbler/settings.yaml"):
    """Install everything; returns a list of (what, where) lines for the user."""
    settings = cobbler_settings(settings_path)
    module_dir = module_dir or find_module_dir(cobbler_python)
    return [("hook modules", install_modules(module_dir)),
            ("snippets", install_snippets(settings["snippet_dir"])),
            ("menu templates", ", ".join(edit_templates(settings["template_dir"], with_block)) or "unchanged"),
            ("signatures", "windows " + (", ".join(add_signatures(settings["signatures"])) or "unchanged")),
            ("dhcp templates", ", ".join(dhcp_templates.edit_dhcp_templates(
                os.path.dirname(settings_path), cfg.dhcp_snippets_dir, uefi_menu=cfg.uefi_menu,
                ipxe_menu=cfg.uefi_ipxe_menu)) or "unchanged"),
            (names.GRUB_BIOS + " modules", install_grub_settings(settings_path)),
            ("scripts", install_scripts())]


def remove(module_dir=None, cobbler_python=None, settings_path="/etc/cobbler/settings.yaml"):
    """Undo install(): the hook package, the snippet folder and the template blocks go."""
    settings = cobbler_settings(settings_path)
    module_dir = module_dir or find_module_dir(cobbler_python)
    target = os.path.join(module_dir, HOOK_PACKAGE)
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(os.path.join(settings["snippet_dir"], SNIPPET_FOLDER), ignore_errors=True)
    edit_templates(settings["template_dir"], without_block)
    remove_scripts()
    dhcp_templates.edit_dhcp_templates(os.path.dirname(settings_path), "", install=False)
    try:
        os.unlink(settings_d(settings_path, GRUB_SETTINGS))
    except FileNotFoundError:
        pass
    return [("removed", target)]
