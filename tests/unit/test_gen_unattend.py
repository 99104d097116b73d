"""Unit tests of gen.unattend: each setting lands in its pass/component, values are escaped, overrides win."""
import base64
import xml.etree.ElementTree as ET

import pytest

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import unattend
from cobbler_winpe.gen.model import WinDistro, WinProfile, WinSystem

NS = {"u": "urn:schemas-microsoft-com:unattend"}
DISTRO = WinDistro("win11-x64", "x86_64", "11", "/m", meta={"winpe_timezone": "UTC", "winpe_locale": "en-US"})


def _render(firmware="bios", profile_meta=None, system_meta=None, hostname="pc-01.example.com", dirs=None):
    profile = WinProfile("pro", "win11-x64", image_index=6, meta=profile_meta or {})
    system = WinSystem("pc1", "pro", hostname=hostname, meta=system_meta or {})
    context = unattend.unattend_context(DISTRO, profile, system)
    text = unattend.render_unattend(context, firmware, dirs or [unattend.DEFAULT_TEMPLATE_DIR])
    return ET.fromstring(text.encode("utf-8"))


def _component(root, pass_name, name):
    found = root.findall("u:settings[@pass='%s']/u:component[@name='%s']" % (pass_name, name), NS)
    assert len(found) <= 1
    return found[0] if found else None


def _text(elem, path):
    node = elem.find(path, NS)
    return None if node is None else node.text


def test_edition_locale_timezone_and_name():
    root = _render(profile_meta={"winpe_locale": "de-DE", "winpe_timezone": "W. Europe Standard Time"})
    setup = _component(root, "windowsPE", "Microsoft-Windows-Setup")
    assert _text(setup, "u:ImageInstall/u:OSImage/u:InstallFrom/u:MetaData/u:Key") == "/IMAGE/INDEX"
    assert _text(setup, "u:ImageInstall/u:OSImage/u:InstallFrom/u:MetaData/u:Value") == "6"
    winpe_intl = _component(root, "windowsPE", "Microsoft-Windows-International-Core-WinPE")
    assert _text(winpe_intl, "u:SetupUILanguage/u:UILanguage") == "de-DE"
    assert _text(_component(root, "oobeSystem", "Microsoft-Windows-International-Core"), "u:UserLocale") == "de-DE"
    shell = _component(root, "specialize", "Microsoft-Windows-Shell-Setup")
    assert _text(shell, "u:ComputerName") == "pc-01"
    assert _text(shell, "u:TimeZone") == "W. Europe Standard Time"
    assert setup.get("processorArchitecture") == "amd64"


def test_disk_layout_by_firmware():
    bios = _component(_render("bios"), "windowsPE", "Microsoft-Windows-Setup")
    uefi = _component(_render("uefi"), "windowsPE", "Microsoft-Windows-Setup")
    types = lambda comp: [_text(p, "u:Type") for p in comp.findall(".//u:CreatePartition", NS)]
    assert types(bios) == ["Primary", "Primary"]
    assert types(uefi) == ["EFI", "MSR", "Primary"]
    assert _text(bios, ".//u:InstallTo/u:PartitionID") == "2"
    assert _text(uefi, ".//u:InstallTo/u:PartitionID") == "3"
    assert _text(bios, ".//u:ModifyPartition/u:Active") == "true"
    assert "FAT32" in [_text(p, "u:Format") for p in uefi.findall(".//u:ModifyPartition", NS)]


def test_admin_password_encoded_as_windows_does():
    root = _render(system_meta={"winpe_admin_password": "P@ss<&>"})
    shell = _component(root, "oobeSystem", "Microsoft-Windows-Shell-Setup")
    value = _text(shell, "u:UserAccounts/u:AdministratorPassword/u:Value")
    assert base64.b64decode(value).decode("utf-16-le") == "P@ss<&>AdministratorPassword"
    assert _text(shell, "u:UserAccounts/u:AdministratorPassword/u:PlainText") == "false"
    assert base64.b64decode(_text(shell, "u:AutoLogon/u:Password/u:Value")).decode("utf-16-le") == "P@ss<&>Password"


def test_no_password_no_accounts_and_no_product_key():
    root = _render()
    assert root.find(".//u:UserAccounts", NS) is None and root.find(".//u:AutoLogon", NS) is None
    assert root.find(".//u:ProductKey", NS) is None


