"""Unit tests of gen.unattend: every rendered answer file is checked against Microsoft's reference table
(unattend_reference.py), then each setting's value is read back; overrides and bad metadata behave."""
import base64
import xml.etree.ElementTree as ET

import pytest

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import unattend
from cobbler_winpe.gen.model import WinDistro, WinProfile, WinSystem
from cobbler_winpe.snippets import Templates
from unattend_reference import (DEPLOY, FIREWALL, INTL, INTL_PE, JOIN, SETUP, SHELL, TS, UNATTEND_NS, WCM_NS,
                                check_answer_file, setting)

NS = {"u": UNATTEND_NS}
DISTRO = WinDistro("win11-x64", "x86_64", "11", "/m", meta={"winpe_timezone": "UTC", "winpe_locale": "en-US"})
HOSTILE = ("</Organization><Evil/>", "&amp; ]]>", "<!--", "\"'<>&", "%PATH% ^& | !x!", "é ü 漢字", "\u202e")

# Every metadata key the default templates read, in sets that together switch every optional part on.
METADATA_SETS = {
    "none": {},
    "locale": {"winpe_locale": "de-DE", "winpe_ui_language": "de-DE", "winpe_input_locale": "0407:00000407",
               "winpe_timezone": "W. Europe Standard Time", "winpe_owner": "Lab", "winpe_organization": "Org"},
    "accounts": {"winpe_admin_password": "P@ss<&>", "winpe_first_logon_1": "cmd /c echo hi",
                 "winpe_first_logon_2": "powershell -Command \"& { Get-Date }\""},
    "domain": {"winpe_domain": "corp.example.com", "winpe_domain_user": "joiner", "winpe_domain_password": "j0in!",
               "winpe_domain_ou": "OU=PCs,DC=corp,DC=example,DC=com"},
    "switches": {"winpe_win11_bypass": "yes", "winpe_bypass_nro": "true", "winpe_disable_dynamic_update": "1",
                 "winpe_product_key": "vk7jg-nphtm-c97jm-9mpgt-3v66t", "winpe_disk": "1",
                 "winpe_computer_name": "LAB-PC-7"},
    "remote": {"winpe_rdp": "on", "winpe_firewall_off": "public"},
    "users": {"winpe_user_1": "ops:Administrators;RemoteDesktopUsers", "winpe_user_1_password": "0ps<&>",
              "winpe_user_2": "kiosk", "winpe_user_2_password": "k", "winpe_computer_name": "lab-{mac}",
              "winpe_cm_command": "C:\\salt\\salt-call.bat --id {fqdn} state.apply & echo <done>"},
}
ALL_METADATA = {key: value for meta in METADATA_SETS.values() for key, value in meta.items()}
METADATA_SETS["all"] = ALL_METADATA


def render_text(firmware="bios", profile_meta=None, system_meta=None, hostname="pc-01.example.com",
                snippet_dir=None, with_system=True, distro=DISTRO):
    """The answer file for a system (or, WITH_SYSTEM false, the profile), with the overrides in SNIPPET_DIR (an
    autoinstall_snippets_dir); the shipped templates' output must pass the reference table."""
    profile = WinProfile("pro", distro.name, image_index=6, meta=profile_meta or {})
    system = WinSystem("pc1", "pro", hostname=hostname, macs=("52:54:00:ab:cd:ef",), meta=system_meta or {})
    context = unattend.unattend_context(distro, profile, system if with_system else None)
    text = unattend.render_unattend(context, firmware, Templates(snippet_dir))
    if not snippet_dir:
        assert check_answer_file(text, context["arch"]) == []
    return text


