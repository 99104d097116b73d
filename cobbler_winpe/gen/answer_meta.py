"""The answer-file metadata keys (winpe_*): their table (meaning, default, valid values, example), their checks
(run when an answer file is rendered and when Cobbler saves an item) and their section of docs/configuration.md."""
import re
from collections import namedtuple

import yaml

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import values

Key = namedtuple("Key", "name meaning default valid example")

LOCALE_RE = r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}"
# an input locale: a language tag or "LANGID:KLID" / "LANGID:{TIP}{PROFILE}", several joined by ';'
_ONE_INPUT = r"(%s|[0-9A-Fa-f]{4}:([0-9A-Fa-f]{8}|\{[0-9A-Fa-f\-]{36}\}\{[0-9A-Fa-f\-]{36}\}))" % LOCALE_RE
INPUT_LOCALE_RE = r"%s(;%s){0,4}" % (_ONE_INPUT, _ONE_INPUT)
TIMEZONE_RE = r"[A-Za-z0-9 ().+\-_]+"
OU_RE = r"[A-Za-z]+=.+"           # an LDAP DN (OU=PCs,DC=corp,...): Windows reads the rest
ACCOUNT_RE = r"[A-Za-z0-9][A-Za-z0-9_.\- ]{0,19}"    # SAM account names: at most 20 characters
GROUP_RE = r"[A-Za-z][A-Za-z0-9 _\-]{0,63}"
TRUE, FALSE = ("1", "true", "yes", "on", "y"), ("0", "false", "no", "off", "n")
FIREWALL_PROFILES = ("domain", "private", "public")
NAME_PLACEHOLDERS = ("name", "hostname", "fqdn", "mac", "profile", "distro")
CM_PLACEHOLDERS = NAME_PLACEHOLDERS + ("computer_name",)
PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")
COMMAND_SAFE = r"[A-Za-z0-9_.:\-]*"        # what a placeholder may put into a command line
MAX_COMMANDS = 50
MAX_ACCOUNTS = 20
SECRETS = ("winpe_admin_password", "winpe_domain_password", "winpe_product_key")   # and winpe_user_N_password
SWITCH = "yes/no, true/false, on/off, 1/0"

