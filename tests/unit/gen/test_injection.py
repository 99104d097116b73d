"""Injection: hostile names and metadata reach smb.conf, unattend.xml, menus, iPXE scripts and batch files only escaped
or refused.

Each output is read back by its consumer or a faithful model of it: smb.conf by Samba's own `testparm`, unattend.xml
by an XML parser, the menu snippets rendered by Cobbler's own Templar (as `cobbler sync` does) and read line by
line as pxelinux/GRUB/iPXE do, batch `set` lines by the rules cmd.exe applies to them.
"""
import base64
import os
import re
import shutil
import subprocess
import types
import xml.etree.ElementTree as ET

import pytest

from cobbler_winpe import config
from cobbler_winpe.adapter import install
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import menus, samba, startnet, unattend
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile, WinSystem
from cobbler_winpe.snippets import Templates

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SNIPPETS = os.path.join(REPO, "snippets")
SHIPPED = Templates()

# Metacharacters of shells, cmd.exe, iPXE, GRUB, pxelinux, smb.conf and XML, alone and in combinations.
HOSTILE = [
    "a\nb", "a\r\nLABEL evil", "trail\n", "a'b", 'a"b', "a[b]", "[global]", "a%PATH%b", "50%", "a&b", "a<b>c",
    "a^b", "a|b", "a;b", "$(id)", "`id`", "${next-server}", "a$b", "a\\b", "x\\", "a b", "a#b", "#comment",
    "a{b}", "a!b!c", "!PATH!", "a\x00b", "a\tb", "..", "a/../b", "&lt;", "]]>", "a:b", "-o 66.s=evil",
    "'; reboot; '", "\" & shutdown /r & \"", "%%", "^&^|", "a\x1b[2Jb", "\u2028x", "é中",
]
SERVER = Server(address="10.0.0.1", http_port=8080)
CONFIG = config.validate({"smb_share": "winpe", "smb_user": "cobbler-winpe", "cache_dir": "/var/lib/cobbler/winpe"})
DISTRO = WinDistro(name="win10-x86_64", arch="x86_64", os_version="10", mirror="/srv/mirror/win10")
PROFILE = WinProfile(name="win10-x86_64-pro", distro="win10-x86_64", image_index=2, edition="Professional")
SYSTEM = WinSystem(name="pc01", profile="win10-x86_64-pro", hostname="pc01.example.com",
                   macs=("52:54:00:ab:cd:ef",))


def outcome(make):
    """make() -> its text, or None when it refused with InputError (the only allowed failure)."""
    try:
        return make()
    except InputError as err:
        assert "\n" not in str(err)
        return None


# ---- smb.conf, read back by Samba's testparm -----------------------------------------------------------------

def samba_view(tmp_path, include_text):
    """{section: {key: value}} as Samba itself parses an smb.conf that includes INCLUDE_TEXT."""
    if shutil.which("testparm") is None:
        pytest.skip("testparm is not installed (Debian package samba)")
    include = tmp_path / "include.conf"
    include.write_text(include_text, encoding="utf-8")
    conf = tmp_path / "smb.conf"
    conf.write_text("[global]\n    server role = standalone server\n    include = %s\n" % include, encoding="utf-8")
    done = subprocess.run(["testparm", "-s", "--suppress-prompt", str(conf)], capture_output=True, text=True,
                          timeout=60, errors="replace")
    assert done.returncode == 0, done.stderr
    sections, current = {}, None
    for line in done.stdout.split("\n"):
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif current is not None and " = " in line:
            key, value = line.split(" = ", 1)
            current[key] = value
    return sections


def smb_cases():
    for value in HOSTILE:
        yield pytest.param("distro name", value, id="distro-%r" % value)
        yield pytest.param("mirror", "/srv/mirror/" + value, id="mirror-%r" % value)
        yield pytest.param("share", value, id="share-%r" % value)


@pytest.mark.parametrize("field, value", list(smb_cases()))
def test_smb_conf(field, value, tmp_path):
    distro = WinDistro(name=value if field == "distro name" else "win10", arch="x86_64", os_version="10",
                       mirror=value if field == "mirror" else "/srv/mirror/win10")
    config = dict(CONFIG, smb_share=value if field == "share" else "winpe")
    text = outcome(lambda: samba.render_smb_include([distro], SERVER, config))
    if text is None:
        return
    sections = samba_view(tmp_path, text)
    share = "%s-%s" % (config["smb_share"], distro.name)
    assert set(sections) == {"global", config["smb_share"], share}, sections
    assert sections[share]["path"] == os.path.normpath(distro.mirror)
    assert sections[share].get("read only", "Yes") == "Yes"   # testparm -s omits defaults
    assert all("include" not in keys for name, keys in sections.items() if name != "global")


# ---- unattend.xml, read back by an XML parser ----------------------------------------------------------------

FREE_TEXT = ("winpe_owner", "winpe_organization", "winpe_first_logon_1", "winpe_domain_ou", "winpe_domain_user",
             "winpe_domain_password", "winpe_admin_password")


