"""Windows answer files (unattend.xml) rendered with Cheetah from overridable snippets, every value XML-escaped."""
import base64
import os
import re

from Cheetah.Filters import Filter
from Cheetah.Template import Template

from cobbler_winpe.errors import InputError, ToolError
from cobbler_winpe.gen import values
from cobbler_winpe.gen.model import FIRMWARES, blend

MAIN_TEMPLATE = "unattend.xml.tmpl"
SNIPPET_SUFFIX = ".xml.tmpl"
MAX_TEMPLATE = 1 << 20
MAX_FIRST_LOGON = 50
ARCH_NAMES = {"x86_64": "amd64", "amd64": "amd64", "x64": "amd64", "i386": "x86", "x86": "x86", "arm64": "arm64",
              "aarch64": "arm64"}
INSTALL_PARTITION = {"bios": 2, "uefi": 3}
LABCONFIG_KEYS = ("BypassTPMCheck", "BypassSecureBootCheck", "BypassRAMCheck", "BypassStorageCheck",
                  "BypassCPUCheck")
DEFAULT_TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "snippets", "windows")


class Safe(str):
    """Text the escaping filter passes through unchanged: rendered sub-snippets, never user values."""


class XmlFilter(Filter):
    """Cheetah output filter: every $placeholder is checked and XML-escaped unless it is Safe."""

    def filter(self, val, **kwargs):
        if isinstance(val, Safe):
            return str(val)
        if val is None:
            return ""
        if isinstance(val, bool):
            return "true" if val else "false"
        return values.xml("answer file value", val)


def encode_password(password, purpose="AdministratorPassword"):
    """A password as unattend.xml stores it with PlainText false: base64 of UTF-16LE(password + PURPOSE)."""
    return base64.b64encode((password + purpose).encode("utf-16-le")).decode("ascii")


def _pick(meta, key, default="", pattern=None, max_len=256):
    value = values.text("metadata %s" % key, meta.get(key, default), max_len)
    if value and pattern and not re.fullmatch(pattern, value):
        # the value is never shown: keys such as winpe_product_key and the passwords are secrets, and this line
        # goes to cobbler.log
        raise InputError("metadata %s" % key, "value not of the expected form", "see docs/configuration.md")
    return value


def computer_name(system, meta):
    """The NetBIOS ComputerName: winpe_computer_name, else the first label of the hostname, else '*' (random)."""
    name = meta.get("winpe_computer_name") or (system.hostname.split(".")[0] if system and system.hostname else "")
    if not name:
        return "*"
    name = values.text("computer name", name, 64)
    if len(name) > 15 or not re.fullmatch(r"[A-Za-z0-9\-]+", name) or name.isdigit():
        raise InputError("computer name %r" % name, "Windows needs 1-15 letters, digits or '-', not all digits",
                         "set a shorter hostname or metadata winpe_computer_name")
    return name


def first_logon_commands(meta):
    """winpe_first_logon_1, _2, ... in numeric order (gaps allowed), or a list under winpe_first_logon."""
    listed = meta.get("winpe_first_logon") or []
    if isinstance(listed, str):
        listed = [listed]
    numbered = sorted((int(key.rsplit("_", 1)[1]), value) for key, value in meta.items()
                      if re.fullmatch(r"winpe_first_logon_[0-9]{1,4}", key))
    commands = [values.text("first logon command", cmd, 1024) for cmd in list(listed) + [v for _, v in numbered]]
    if len(commands) > MAX_FIRST_LOGON:
        raise InputError("winpe_first_logon", "more than %d commands" % MAX_FIRST_LOGON, "put them in a script")
    return [cmd for cmd in commands if cmd.strip()]


def _domain(meta):
    domain = _pick(meta, "winpe_domain", "", r"[A-Za-z0-9][A-Za-z0-9.\-]*")
    if not domain:
        return {"domain": "", "domain_user": "", "domain_password": "", "domain_ou": ""}
    user = _pick(meta, "winpe_domain_user")
    if not user:
        raise InputError("metadata winpe_domain_user", "missing while winpe_domain is set", "give the join account")
    return {"domain": domain, "domain_user": user,
            "domain_password": _pick(meta, "winpe_domain_password"),
            "domain_ou": _pick(meta, "winpe_domain_ou", max_len=1024)}