def test_product_key_and_domain_join():
    root = _render(profile_meta={"winpe_product_key": "vk7jg-nphtm-c97jm-9mpgt-3v66t"},
                   system_meta={"winpe_domain": "corp.example", "winpe_domain_user": "join&<user>",
                                "winpe_domain_password": "p\"w'<>", "winpe_domain_ou": "OU=PCs,DC=corp"})
    setup = _component(root, "windowsPE", "Microsoft-Windows-Setup")
    assert _text(setup, "u:UserData/u:ProductKey/u:Key") == "VK7JG-NPHTM-C97JM-9MPGT-3V66T"
    join = _component(root, "specialize", "Microsoft-Windows-UnattendedJoin")
    assert _text(join, "u:Identification/u:JoinDomain") == "corp.example"
    assert _text(join, "u:Identification/u:Credentials/u:Username") == "join&<user>"
    assert _text(join, "u:Identification/u:Credentials/u:Password") == "p\"w'<>"
    assert _text(join, "u:Identification/u:MachineObjectOU") == "OU=PCs,DC=corp"


def test_first_logon_commands_in_order():
    root = _render(system_meta={"winpe_first_logon_10": "third", "winpe_first_logon_2": "cmd /c a & b > c",
                                "winpe_first_logon_1": "first"})
    commands = root.findall(".//u:FirstLogonCommands/u:SynchronousCommand", NS)
    assert [(_text(c, "u:Order"), _text(c, "u:CommandLine")) for c in commands] == [
        ("1", "first"), ("2", "cmd /c a & b > c"), ("3", "third")]


def test_win11_bypass_and_24h2_switches_opt_in():
    plain = _render()
    assert "LabConfig" not in ET.tostring(plain, encoding="unicode")
    root = _render(profile_meta={"winpe_win11_bypass": "yes", "winpe_bypass_nro": "true",
                                 "winpe_disable_dynamic_update": "1"})
    setup = _component(root, "windowsPE", "Microsoft-Windows-Setup")
    paths = [_text(c, "u:Path") for c in setup.findall("u:RunSynchronous/u:RunSynchronousCommand", NS)]
    assert len(paths) == 5 and all("HKLM\\SYSTEM\\Setup\\LabConfig" in p for p in paths)
    assert any("BypassTPMCheck" in p for p in paths) and any("BypassSecureBootCheck" in p for p in paths)
    deploy = _component(root, "specialize", "Microsoft-Windows-Deployment")
    assert "BypassNRO" in _text(deploy, ".//u:Path")
    assert _text(setup, "u:DynamicUpdate/u:Enable") == "false"


def test_system_metadata_beats_profile_and_distro():
    root = _render(profile_meta={"winpe_timezone": "Tokyo Standard Time"},
                   system_meta={"winpe_timezone": "GMT Standard Time"})
    assert _text(_component(root, "specialize", "Microsoft-Windows-Shell-Setup"), "u:TimeZone") == "GMT Standard Time"


@pytest.mark.parametrize("meta", [{"winpe_product_key": "<x>"}, {"winpe_locale": "en<US"},
                                  {"winpe_admin_password": "a\nb"}, {"winpe_first_logon_1": "a\x00"},
                                  {"winpe_domain": "corp", "winpe_domain_user": ""},
                                  {"winpe_computer_name": "much-too-long-name"}, {"winpe_disk": "x"}])
def test_bad_metadata_refused(meta):
    with pytest.raises(InputError):
        _render(system_meta=meta)


def test_injection_stays_text():
    root = _render(profile_meta={"winpe_organization": "</Organization><Evil/>", "winpe_owner": "&amp; ]]>"})
    assert root.find(".//u:Evil", NS) is None
    assert _text(root, ".//u:UserData/u:Organization") == "</Organization><Evil/>"
    assert _text(root, ".//u:UserData/u:FullName") == "&amp; ]]>"


def test_overrides_resolve_like_cobbler_snippets(tmp_path):
    (tmp_path / "per_profile" / "pro").mkdir(parents=True)
    (tmp_path / "per_profile" / "pro" / "disk_bios.xml.tmpl").write_text(
        "      <DiskConfiguration><WillShowUI>Always</WillShowUI><Marker>$profile_name</Marker></DiskConfiguration>\n")
    dirs = [str(tmp_path), unattend.DEFAULT_TEMPLATE_DIR]
    root = _render("bios", dirs=dirs)
    assert _text(root, ".//u:DiskConfiguration/u:Marker") == "pro"
    (tmp_path / "per_system" / "pc1").mkdir(parents=True)
    (tmp_path / "per_system" / "pc1" / "disk_bios.xml.tmpl").write_text(
        "      <DiskConfiguration><Marker>system $computer_name</Marker></DiskConfiguration>\n")
    assert _text(_render("bios", dirs=dirs), ".//u:DiskConfiguration/u:Marker") == "system pc-01"
    assert _text(_render("uefi", dirs=dirs), ".//u:DiskConfiguration/u:Marker") is None


def test_broken_override_is_an_input_error(tmp_path):
    (tmp_path / "unattend.xml.tmpl").write_text("<a>$no_such_value</a>\n")
    with pytest.raises(InputError):
        _render(dirs=[str(tmp_path)])


def test_unknown_firmware_refused():
    with pytest.raises(InputError):
        unattend.render_unattend({}, "coreboot")