def one(text, pass_name, component, path):
    found = setting(text, pass_name, component, path)
    assert len(found) == 1, (pass_name, component, path, found)
    return found[0]


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
@pytest.mark.parametrize("meta_set", sorted(METADATA_SETS))
@pytest.mark.parametrize("with_system", [True, False], ids=["system", "profile"])
@pytest.mark.parametrize("arch, expected", [("x86_64", "amd64"), ("i386", "x86"), ("arm64", "arm64")])
def test_every_answer_file_matches_the_reference(firmware, meta_set, with_system, arch, expected):
    distro = WinDistro("win11", arch, "11", "/m")
    text = render_text(firmware, system_meta=METADATA_SETS[meta_set], with_system=with_system, distro=distro)
    assert check_answer_file(text, expected) == []
    other = "x86" if expected != "x86" else "amd64"
    assert check_answer_file(text, other)   # the architecture is checked on every component


def assert_settings(text, expected):
    """Each (pass, component, path) of EXPECTED holds exactly its one value in TEXT."""
    assert {key: setting(text, *key) for key in expected} == {key: [value] for key, value in expected.items()}


def test_edition_locale_timezone_and_name():
    text = render_text(profile_meta={"winpe_locale": "de-DE", "winpe_timezone": "W. Europe Standard Time"})
    assert_settings(text, {
        ("windowsPE", SETUP, "ImageInstall/OSImage/InstallFrom/MetaData/Key"): "/IMAGE/INDEX",
        ("windowsPE", SETUP, "ImageInstall/OSImage/InstallFrom/MetaData/Value"): "6",
        ("windowsPE", INTL_PE, "SetupUILanguage/UILanguage"): "de-DE",
        ("oobeSystem", INTL, "UserLocale"): "de-DE", ("oobeSystem", INTL, "InputLocale"): "de-DE",
        ("specialize", SHELL, "ComputerName"): "pc-01",
        ("specialize", SHELL, "TimeZone"): "W. Europe Standard Time",
        ("oobeSystem", SHELL, "TimeZone"): "W. Europe Standard Time"})


def test_keyboard_owner_and_organisation():
    assert_settings(render_text(system_meta=METADATA_SETS["locale"]), {
        ("windowsPE", INTL_PE, "InputLocale"): "0407:00000407", ("oobeSystem", INTL, "InputLocale"): "0407:00000407",
        ("windowsPE", SETUP, "UserData/FullName"): "Lab", ("windowsPE", SETUP, "UserData/Organization"): "Org",
        ("specialize", SHELL, "RegisteredOwner"): "Lab", ("specialize", SHELL, "RegisteredOrganization"): "Org"})


def test_disk_layout_by_firmware():
    bios, uefi = render_text("bios"), render_text("uefi")
    create = "DiskConfiguration/Disk/CreatePartitions/CreatePartition/Type"
    modify = "DiskConfiguration/Disk/ModifyPartitions/ModifyPartition/"
    assert setting(bios, "windowsPE", SETUP, create) == ["Primary", "Primary"]
    assert setting(uefi, "windowsPE", SETUP, create) == ["EFI", "MSR", "Primary"]
    assert one(bios, "windowsPE", SETUP, "ImageInstall/OSImage/InstallTo/PartitionID") == "2"
    assert one(uefi, "windowsPE", SETUP, "ImageInstall/OSImage/InstallTo/PartitionID") == "3"
    assert setting(bios, "windowsPE", SETUP, modify + "Active") == ["true"]
    assert setting(uefi, "windowsPE", SETUP, modify + "Format") == ["FAT32", "NTFS"]
    moved = render_text("uefi", system_meta={"winpe_disk": "1"})
    assert setting(moved, "windowsPE", SETUP, "DiskConfiguration/Disk/DiskID") == ["1"]
    assert one(moved, "windowsPE", SETUP, "ImageInstall/OSImage/InstallTo/DiskID") == "1"