# name: meaning, default, valid values, example (docs/configuration.md shows this table)
KEYS = tuple(Key(name, **fields) for name, fields in yaml.safe_load(r"""
    winpe_locale:
      meaning: UI language, system and user locale (and keyboard unless winpe_input_locale is set)
      default: '`locale` of winpe.yaml (en-US)'
      valid: a language tag
      example: '`de-DE`'
    winpe_ui_language:
      meaning: language of Setup and of Windows
      default: winpe_locale
      valid: a language tag
      example: '`fr-FR`'
    winpe_input_locale:
      meaning: keyboard layout(s)
      default: winpe_locale
      valid: language tags or LANGID:KLID, up to 5 joined by `;`
      example: '`0407:00000407;en-US`'
    winpe_timezone:
      meaning: time zone
      default: '`timezone` of winpe.yaml (UTC)'
      valid: a Windows time zone id (`tzutil /l`)
      example: '`W. Europe Standard Time`'
    winpe_owner:
      meaning: registered owner (Setup's FullName, RegisteredOwner)
      default: '`Cobbler`'
      valid: 1-63 characters
      example: '`Lab team`'
    winpe_organization:
      meaning: registered organisation
      default: '`Cobbler`'
      valid: 1-63 characters
      example: '`Example Corp`'
    winpe_computer_name:
      meaning: 'computer name: a fixed name or a pattern of {name}, {hostname}, {fqdn}, {mac} (12 hex digits), {profile},
        {distro}; a pattern is cut to 15 characters (characters other than letters, digits and ''-'' become ''-'')'
      default: '`{hostname}` (first label), random (`*`) without a hostname'
      valid: 'a fixed name: 1-15 letters, digits, ''-'', not all digits; a pattern: those plus placeholders'
      example: '`lab-{mac}`'
    winpe_product_key:
      meaning: product key (secret)
      default: none (Setup asks, or the media's key)
      valid: 5 groups of 5
      example: '`VK7JG-NPHTM-C97JM-9MPGT-3V66T`'
    winpe_admin_password:
      meaning: Administrator password (secret; also one Administrator auto-logon so the first-logon commands run)
      default: 'none: the account stays disabled'
      valid: up to 127 characters
      example: '`S3cret!`'
    winpe_user_N:
      meaning: 'extra local account N (1, 2, ...): name and local groups'
      default: none
      valid: '`name` or `name:Group1;Group2` (1-20 characters; groups default to Users)'
      example: '`ops:Administrators`'
    winpe_user_N_password:
      meaning: password of account N (secret, required with winpe_user_N)
      default: none
      valid: 1-127 characters
      example: '`0ps!pass`'
    winpe_domain:
      meaning: Active Directory domain to join
      default: none (workgroup)
      valid: a DNS or NetBIOS domain name
      example: '`corp.example.com`'
    winpe_domain_user:
      meaning: account allowed to join (required with winpe_domain)
      default: none
      valid: 1-256 characters
      example: '`joiner`'
    winpe_domain_password:
      meaning: its password (secret, required with winpe_domain)
      default: none
      valid: 1-256 characters
      example: '`J0in!`'
    winpe_domain_ou:
      meaning: OU for the computer account
      default: the domain's default
      valid: an LDAP DN
      example: '`OU=PCs,DC=corp,DC=example,DC=com`'
    winpe_rdp:
      meaning: 'Remote Desktop: connections allowed and the Remote Desktop firewall group on for all profiles (on),
        or denied (off)'
      default: 'unset: as the image ships (denied)'
      valid: yes/no, true/false, on/off, 1/0
      example: '`on`'
    winpe_firewall_off:
      meaning: firewall profiles to turn off (the others are turned on)
      default: 'unset: as the image ships (all on)'
      valid: '`none`, `all` or a comma list of domain, private, public'
      example: '`domain,private`'
    winpe_first_logon_N:
      meaning: command run at first logon, in N order (also `winpe_first_logon` as a list)
      default: none
      valid: up to 1024 characters each, at most 50
      example: '`cmd /c echo done > C:\done.txt`'
    winpe_cm_command:
      meaning: 'hand-off to Puppet/Ansible/Salt: a command run after the first-logon commands; placeholders {name},
        {hostname}, {fqdn}, {mac}, {profile}, {distro}, {computer_name} (values limited to letters, digits and `_.:-`)'
      default: none
      valid: up to 1024 characters after expansion
      example: '`C:\puppet\bin\puppet.bat agent -t --certname {fqdn}`'
    winpe_win11_bypass:
      meaning: LabConfig TPM/Secure Boot/RAM/storage/CPU checks bypassed in WinPE
      default: 'no'
      valid: yes/no, true/false, on/off, 1/0
      example: '`yes`'
    winpe_bypass_nro:
      meaning: 24H2 OOBE network requirement bypassed (BypassNRO)
      default: 'no'
      valid: yes/no, true/false, on/off, 1/0
      example: '`yes`'
    winpe_disable_dynamic_update:
      meaning: Setup's Dynamic Update off
      default: 'no'
      valid: yes/no, true/false, on/off, 1/0
      example: '`yes`'
    winpe_disk:
      meaning: disk number Windows is installed on (wiped)
      default: '`0`'
      valid: 0-99
      example: '`1`'
""").items())


def _text(meta, key, default="", pattern=None, max_len=256, required=False):
    """META[KEY] (else DEFAULT) checked; the value never appears in the message (keys may be secrets, the line
    goes to cobbler.log)."""
    value = values.text("metadata %s" % key, meta.get(key, default), max_len)
    if required and not value:
        raise InputError("metadata %s" % key, "empty", "remove the key for the default, or give a value")
    if value and pattern and not re.fullmatch(pattern, value):
        raise InputError("metadata %s" % key, "value not of the expected form", "see docs/configuration.md")
    return value


def switch(meta, key, default=None):
    """A yes/no key: True, False, or DEFAULT when unset or empty; anything else is refused."""
    value = str(meta.get(key, "")).strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    if value:
        raise InputError("metadata %s" % key, "not a switch", "use one of " + SWITCH)
    return default


def numbered(meta, prefix, suffix=""):
    """[(N, value)] of PREFIX_N[SUFFIX] keys in numeric order."""
    pattern = re.compile(re.escape(prefix) + r"_([0-9]{1,4})" + re.escape(suffix))
    return sorted((int(m.group(1)), value) for key, value in meta.items() for m in [pattern.fullmatch(key)] if m)