def render_answer(meta, profile=PROFILE, templates=SHIPPED):
    if meta.get("winpe_domain_ou") or meta.get("winpe_domain_user") or meta.get("winpe_domain_password"):
        meta = dict({"winpe_domain": "corp.example.com", "winpe_domain_user": "joiner", "winpe_domain_password": "pw"},
                    **meta)
    system = WinSystem(name=SYSTEM.name, profile=profile.name, hostname=SYSTEM.hostname, macs=SYSTEM.macs,
                       meta=meta)
    context = unattend.unattend_context(DISTRO, profile, system)
    return unattend.render_unattend(context, "uefi", SHIPPED)


def texts(root):
    return [(elem.text or "") for elem in root.iter()]


def element_count(text):
    return len(list(ET.fromstring(text).iter()))


@pytest.mark.parametrize("key", FREE_TEXT)
@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_unattend_metadata(key, value):
    if key == "winpe_domain_ou":
        value = "OU=" + value   # an LDAP DN is required; what follows the first '=' is free text
    text = outcome(lambda: render_answer({key: value}))
    if text is None:
        assert re.search(r"[\x00-\x1f\x7f-\x9f]", value), value   # only control characters may be refused here
        return
    root = ET.fromstring(text)   # well-formed, whatever the value
    benign = "OU=benign" if key == "winpe_domain_ou" else "benign"
    assert element_count(text) == element_count(render_answer({key: benign})), text
    if key == "winpe_admin_password":
        assert base64.b64encode((value + "AdministratorPassword").encode("utf-16-le")).decode() in texts(root)
    else:
        assert value in texts(root), (value, text)


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_unattend_item_names(value):
    profile = WinProfile(name=value, distro=DISTRO.name, image_index=1)
    text = outcome(lambda: render_answer({}, profile))
    if text is not None:
        ET.fromstring(text)


# ---- batch files: cmd.exe's rules for `set "NAME=value"` -----------------------------------------------------

SET_LINE = re.compile(r'set "([A-Z][A-Z0-9_]*)=([^"]*)"')


def batch_sets(text, delayed):
    """{NAME: value cmd.exe stores} for the set lines of TEXT; asserts each is literal under cmd.exe's parser.

    Percent phase: '%%' is one '%', any other '%' would expand a variable.  Inside "..." & | < > ^ are literal.
    With delayed expansion on, '!' would expand and '^' escape: neither may appear then.
    """
    found = {}
    for line in text.split("\r\n"):
        if not line.startswith("set \""):
            continue
        match = SET_LINE.fullmatch(line)
        assert match, line
        raw = match.group(2)
        assert re.fullmatch(r"([^%]|%%)*", raw), line
        if delayed:
            assert "!" not in raw and "^" not in raw, line
        found[match.group(1)] = raw.replace("%%", "%")
    return found


def check_batch(text, delayed, expected_lines):
    assert "\n" not in text.replace("\r\n", ""), "bare LF"
    assert text.count("\r\n") == expected_lines
    return batch_sets(text, delayed)


BASE_STARTNET = startnet.render_startnet(DISTRO, SERVER, CONFIG, password="pw", profile=PROFILE, templates=SHIPPED)


def startnet_prefix(text):
    """The set lines before delayed expansion is switched on."""
    return text.split("setlocal EnableDelayedExpansion")[0]


def startnet_suffix(text):
    """The script from the line that switches delayed expansion on."""
    return text[text.index("setlocal EnableDelayedExpansion"):]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_startnet_password(value):
    text = outcome(lambda: startnet.render_startnet(DISTRO, SERVER, CONFIG, password=value, profile=PROFILE,
                                                    templates=SHIPPED))
    if text is None:
        return
    assert text.index("DisableDelayedExpansion") < text.index("WINPE_PASS") < text.index("EnableDelayedExpansion")
    sets = check_batch(startnet_prefix(text), False, startnet_prefix(BASE_STARTNET).count("\r\n"))
    assert sets["WINPE_PASS"] == value