def test_admin_password_encoded_as_windows_does():
    text = render_text(system_meta={"winpe_admin_password": "P@ss<&>"})
    value = one(text, "oobeSystem", SHELL, "UserAccounts/AdministratorPassword/Value")
    assert base64.b64decode(value).decode("utf-16-le") == "P@ss<&>AdministratorPassword"
    assert one(text, "oobeSystem", SHELL, "UserAccounts/AdministratorPassword/PlainText") == "false"
    logon = base64.b64decode(one(text, "oobeSystem", SHELL, "AutoLogon/Password/Value")).decode("utf-16-le")
    assert logon == "P@ss<&>Password"
    assert one(text, "oobeSystem", SHELL, "AutoLogon/Username") == "Administrator"
    assert "P@ss" not in text   # never in clear


def test_no_password_no_accounts_and_no_product_key():
    text = render_text()
    assert setting(text, "oobeSystem", SHELL, "UserAccounts") == []
    assert setting(text, "oobeSystem", SHELL, "AutoLogon") == []
    assert setting(text, "windowsPE", SETUP, "UserData/ProductKey") == []


def test_product_key_and_domain_join():
    text = render_text(profile_meta={"winpe_product_key": "vk7jg-nphtm-c97jm-9mpgt-3v66t"},
                       system_meta={"winpe_domain": "corp.example", "winpe_domain_user": "join&<user>",
                                    "winpe_domain_password": "p\"w'<>", "winpe_domain_ou": "OU=PCs,DC=corp"})
    assert one(text, "windowsPE", SETUP, "UserData/ProductKey/Key") == "VK7JG-NPHTM-C97JM-9MPGT-3V66T"
    assert one(text, "specialize", JOIN, "Identification/JoinDomain") == "corp.example"
    assert one(text, "specialize", JOIN, "Identification/Credentials/Domain") == "corp.example"
    assert one(text, "specialize", JOIN, "Identification/Credentials/Username") == "join&<user>"
    assert one(text, "specialize", JOIN, "Identification/Credentials/Password") == "p\"w'<>"
    assert one(text, "specialize", JOIN, "Identification/MachineObjectOU") == "OU=PCs,DC=corp"


def test_first_logon_commands_in_order():
    text = render_text(system_meta={"winpe_first_logon_10": "third", "winpe_first_logon_2": "cmd /c a & b > c",
                                    "winpe_first_logon_1": "first"})
    base = "FirstLogonCommands/SynchronousCommand/"
    assert setting(text, "oobeSystem", SHELL, base + "Order") == ["1", "2", "3"]
    assert setting(text, "oobeSystem", SHELL, base + "CommandLine") == ["first", "cmd /c a & b > c", "third"]


def reg_add(command):
    """reg.exe add KEY /v NAME /t TYPE /d DATA /f as (key, name, type, data); anything else fails the test."""
    words = command.split(" ")
    assert words[:2] == ["reg.exe", "add"] and words[3::2][:4] == ["/v", "/t", "/d", "/f"], command
    return words[2], words[4], words[6], words[8]


def test_win11_bypass_and_24h2_switches_opt_in():
    plain = render_text()
    assert setting(plain, "windowsPE", SETUP, "RunSynchronous") == []
    assert setting(plain, "specialize", DEPLOY, "RunSynchronous") == []
    assert setting(plain, "windowsPE", SETUP, "DynamicUpdate") == []
    text = render_text(profile_meta={"winpe_win11_bypass": "yes", "winpe_bypass_nro": "true",
                                     "winpe_disable_dynamic_update": "1"})
    paths = setting(text, "windowsPE", SETUP, "RunSynchronous/RunSynchronousCommand/Path")
    assert [reg_add(p) for p in paths] == [("HKLM\\SYSTEM\\Setup\\LabConfig", key, "REG_DWORD", "1")
                                           for key in unattend.LABCONFIG_KEYS]
    nro = one(text, "specialize", DEPLOY, "RunSynchronous/RunSynchronousCommand/Path")
    assert reg_add(nro) == ("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\OOBE", "BypassNRO", "REG_DWORD", "1")
    assert one(text, "windowsPE", SETUP, "DynamicUpdate/Enable") == "false"