def first_logon_commands(meta):
    """winpe_first_logon_1, _2, ... in numeric order (gaps allowed), after a list under winpe_first_logon."""
    listed = meta.get("winpe_first_logon") or []
    if isinstance(listed, str):
        listed = [listed]
    commands = [values.text("metadata winpe_first_logon", cmd, 1024)
                for cmd in list(listed) + [v for _, v in numbered(meta, "winpe_first_logon")]]
    if len(commands) > MAX_COMMANDS:
        raise InputError("metadata winpe_first_logon", "more than %d commands" % MAX_COMMANDS, "put them in a script")
    return [cmd for cmd in commands if cmd.strip()]


def accounts(meta):
    """[(name, [groups], password)] of winpe_user_N / winpe_user_N_password."""
    found = []
    for number, spec in numbered(meta, "winpe_user"):
        key = "winpe_user_%d" % number
        spec = _text(meta, key, max_len=300)
        name, _, groups = spec.partition(":")
        groups = [g.strip() for g in groups.split(";") if g.strip()] or ["Users"]
        if not re.fullmatch(ACCOUNT_RE, name) or name.upper() == "NONE" or not all(
                re.fullmatch(GROUP_RE, g) for g in groups):
            raise InputError("metadata %s" % key, "not name[:Group1;Group2] (names 1-20 letters, digits, _.- )",
                             "see docs/configuration.md")
        password = _text(meta, key + "_password", max_len=127, required=True)
        found.append((name, groups, password))
    orphans = set(n for n, _ in numbered(meta, "winpe_user", "_password")) - set(n for n, _ in numbered(meta,
                                                                                                        "winpe_user"))
    if orphans:
        raise InputError("metadata winpe_user_%d_password" % min(orphans), "no winpe_user_%d for it" % min(orphans))
    if len(found) > MAX_ACCOUNTS or len({n.lower() for n, _, _ in found}) < len(found):
        raise InputError("metadata winpe_user_N", "more than %d accounts or a name twice" % MAX_ACCOUNTS)
    return found


def firewall_off(meta):
    """The profiles to turn off (a tuple, maybe empty), or None when winpe_firewall_off is unset."""
    value = _text(meta, "winpe_firewall_off", max_len=64).strip().lower()
    if not value:
        return None
    if value in ("none", "all"):
        return FIREWALL_PROFILES if value == "all" else ()
    chosen = [p.strip() for p in value.split(",")]
    if not all(p in FIREWALL_PROFILES for p in chosen):
        raise InputError("metadata winpe_firewall_off", "unknown profile", "use none, all or a comma list of "
                         + ", ".join(FIREWALL_PROFILES))
    return tuple(p for p in FIREWALL_PROFILES if p in chosen)


def _placeholders_known(key, template, known):
    unknown = sorted(set(PLACEHOLDER.findall(template)) - set(known))
    if unknown:
        raise InputError("metadata %s" % key, "unknown placeholder {%s}" % unknown[0],
                         "use " + ", ".join("{%s}" % k for k in known))


def computer_name_rule(meta):
    """winpe_computer_name checked: a fixed NetBIOS name, or a pattern of allowed characters and placeholders."""
    rule = _text(meta, "winpe_computer_name", max_len=64)
    _placeholders_known("winpe_computer_name", rule, NAME_PLACEHOLDERS)
    if not re.fullmatch(r"[A-Za-z0-9\-]*", PLACEHOLDER.sub("", rule)):
        raise InputError("metadata winpe_computer_name", "only letters, digits, '-' and {placeholders} allowed")
    if rule and not PLACEHOLDER.search(rule):
        check_netbios(rule, "metadata winpe_computer_name")
    return rule


def check_netbios(name, what):
    if not 1 <= len(name) <= 15 or not re.fullmatch(r"[A-Za-z0-9\-]+", name) or name.isdigit():
        raise InputError("%s %r" % (what, name), "Windows needs 1-15 letters, digits or '-', not all digits",
                         "set a shorter name or pattern in metadata winpe_computer_name")
    return name


