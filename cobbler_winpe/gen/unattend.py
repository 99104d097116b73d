"""Windows answer files (unattend.xml) rendered with Cheetah from overridable snippets, every value XML-escaped."""
import base64

from Cheetah.Filters import Filter

from cobbler_winpe import names
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import answer_meta, cheetah, values
from cobbler_winpe.gen.model import FIRMWARES, blend

MAIN_TEMPLATE = "unattend.xml.tmpl"
ARCH_NAMES = {"x86_64": "amd64", "amd64": "amd64", "x64": "amd64", "i386": "x86", "x86": "x86", "arm64": "arm64",
              "aarch64": "arm64"}
INSTALL_PARTITION = {fw.name: fw.install_partition for fw in names.FIRMWARE.values()}
# Remote Desktop's firewall rule group by its language-neutral resource id (networking-mpssvc-svc-firewallgroups-
# firewallgroup-group: Microsoft's own example; the display name "Remote Desktop" is localised)
RDP_FIREWALL_GROUP = "@FirewallAPI.dll,-28752"
LABCONFIG_KEYS = ("BypassTPMCheck", "BypassSecureBootCheck", "BypassRAMCheck", "BypassStorageCheck",
                  "BypassCPUCheck")


class XmlFilter(Filter):
    """Cheetah output filter: every $placeholder is checked and XML-escaped unless it is Safe."""

    def filter(self, val, **kwargs):
        if isinstance(val, cheetah.Safe):
            return str(val)
        if val is None:
            return ""
        if isinstance(val, bool):
            return "true" if val else "false"
        return values.xml("answer file value", val)


def encode_password(password, purpose="AdministratorPassword"):
    """A password as unattend.xml stores it with PlainText false: base64 of UTF-16LE(password + PURPOSE)."""
    return base64.b64encode((password + purpose).encode("utf-16-le")).decode("ascii")


def placeholder_fields(distro, profile, system):
    """Values of the {placeholders} of winpe_computer_name and winpe_cm_command; None where unknown (a profile's
    answer file has no system, so no system name, hostname or MAC)."""
    hostname = system.hostname if system and system.hostname else None
    mac = str(values.mac("system %s MAC" % system.name, system.macs[0])).replace("-", "") \
        if system and system.macs else None
    return {"name": system.name if system else None, "hostname": hostname.split(".")[0] if hostname else None,
            "fqdn": hostname, "mac": mac, "profile": profile.name, "distro": distro.name}


def computer_name(rule, system, fields):
    """The NetBIOS ComputerName: winpe_computer_name (a name, or a pattern filled and cut to 15), else the first
    label of the hostname (cut to 15), else '*' (Windows picks a random name)."""
    if not rule:
        rule = "{hostname}" if system and system.hostname else ""
    return answer_meta.expand_name(rule, fields) if rule else "*"


def unattend_context(distro, profile, system=None, config=None):
    """The search list of the answer-file templates, built from the model and blended metadata.

    Metadata keys (system > profile > distro) are those of answer_meta.KEYS (docs/configuration.md).
    """
    config = config or {}
    meta = blend(distro.meta, profile.meta, system.meta if system else None)
    arch = ARCH_NAMES.get(distro.arch)
    if not arch:
        raise InputError("distro %s arch" % distro.name, "unknown architecture %r" % distro.arch,
                         "use x86_64, i386 or arm64")
    settings = answer_meta.read(meta, config.get("locale", "en-US"), config.get("timezone", "UTC"))
    fields = placeholder_fields(distro, profile, system)
    fields["computer_name"] = name = computer_name(settings.pop("computer_name_rule"), system, fields)
    first_logon = settings.pop("first_logon")
    cm_command = answer_meta.expand_command(settings.pop("cm_command"), fields)
    password = settings.pop("admin_password")
    context = dict(settings, **{
        "distro_name": distro.name, "profile_name": profile.name, "system_name": system.name if system else "",
        "arch": arch, "image_index": int(profile.image_index), "edition": profile.edition,
        "computer_name": name,
        "admin_password": encode_password(password) if password else "",
        "autologon_password": encode_password(password, "Password") if password else "",
        "accounts": [(user, ";".join(groups), encode_password(secret, "Password"))
                     for user, groups, secret in settings["accounts"]],
        "first_logon": first_logon + ([cm_command] if cm_command else []),
        "labconfig_keys": list(LABCONFIG_KEYS),
        "deny_rdp": "" if settings["rdp"] is None else not settings["rdp"],
        "firewall_profiles": [(fw.capitalize() + "Profile_EnableFirewall", fw not in settings["firewall_off"])
                              for fw in answer_meta.FIREWALL_PROFILES]
        if settings["firewall_off"] is not None else [],
        "rdp_group": RDP_FIREWALL_GROUP,
        "driver_paths": [],           # PnpCustomizationsWinPE DriverPaths (UNC folders); startnet.data_tree fills it
    })
    if len(context["first_logon"]) > answer_meta.MAX_COMMANDS:
        raise InputError("metadata winpe_first_logon", "more than %d commands with winpe_cm_command"
                         % answer_meta.MAX_COMMANDS, "put them in a script")
    return context


def render_unattend(context, firmware, templates):
    """The unattend.xml text for FIRMWARE (bios or uefi) from CONTEXT (see unattend_context), from
    snippets/windows/unattend.xml.tmpl as TEMPLATES (cobbler_winpe.snippets.Templates) finds it for the context's
    distro, profile and system; $snippet("disk_bios") in it renders disk_bios.xml.tmpl, found the same way."""
    if firmware not in FIRMWARES:
        raise InputError("firmware %r" % firmware, "unknown", "use one of %s" % ", ".join(FIRMWARES))
    context = dict(context, firmware=firmware, install_partition=INSTALL_PARTITION[firmware])
    names = (context["distro_name"], context["profile_name"], context["system_name"])
    return cheetah.render(templates, cheetah.WINDOWS_DIR + MAIN_TEMPLATE, context, names, XmlFilter)