def test_system_metadata_beats_profile_and_distro():
    text = render_text(profile_meta={"winpe_timezone": "Tokyo Standard Time"},
                       system_meta={"winpe_timezone": "GMT Standard Time"})
    assert one(text, "specialize", SHELL, "TimeZone") == "GMT Standard Time"
    assert one(render_text(profile_meta={"winpe_timezone": "Tokyo Standard Time"}), "specialize", SHELL,
               "TimeZone") == "Tokyo Standard Time"


@pytest.mark.parametrize("meta", [{"winpe_product_key": "<x>"}, {"winpe_locale": "en<US"},
                                  {"winpe_admin_password": "a\nb"}, {"winpe_first_logon_1": "a\x00"},
                                  {"winpe_domain": "corp", "winpe_domain_user": ""},
                                  {"winpe_computer_name": "much-too-long-name"}, {"winpe_disk": "x"},
                                  {"winpe_domain": "corp", "winpe_domain_user": "u"},   # Password may not be empty
                                  {"winpe_owner": "x" * 64}, {"winpe_organization": ""},   # FullName: 1-63
                                  {"winpe_domain": "c", "winpe_domain_user": "u", "winpe_domain_password": "p",
                                   "winpe_domain_ou": "PCs"},
                                  {"winpe_rdp": "maybe"}, {"winpe_firewall_off": "dmz"}, {"winpe_win11_bypass": "si"},
                                  {"winpe_user_1": "bad/name", "winpe_user_1_password": "p"},
                                  {"winpe_user_1": "NONE", "winpe_user_1_password": "p"},
                                  {"winpe_user_1": "a:Bad;Gr/oup", "winpe_user_1_password": "p"},
                                  {"winpe_user_1": "nopassword"}, {"winpe_user_3_password": "orphan"},
                                  {"winpe_user_1": "a", "winpe_user_1_password": "p", "winpe_user_2": "A",
                                   "winpe_user_2_password": "p"},
                                  {"winpe_computer_name": "{bogus}"}, {"winpe_computer_name": "lab_{mac}"},
                                  {"winpe_computer_name": "12345"}, {"winpe_cm_command": "run {hostnme}"},
                                  {"winpe_input_locale": "0407:XYZ"}])
def test_bad_metadata_refused(meta):
    with pytest.raises(InputError):
        render_text(system_meta=meta)


FREE_TEXT = {"winpe_owner": ("windowsPE", SETUP, "UserData/FullName"),
             "winpe_organization": ("specialize", SHELL, "RegisteredOrganization"),
             "winpe_first_logon_1": ("oobeSystem", SHELL, "FirstLogonCommands/SynchronousCommand/CommandLine"),
             "winpe_domain_user": ("specialize", JOIN, "Identification/Credentials/Username"),
             "winpe_domain_password": ("specialize", JOIN, "Identification/Credentials/Password"),
             "winpe_cm_command": ("oobeSystem", SHELL, "FirstLogonCommands/SynchronousCommand/CommandLine"),
             "winpe_timezone": ("oobeSystem", SHELL, "TimeZone")}


@pytest.mark.parametrize("key", sorted(FREE_TEXT))
@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_hostile_values_stay_text(key, value):
    meta = dict(METADATA_SETS["domain"], **{key: value})
    if key == "winpe_timezone":   # a time zone id is refused unless it is letters, digits and ( ) . + - _ space
        with pytest.raises(InputError, match="winpe_timezone: value not of the expected form"):
            render_text(system_meta=meta)
        return
    text = render_text(system_meta=meta)   # well-formed and valid against the reference (checked in render_text)
    assert one(text, *FREE_TEXT[key]) == value
    assert ET.fromstring(text).find(".//Evil") is None and ET.fromstring(text).find(".//u:Evil", NS) is None