@pytest.mark.parametrize("field", ["distro", "profile", "share", "user", "address"])
@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_startnet_names(field, value):
    distro = WinDistro(name=value, arch="x86_64", os_version="10", mirror="/m") if field == "distro" else DISTRO
    profile = WinProfile(name=value, distro=distro.name) if field == "profile" else PROFILE
    config = dict(CONFIG, **({"smb_share": value} if field == "share" else {"smb_user": value}
                             if field == "user" else {}))
    server = Server(address=value) if field == "address" else SERVER
    text = outcome(lambda: startnet.render_startnet(distro, server, config, password="pw", profile=profile,
                                                    templates=SHIPPED))
    if text is None:
        return
    sets = check_batch(startnet_prefix(text), False, startnet_prefix(BASE_STARTNET).count("\r\n"))
    assert startnet_suffix(text) == startnet_suffix(BASE_STARTNET)    # the script after the set lines is unchanged
    # stored literally (no expansion, no command separator takes effect) and read back only as !NAME!
    share = "%s-%s" % (config["smb_share"], distro.name)
    assert sets["WINPE_SOURCE"] == "\\\\%s\\%s" % (server.address, share)
    assert sets["WINPE_DATA"] == "\\\\%s\\%s" % (server.address, config["smb_share"])
    assert sets["WINPE_USER"] == config["smb_user"]
    for name in ("WINPE_DISTRO", "WINPE_PROFILE"):   # used inside paths: percent-encoded, no metacharacter
        assert re.fullmatch(r"[A-Za-z0-9._~%-]+", sets[name]), (name, sets[name])


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_system_files(value):
    system = WinSystem(name=value, profile=PROFILE.name, macs=SYSTEM.macs)
    for render in (startnet.render_system_cmd, startnet.render_setupcomplete):
        text = outcome(lambda: render(system, SERVER, templates=SHIPPED))
        if text is None:
            continue
        lines = render(SYSTEM, SERVER, templates=SHIPPED).count("\r\n")
        # system.cmd is CALLed from startnet.cmd after delayed expansion is on: '!' and '^' must not appear
        sets = check_batch(text, True, lines)
        assert all(not re.search(r"[&|<>^!\s\"]", v) for v in sets.values()), sets


# ---- menus: the snippets Cobbler renders, and gen/menus.py ---------------------------------------------------

def render_menu(fmt, distro, profile, system=""):
    """Cobbler's boot-loader template holding only the plugin's block, rendered by Cobbler's own Templar."""
    from cobbler.templar import Templar   # the consumer itself: Cobbler's Cheetah set-up and $SNIPPET lookup
    api = types.SimpleNamespace(settings=lambda: types.SimpleNamespace(template_type="cheetah"))
    templar = Templar(api)
    table = {"mgmt_parameters": {"winpe": "1"}, "autoinstall_snippets_dir": SNIPPETS, "distro_name": distro,
             "profile_name": profile, "menu_name": system or profile, "menu_label": system or profile,
             "img_path": "/images/" + distro, "system_name": system, "netboot_enabled": True}
    return templar.render_cheetah(install.with_block("", fmt), table)


def menu_lines(text):
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
            or line.startswith("#!ipxe")]


# Names Cobbler's own check (items/item.py RE_OBJECT_NAME, a re.match ending in '$') lets through.
COBBLER_NAMES = ["win10-x86_64-pro", "a.b_c-d", "a:b", "..", ".", ":x", "-o", "trail\n", "x" * 200]


@pytest.mark.parametrize("fmt", install.MENU_FORMATS)
@pytest.mark.parametrize("name", COBBLER_NAMES, ids=repr)
@pytest.mark.parametrize("system", ["", "pc01"])
def test_menu_snippets(fmt, name, system):
    from cobbler.items.item import RE_OBJECT_NAME
    assert RE_OBJECT_NAME.match(name)   # Cobbler would accept this name
    base = menu_lines(render_menu(fmt, "win10-x86_64", "win10-x86_64-pro", system))
    assert base
    for distro, profile in ((name, "p"), ("d", name)):
        text = render_menu(fmt, distro, profile, system)
        lines = menu_lines(text)
        if not lines:
            continue   # the snippet refused the name: no entry at all
        assert len(lines) == len(base), (text, base)
        assert "\n" not in distro + profile or all(l.split()[0] == b.split()[0] for l, b in zip(lines, base)), text
        if fmt == "grub":
            assert all(line.count("'") % 2 == 0 for line in lines), text


def gen_menu_texts(value):
    distro = WinDistro(name=value, arch="x86_64", os_version="10", mirror="/m")
    profile = WinProfile(name=value, distro=value)
    return [outcome(make) for make in (
        lambda: menus.pxelinux_entry(distro, profile, templates=SHIPPED),
        lambda: menus.grub_entry(distro, profile, templates=SHIPPED),
        lambda: menus.ipxe_script(menus.ipxe_chain_lines(distro, profile)),
        lambda: menus.ipxe_script(menus.ipxe_wimboot_lines(SERVER, distro, value)),
        lambda: menus.pxelinux_entry(DISTRO, PROFILE, title=value, templates=SHIPPED),
        lambda: menus.grub_entry(DISTRO, PROFILE, title=value, templates=SHIPPED))]


BASE_GEN_MENUS = gen_menu_texts("benign")


@pytest.mark.parametrize("value", HOSTILE + COBBLER_NAMES, ids=repr)
def test_gen_menus(value):
    for text, base in zip(gen_menu_texts(value), BASE_GEN_MENUS):
        if text is None:
            continue
        assert text.count("\n") == base.count("\n") and not re.search(r"[\x00-\x1f\x7f-\x9f]", text.replace("\n", "")
                                                                     .replace("\t", "")), (value, text)
        assert not re.search(r"['\"$`{};&|<>#\\]", value) or value not in text, (value, text)