def unattend_context(distro, profile, system=None, config=None):
    """The search list of the answer-file templates, built from the model and blended metadata.

    Metadata keys (system > profile > distro): winpe_locale, winpe_ui_language, winpe_input_locale,
    winpe_timezone, winpe_product_key, winpe_admin_password, winpe_domain, winpe_domain_user,
    winpe_domain_password, winpe_domain_ou, winpe_first_logon_N, winpe_win11_bypass, winpe_bypass_nro,
    winpe_disable_dynamic_update, winpe_disk, winpe_owner, winpe_organization, winpe_computer_name.
    """
    config = config or {}
    meta = blend(distro.meta, profile.meta, system.meta if system else None)
    arch = ARCH_NAMES.get(distro.arch)
    if not arch:
        raise InputError("distro %s arch" % distro.name, "unknown architecture %r" % distro.arch,
                         "use x86_64, i386 or arm64")
    locale_re = r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}"
    locale = _pick(meta, "winpe_locale", config.get("locale", "en-US"), locale_re, 32)
    password = _pick(meta, "winpe_admin_password", max_len=127)
    context = {
        "distro_name": distro.name, "profile_name": profile.name, "system_name": system.name if system else "",

        "arch": arch, "image_index": int(profile.image_index), "edition": profile.edition,
        "ui_language": _pick(meta, "winpe_ui_language", locale, locale_re, 32),
        "input_locale": _pick(meta, "winpe_input_locale", locale, r"[A-Za-z0-9:;{}\-]+", 128),
        "system_locale": locale, "user_locale": locale,
        "timezone": _pick(meta, "winpe_timezone", config.get("timezone", "UTC"), r"[A-Za-z0-9 ().+\-_]+", 64),
        "product_key": _pick(meta, "winpe_product_key", "", r"([A-Za-z0-9]{5}-){4}[A-Za-z0-9]{5}", 29).upper(),
        "computer_name": computer_name(system, meta),
        "admin_password": encode_password(password) if password else "",
        "autologon_password": encode_password(password, "Password") if password else "",
        "first_logon": first_logon_commands(meta),
        "win11_bypass": values.flag(meta.get("winpe_win11_bypass", False)),
        "labconfig_keys": list(LABCONFIG_KEYS),
        "bypass_nro": values.flag(meta.get("winpe_bypass_nro", False)),
        "disable_dynamic_update": values.flag(meta.get("winpe_disable_dynamic_update", False)),
        "disk_id": int(_pick(meta, "winpe_disk", "0", r"[0-9]{1,2}", 2)),
        "owner": _pick(meta, "winpe_owner", "Cobbler", max_len=128),
        "organization": _pick(meta, "winpe_organization", "Cobbler", max_len=128),
        "driver_paths": [],           # PnpCustomizationsWinPE DriverPaths (UNC folders); startnet.data_tree fills it
    }
    context.update(_domain(meta))
    return context


def _safe_item_name(what, name):
    if name and (not re.fullmatch(r"[A-Za-z0-9_\-.:]+", name) or name in (".", "..")):
        raise InputError("%s name %r" % (what, name), "not a Cobbler object name", "rename it")
    return name


def find_template(filename, template_dirs, context):
    """The first of per_system/<system>/, per_profile/<profile>/, per_distro/<distro>/, then the plain folder
    holding FILENAME, over each of TEMPLATE_DIRS in order (as Cobbler resolves snippet overrides)."""
    levels = []
    for level, key in (("per_system", "system_name"), ("per_profile", "profile_name"), ("per_distro", "distro_name")):
        name = _safe_item_name(level, context.get(key, ""))
        if name:
            levels.append(os.path.join(level, name))
    levels.append("")
    for level in levels:
        for folder in template_dirs:
            path = os.path.join(folder, level, filename)
            if os.path.isfile(path):
                return path
    raise InputError("template %s" % filename, "not found in %s" % ", ".join(template_dirs),
                     "install snippets/windows or pass the folder that holds it")


def _read_template(path):
    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read(MAX_TEMPLATE + 1)
    except (OSError, UnicodeDecodeError) as err:
        raise ToolError(path, "cannot read the template: %s" % err, "check the file") from None
    if len(source) > MAX_TEMPLATE:
        raise InputError(path, "template larger than 1 MiB", "split it")
    return source


def render_template(filename, context, template_dirs, depth=0):
    """One template (found by find_template) rendered with CONTEXT; $snippet("name") renders name.xml.tmpl."""
    if depth > 8:
        raise InputError("template %s" % filename, "snippets nest deeper than 8", "look for a snippet loop")
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", filename.replace(".", "_")):
        raise InputError("snippet %r" % filename, "not a plain file name")
    path = find_template(filename, template_dirs, context)

    def snippet(name):
        return Safe(render_template(str(name) + SNIPPET_SUFFIX, context, template_dirs, depth + 1).rstrip("\n"))

    namespace = dict(context, snippet=snippet)
    try:
        return str(Template(_read_template(path), searchList=[namespace], filter=XmlFilter))
    except InputError:
        raise
    except Exception as err:  # Cheetah syntax or a NameMapper miss in an admin's override
        raise InputError(path, "template failed: %s: %s" % (type(err).__name__, str(err).splitlines()[0]
                                                           if str(err) else ""), "fix the template") from None


def render_unattend(context, firmware, template_dirs=(DEFAULT_TEMPLATE_DIR,)):
    """The unattend.xml text for FIRMWARE (bios or uefi) from CONTEXT (see unattend_context)."""
    if firmware not in FIRMWARES:
        raise InputError("firmware %r" % firmware, "unknown", "use one of %s" % ", ".join(FIRMWARES))
    context = dict(context, firmware=firmware, install_partition=INSTALL_PARTITION[firmware])
    return render_template(MAIN_TEMPLATE, context, list(template_dirs))