def _override(root, level, template, name, text):
    """An admin's override as Cobbler 3.3 lays them out: <snippets>/per_<level>/<template>/<item name>."""
    path = root / ("per_" + level) / template / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_overrides_resolve_like_cobbler_snippets(tmp_path):
    """A sub-snippet ($snippet("disk_bios")) is looked up on its own: the profile's disk layout, then the system's."""
    _override(tmp_path, "profile", "windows/disk_bios.xml.tmpl", "pro",
              "      <DiskConfiguration><WillShowUI>Always</WillShowUI><Marker>$profile_name</Marker>"
              "</DiskConfiguration>\n")
    marker = "DiskConfiguration/Marker"
    assert setting(render_text("bios", snippet_dir=tmp_path), "windowsPE", SETUP, marker) == ["pro"]
    _override(tmp_path, "system", "windows/disk_bios.xml.tmpl", "pc1",
              "      <DiskConfiguration><Marker>system $computer_name</Marker></DiskConfiguration>\n")
    assert setting(render_text("bios", snippet_dir=tmp_path), "windowsPE", SETUP, marker) == ["system pc-01"]
    uefi = render_text("uefi", snippet_dir=tmp_path)
    assert setting(uefi, "windowsPE", SETUP, marker) == [] and check_answer_file(uefi, "amd64") == []


def test_broken_override_is_an_input_error(tmp_path):
    (tmp_path / "windows").mkdir()
    (tmp_path / "windows" / "unattend.xml.tmpl").write_text("<a>$no_such_value</a>\n")
    with pytest.raises(InputError, match="unattend.xml.tmpl"):
        render_text(snippet_dir=tmp_path)


def test_unknown_firmware_refused():
    with pytest.raises(InputError):
        unattend.render_unattend({}, "coreboot", Templates())


def test_remote_desktop_on_off_and_unset():
    text = render_text(system_meta={"winpe_rdp": "on"})
    group = "FirewallGroups/FirewallGroup/"
    assert_settings(text, {("specialize", TS, "fDenyTSConnections"): "false",
                           ("specialize", FIREWALL, group + "Active"): "true",
                           ("specialize", FIREWALL, group + "Group"): "@FirewallAPI.dll,-28752",
                           ("specialize", FIREWALL, group + "Profile"): "all"})
    entry = ET.fromstring(text).find(".//u:FirewallGroup", NS)
    assert entry.get("{%s}keyValue" % WCM_NS) == "RemoteDesktop"
    assert setting(text, "specialize", FIREWALL, "PublicProfile_EnableFirewall") == []   # profiles untouched
    off = render_text(profile_meta={"winpe_rdp": "on"}, system_meta={"winpe_rdp": "off"})
    assert one(off, "specialize", TS, "fDenyTSConnections") == "true"
    assert setting(off, "specialize", FIREWALL, "FirewallGroups") == []
    assert setting(render_text(), "specialize", TS, "fDenyTSConnections") == []


@pytest.mark.parametrize("value, expected", [("public", ("true", "true", "false")),
                                             ("domain, private", ("false", "false", "true")),
                                             ("all", ("false", "false", "false")), ("none", ("true", "true", "true"))])
def test_firewall_profiles(value, expected):
    text = render_text(system_meta={"winpe_firewall_off": value})
    found = tuple(one(text, "specialize", FIREWALL, p + "Profile_EnableFirewall") for p in ("Domain", "Private",
                                                                                          "Public"))
    assert found == expected
    assert setting(render_text(), "specialize", FIREWALL, "DomainProfile_EnableFirewall") == []


def test_extra_local_accounts():
    text = render_text(system_meta=METADATA_SETS["users"])
    local = "UserAccounts/LocalAccounts/LocalAccount/"
    assert setting(text, "oobeSystem", SHELL, local + "Name") == ["ops", "kiosk"]
    assert setting(text, "oobeSystem", SHELL, local + "Group") == ["Administrators;RemoteDesktopUsers", "Users"]
    passwords = setting(text, "oobeSystem", SHELL, local + "Password/Value")
    assert [base64.b64decode(p).decode("utf-16-le") for p in passwords] == ["0ps<&>Password", "kPassword"]
    assert setting(text, "oobeSystem", SHELL, local + "Password/PlainText") == ["false", "false"]
    assert one(text, "oobeSystem", SHELL, "OOBE/HideLocalAccountScreen") == "true"
    assert setting(text, "oobeSystem", SHELL, "UserAccounts/AdministratorPassword") == []
    assert "0ps" not in text