def expand_name(rule, fields):
    """RULE with its placeholders filled from FIELDS, cut to 15 characters; '*' (random) when a field is unknown."""
    if any(fields.get(p) is None for p in PLACEHOLDER.findall(rule)):
        return "*"
    name = PLACEHOLDER.sub(lambda m: re.sub(r"[^A-Za-z0-9\-]", "-", fields[m.group(1)]), rule)
    return check_netbios(name[:15].strip("-"), "computer name from %r" % rule)


def expand_command(template, fields):
    """The hand-off command with its placeholders filled, or "" when a field is unknown (a profile's file)."""
    if any(fields.get(p) is None for p in PLACEHOLDER.findall(template)):
        return ""
    for placeholder in PLACEHOLDER.findall(template):
        if not re.fullmatch(COMMAND_SAFE, fields[placeholder]):
            raise InputError("metadata winpe_cm_command {%s}" % placeholder, "the value has characters unsafe "
                             "in a command line", "use letters, digits and _.:- in that name")
    command = PLACEHOLDER.sub(lambda m: fields[m.group(1)], template)
    return values.text("metadata winpe_cm_command", command, 1024)


def domain(meta):
    name = _text(meta, "winpe_domain", "", r"[A-Za-z0-9][A-Za-z0-9.\-]*", 255)
    if not name:
        return {"domain": "", "domain_user": "", "domain_password": "", "domain_ou": ""}
    return {"domain": name, "domain_user": _text(meta, "winpe_domain_user", required=True),
            "domain_password": _text(meta, "winpe_domain_password", required=True),
            "domain_ou": _text(meta, "winpe_domain_ou", "", OU_RE, 1024)}


def read(meta, locale="en-US", timezone="UTC"):
    """Every answer setting of blended metadata META, checked (InputError on the first bad one)."""
    locale = _text(meta, "winpe_locale", locale, LOCALE_RE, 32)
    cm_command = _text(meta, "winpe_cm_command", max_len=1024)
    _placeholders_known("winpe_cm_command", cm_command, CM_PLACEHOLDERS)
    settings = {
        "ui_language": _text(meta, "winpe_ui_language", locale, LOCALE_RE, 32),
        "input_locale": _text(meta, "winpe_input_locale", locale, INPUT_LOCALE_RE, 256),
        "system_locale": locale, "user_locale": locale,
        "timezone": _text(meta, "winpe_timezone", timezone, TIMEZONE_RE, 64),
        "owner": _text(meta, "winpe_owner", "Cobbler", max_len=63, required=True),
        "organization": _text(meta, "winpe_organization", "Cobbler", max_len=63, required=True),
        "computer_name_rule": computer_name_rule(meta),
        "product_key": _text(meta, "winpe_product_key", "", r"([A-Za-z0-9]{5}-){4}[A-Za-z0-9]{5}", 29).upper(),
        "admin_password": _text(meta, "winpe_admin_password", max_len=127),
        "accounts": accounts(meta),
        "rdp": switch(meta, "winpe_rdp"),
        "firewall_off": firewall_off(meta),
        "first_logon": first_logon_commands(meta),
        "cm_command": cm_command,
        "win11_bypass": switch(meta, "winpe_win11_bypass", False),
        "bypass_nro": switch(meta, "winpe_bypass_nro", False),
        "disable_dynamic_update": switch(meta, "winpe_disable_dynamic_update", False),
        "disk_id": int(_text(meta, "winpe_disk", "0", r"[0-9]{1,2}", 2)),
    }
    settings.update(domain(meta))
    return settings


def describe():
    """The metadata section of docs/configuration.md."""
    rows = ["| key | meaning | default | valid values | example |", "|---|---|---|---|---|"]
    rows += ["| `%s` | %s | %s | %s | %s |" % key for key in KEYS]
    return ("\n## Answer-file metadata (distro, profile, system)\n\n"
            "Set with `cobbler distro|profile|system edit --name N --autoinstall-meta 'KEY=VALUE ...'` (or XML-RPC).\n"
            "A system's value beats its profile's, which beats its distro's (Cobbler's own inheritance). Cobbler\n"
            "refuses to save a Windows item whose value is not valid (one line names the key; secrets are never\n"
            "shown); Linux items are never checked. Secrets end up only in the answer files on the data share\n"
            "(see winpe-install.md).\n\n" + "\n".join(rows) + "\n")