@pytest.mark.parametrize("meta, hostname, expected", [
    ({}, "a-very-long-hostname.example.com", "a-very-long-hos"),          # hostname: first label, cut to 15
    ({}, "", "*"),                                                         # no hostname: Windows picks one
    ({"winpe_computer_name": "lab-{mac}"}, "", "lab-525400ABCDE"),         # pattern cut to 15
    ({"winpe_computer_name": "{name}-{profile}"}, "", "pc1-pro"),
    ({"winpe_computer_name": "w{fqdn}"}, "db.example.com", "wdb-example-com"),   # dots become '-'
    ({"winpe_computer_name": "LAB-PC-7"}, "ignored.example", "LAB-PC-7")])
def test_computer_name_rules(meta, hostname, expected):
    text = render_text(system_meta=meta, hostname=hostname)
    assert one(text, "specialize", SHELL, "ComputerName") == expected


def test_computer_name_pattern_in_a_profile_file_is_random():
    text = render_text(profile_meta={"winpe_computer_name": "lab-{mac}"}, with_system=False)
    assert one(text, "specialize", SHELL, "ComputerName") == "*"
    fixed = render_text(profile_meta={"winpe_computer_name": "KIOSK"}, with_system=False)
    assert one(fixed, "specialize", SHELL, "ComputerName") == "KIOSK"


def test_configuration_management_hand_off_runs_last():
    meta = dict(METADATA_SETS["users"], winpe_first_logon_1="first")
    text = render_text(system_meta=meta, hostname="pc-01.example.com")
    commands = setting(text, "oobeSystem", SHELL, "FirstLogonCommands/SynchronousCommand/CommandLine")
    assert commands == ["first", "C:\\salt\\salt-call.bat --id pc-01.example.com state.apply & echo <done>"]
    assert setting(text, "oobeSystem", SHELL, "FirstLogonCommands/SynchronousCommand/Order") == ["1", "2"]
    puppet = "puppet agent -t --certname {computer_name}.{distro}"
    text = render_text(system_meta={"winpe_cm_command": puppet, "winpe_computer_name": "lab-{mac}"})
    assert one(text, "oobeSystem", SHELL, "FirstLogonCommands/SynchronousCommand/CommandLine") == \
        "puppet agent -t --certname lab-525400ABCDE.win11-x64"


def test_hand_off_in_a_profile_file_only_when_it_can_be_filled():
    needs_system = render_text(profile_meta={"winpe_cm_command": "run {fqdn}"}, with_system=False)
    assert setting(needs_system, "oobeSystem", SHELL, "FirstLogonCommands") == []
    by_profile = render_text(profile_meta={"winpe_cm_command": "run {profile}"}, with_system=False)
    assert one(by_profile, "oobeSystem", SHELL, "FirstLogonCommands/SynchronousCommand/CommandLine") == "run pro"


def test_hand_off_refuses_a_value_unsafe_in_a_command_line():
    with pytest.raises(InputError, match="unsafe in a command line"):
        render_text(system_meta={"winpe_cm_command": "run {fqdn}"}, hostname="a&calc.example")


def test_secrets_never_in_the_error_line():
    for key in ("winpe_admin_password", "winpe_domain_password", "winpe_user_1_password", "winpe_product_key"):
        meta = {"winpe_domain": "c", "winpe_domain_user": "u", "winpe_domain_password": "p", "winpe_user_1": "u",
                "winpe_user_1_password": "p", key: "s3cr3t-" + "x" * 300}
        with pytest.raises(InputError) as err:
            render_text(system_meta=meta)
        assert "s3cr3t" not in str(err.value) and key in str(err.value)
