"""A corpus of hostile Cobbler items (names, hostnames, metadata, shared MACs) added through XML-RPC, then a sync.

Measured on the real cobblerd with the plugin installed: no traceback, no item changed, every good item served
(answer files, DHCP blocks, BCD links, menus), each bad item named once with its reason, removed items' files gone.
"""
import base64
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import tftpy

from conftest import install_plugin, write_bed_config
from testbed import run_ok

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "..", "unit", "formats"), os.path.join(HERE, "..", "tftp")]

import test_tftpd_remap as tftp_test  # noqa: E402  (needs the path above)
import tftpd  # noqa: E402
from bcd_fixtures import regipy_tree  # noqa: E402

pytestmark = pytest.mark.integration

DISTRO = "good-x86_64"
PRO = "good-x86_64-pro"
DATA = Path("/var/lib/cobbler/winpe/smb")
SNIPPETS = Path("/etc/cobbler/winpe")
NS = "{urn:schemas-microsoft-com:unattend}"
META_CHARS = "& | ^ % ! < > \" ' ` $ ; ( )"


@dataclass
class Case:
    """One Cobbler item: EXPECT is None (served), "ignored" (not Windows) or the reason its skip line gives."""
    kind: str
    name: str
    expect: object = None
    fields: dict = field(default_factory=dict)
    macs: tuple = ()
    copy_of: str = ""           # distros: copy this one (the import's), then apply FIELDS
    values: dict = field(default_factory=dict)   # served systems: answer-file element -> the value it must hold


MAC_COUNT = [0]


def mac():
    MAC_COUNT[0] += 1
    return "52:54:00:cc:00:%02x" % MAC_COUNT[0]


def system(name, expect=None, hostname="pc-host", meta=None, macs=None, profile=PRO, values=None, **fields):
    fields = dict({"netboot_enabled": True}, **fields)
    fields.update(hostname=hostname, profile=profile,
                  autoinstall_meta=meta or {})   # XML-RPC's new systems have netboot off
    return Case("system", name, expect, fields, (mac(),) if macs is None else macs, values=values or {})


def profile(name, expect=None, meta=None, distro=DISTRO, **fields):
    return Case("profile", name, expect, dict(fields, distro=distro, autoinstall_meta=dict(meta or {})))


def distro_copy(name, expect, meta=None):
    return Case("distro", name, expect, {"autoinstall_meta": meta or {}}, copy_of=DISTRO)


REFUSED = "refused by Cobbler"
NAME = "can appear in boot menus"
COMPUTER = "Windows needs 1-15 letters"
FORM = "value not of the expected form"
CONTROL = "control character"
SHARED = "52:54:00:cc:ff:01"     # dup-a and dup-b (allow_duplicate_macs)
TWIN = "52:54:00:cc:ff:02"       # g-plain's, and g-two-macs' second
LONG_HOST = "a-very-long-host-name-" + "x" * 40
FIRST_LOGON = 'cmd /c echo %USERNAME% & dir | find "x" ^> nul !y!'
PASSWORD = "%PATH%&^|!\"<>'"


def corpus():
    good = [
        system("g-plain", hostname="plain-host", macs=(TWIN,), values={"ComputerName": "plain-host"}),
        system("g-meta-chars", comment=META_CHARS, meta={"winpe_owner": "A&B|C^D%E!F<G>"},
               values={"RegisteredOwner": "A&B|C^D%E!F<G>"}),
        system("g-xml", comment="</unattend><!-- &amp; ]]>", meta={"winpe_organization": '</Organization><E a="1"/>'},
               values={"RegisteredOrganization": '</Organization><E a="1"/>'}),
        system("g-huge-comment", comment="c" * 200000),
        system("g-password", meta={"winpe_admin_password": PASSWORD}, values={"password": PASSWORD}),
        system("g-first-logon", meta={"winpe_first_logon_1": FIRST_LOGON}, values={"CommandLine": FIRST_LOGON}),
        system("g-no-mac", macs=()),
        system("g-netboot-off", netboot_enabled=False),
        system("g.dotted.name", hostname="dotted.lab.example", values={"ComputerName": "dotted"}),
        system("g-override", hostname=LONG_HOST, meta={"winpe_computer_name": "SHORT-NAME"},
               values={"ComputerName": "SHORT-NAME"}),
        system("g-two-macs", macs=(mac(), TWIN)),
        system("g-c1-comment", comment="c1 \x85\x9b and \u2028 line separator"),
        system("g-disk", meta={"winpe_disk": "3"}),
        system("g-unknown-keys", meta={"winpe_nonsense": "<&>", "x y": "z %s" % META_CHARS}),
        system("g-domain", meta={"winpe_domain": "lab.example", "winpe_domain_user": "joiner",
                                 "winpe_domain_password": "&<>\"", "winpe_domain_ou": "OU=A&B,DC=lab"},
               values={"MachineObjectOU": "OU=A&B,DC=lab", "JoinDomain": "lab.example"}),
        # hostnames Windows would refuse become a NetBIOS name: other characters '-', cut to 15 (answer_meta)
        system("g-host16", hostname="sixteen-chars-xx", values={"ComputerName": "sixteen-chars-x"}),
        system("g-host63", hostname="h" * 63, values={"ComputerName": "h" * 15}),
        system("g-host-underscore", hostname="a_b", values={"ComputerName": "a-b"}),
        system("g-host-unicode", hostname="\u00f1and\u00fa", values={"ComputerName": "and"}),
        system("g-host-meta", hostname="a&b|c^d%e!f", values={"ComputerName": "a-b-c-d-e-f"}),
        system("dup-a", macs=(SHARED,)),
        profile("good.profile_1", meta={"winpe_image_index": "2"}, comment=META_CHARS),
        system("g-on-second-profile", profile="good.profile_1"),
    ]
    bad_systems = [
        system("b-host-digits", hostname="12345", expect=COMPUTER),
        system("b-computer-name", meta={"winpe_computer_name": "x" * 16}, expect=COMPUTER),
        system("b:colon", expect=NAME),
        # ".." and "." are not in the corpus: Cobbler 3.3's own sync fails on them before any sync trigger runs
        # (tftpgen.write_all_system_files symlinks grub/system_link/<name>: FileExistsError); unit-tested instead
        system("a..b", expect=NAME),
        system("g-xml.uefi", expect="the UEFI store of a system 'g-xml'"),
        system("-lead", expect=NAME),
        system("_lead", expect=NAME),
        system("b-newline\n", expect=CONTROL),
        system("b-" + "n" * 120, expect="longer than 100 characters"),
        system("b-key-short", meta={"winpe_product_key": "ABCDE-12345"}, expect=FORM),
        system("b-key-xml", meta={"winpe_product_key": "<x>&A-BBBBB-CCCCC-DDDDD-EEEEE"}, expect=FORM),
        system("b-boot-manager", meta={"winpe_boot_manager": "2099"}, expect="not one of auto, 2011, 2023"),
        system("b-owner-huge", meta={"winpe_owner": "o" * 5000}, expect="longer than 63 characters"),
        system("b-logon-newline", meta={"winpe_first_logon_1": "echo a\r\ndel /q C:\\"}, expect=CONTROL),
        system("b-logon-huge", meta={"winpe_first_logon_1": "x" * 3000}, expect="longer than 1024 characters"),
        system("b-logon-many", meta={"winpe_first_logon_%d" % i: "echo %d" % i for i in range(1, 52)},
               expect="more than 50 commands"),
        system("b-locale", meta={"winpe_locale": "en-US;rm -rf /"}, expect=FORM),
        system("b-timezone", meta={"winpe_timezone": "UTC</TimeZone><x>"}, expect=FORM),
        system("b-domain-no-user", meta={"winpe_domain": "lab.example"}, expect="winpe_domain_user: empty"),
        system("b-disk", meta={"winpe_disk": "ab"}, expect=FORM),
        system("b-tab-owner", meta={"winpe_owner": "a\tb"}, expect=CONTROL),
        system("b-c1-organization", meta={"winpe_organization": "x\x85y"}, expect=CONTROL),
        system("dup-b", macs=(SHARED,), expect="served by system 'dup-a'"),
    ]
    bad_profiles = [
        profile("bp-index-abc", meta={"winpe_image_index": "abc"}, expect="not a whole number"),
        profile("bp-index-zero", meta={"winpe_image_index": "0"}, expect="not a whole number"),
        profile("bp-index-huge", meta={"winpe_image_index": "9" * 20}, expect="not a whole number"),
        profile("bp-index-neg", meta={"winpe_image_index": "-1"}, expect="not a whole number"),
        profile("bp:colon", expect=NAME),
        profile("bp..dots", expect=NAME),
        profile("sys", expect="named like the folder of the systems' BCD stores"),
        profile(PRO + ".uefi", expect="the UEFI store of a profile %r" % PRO),
        profile("bp-boot-manager", meta={"winpe_boot_manager": "bogus"}, expect="not one of auto, 2011, 2023"),
        profile("bp-key", meta={"winpe_product_key": "bad-key"}, expect=FORM),
        profile("bp-edition", meta={"winpe_edition": "Pro\x9bN"}, expect=CONTROL),
        system("s-under-bad-profile", profile="bp-key", expect="ignored"),   # its profile is named, not it
    ]
    bad_distros = [
        distro_copy("bd:colon", NAME),
        distro_copy("bd-boot-index", "winpe_boot_index 'x'", {"winpe_boot_index": "x"}),
        distro_copy("bd-mirror", "must be an absolute path", {"winpe_mirror": "relative/path"}),
        distro_copy("bd-root", "an absolute path", {"winpe_root": "/etc"}),
        distro_copy("bd-boot-manager", "not one of auto, 2011, 2023", {"winpe_boot_manager": "nope"}),
        distro_copy("bd-" + "d" * 90, "longer than 80 characters"),
        distro_copy("bd-key", FORM, {"winpe_product_key": "bad"}),
        distro_copy("bd-not-cached", "are not cached"),
        distro_copy(DISTRO.upper(), "differs from distro %r's only in case" % DISTRO),   # sorts first, added later
    ]
    cobbler_refuses = [     # Cobbler's own name rule (items/item.py RE_OBJECT_NAME) stops these at save
        system("b&x|y", expect=REFUSED),
        profile("p^%!", expect=REFUSED),
        system("b/slash", expect=REFUSED),
    ]
    linux = [
        Case("distro", "linux-hostile", "ignored", {"autoinstall_meta": {
            "winpe_boot_manager": "bogus", "winpe_image_index": "abc", "winpe_product_key": "x"}}),
        profile("linux-p", "ignored", distro="linux-hostile",
                meta={"winpe_image_index": "abc", "winpe_computer_name": "x" * 40}),
        system("linux-sys", "ignored", hostname=LONG_HOST, profile="linux-p", macs=(TWIN,),
               meta={"winpe_product_key": "bad", "winpe_boot_manager": "2099"}),
        system("linux:sys", "ignored", profile="linux-p"),
        system("linux-dup", "ignored", profile="linux-p", macs=(SHARED,)),
    ]
    return good + bad_systems + bad_profiles + bad_distros + cobbler_refuses + linux


def add_linux_distro(server, token, case, folder):
    kernel, initrd = folder / "vmlinuz", folder / "initrd.img"
    kernel.write_bytes(b"\x7fKERNEL" * 8)
    initrd.write_bytes(b"INITRD" * 8)
    fields = dict(case.fields, kernel=str(kernel), initrd=str(initrd), arch="x86_64", breed="redhat",
                  os_version="rhel9")
    return new_item(server, token, case.kind, case.name, fields)


def new_item(server, token, kind, name, fields, macs=()):
    handle = server.new_item(kind, token)
    server.modify_item(kind, handle, "name", name, token)
    for key, value in fields.items():
        server.modify_item(kind, handle, key, value, token)
    for number, address in enumerate(macs):
        server.modify_item(kind, handle, "modify_interface", {"macaddress-eth%d" % number: address}, token)
    server.save_item(kind, handle, token, "new")


def add(server, token, case, folder):
    """Add CASE through XML-RPC the way a Cobbler client would; the Fault text when Cobbler refuses it."""
    try:
        if case.copy_of:
            server.copy_item("distro", server.get_item_handle("distro", case.copy_of, token), case.name, token)
            meta = dict(server.get_item("distro", case.name, False)["autoinstall_meta"],
                        **case.fields["autoinstall_meta"])
            handle = server.get_item_handle("distro", case.name, token)
            server.modify_item("distro", handle, "autoinstall_meta", meta, token)
            server.save_item("distro", handle, token)
        elif case.kind == "distro":
            add_linux_distro(server, token, case, folder)
        else:
            new_item(server, token, case.kind, case.name, case.fields, case.macs)
    except xmlrpc.client.Fault as err:
        return err.faultString.splitlines()[-1] if err.faultString else "fault"
    return None


def snapshot(server):
    return {(kind, name): server.get_item(kind, name, False)
            for kind in ("distro", "profile", "system") for name in server.get_item_names(kind)}


@dataclass
class Run:
    bed: object
    cases: list
    refused: dict
    log_start: int
    saved: dict
    before: dict
    sync_log: str
    timings: dict
    cobbler_refuses: list
    task_log: str


def synced_run(bed, timings):
    """Snapshot every item, sync through XML-RPC, and return (snapshot, the sync's cobbler.log lines, its task log)."""
    before = snapshot(bed.xmlrpc())
    start = len(bed.log_text())
    began = time.monotonic()
    task_log = bed.task("sync")
    timings["sync"] = time.monotonic() - began
    return before, bed.log_text()[start:], task_log


@pytest.fixture(scope="module")
def run(winpe_bed, sample_media, tmp_path_factory):
    bed, timings = winpe_bed, {}
    bed.reset()
    write_bed_config()
    began = time.monotonic()
    # Items saved before the plugin was installed: without its save-time checks (add/*/pre hooks, which refuse
    # bad Windows metadata at save: tests/integration/cobbler/test_answer_settings_hook.py) Cobbler takes them
    # all, and the sync must skip each bad one.
    hooks = bed.modules_dir / "winpe"
    for pre_hook in hooks.glob("winpe_add_*_pre.py"):
        pre_hook.unlink()
    bed.set_settings({"allow_duplicate_macs": True})     # restarts cobblerd: the pre hooks are gone
    try:
        run_ok(bed, "import", "--path", sample_media["win10-x64"].iso, "--name", "good")
        timings["import"] = time.monotonic() - began
        log_start = len(bed.log_text())
        server, token = bed.xmlrpc(), bed.token()
        cases, refused, saved, began = corpus(), {}, {}, time.monotonic()
        folder = tmp_path_factory.mktemp("hostile-items")
        for case in cases:
            refused[case.name] = add(server, token, case, folder)
            if refused[case.name] is None:
                saved[case.kind, case.name] = server.get_item(case.kind, case.name, False)
        timings["add"] = time.monotonic() - began
        before, sync_log, task_log = synced_run(bed, timings)
        yield Run(bed, [c for c in cases if refused[c.name] is None], refused, log_start, saved, before, sync_log,
                  timings, [c.name for c in cases if c.expect == REFUSED], task_log)
    finally:
        bed.reset()
        install_plugin(bed)                               # the pre hooks back
        bed.set_settings({"allow_duplicate_macs": False})


def served_cases(run, kind):
    return [c for c in run.cases if c.kind == kind and c.expect is None]


def skip_lines(log, kind, name):
    prefix = "cobbler-winpe: skipping %s %r: " % (kind, name)
    return [line for line in log.splitlines() if prefix in line]


def isc_hosts(text):
    """{MAC: body} of the host blocks in the ISC dhcpd snippet."""
    return {m.group(1): m.group(2) for m in re.finditer(
        r"^host cobbler-winpe-\w+ \{\n    hardware ethernet ([0-9a-f:]+);\n(.*?)\n\}$", text, re.S | re.M)}


def folder_of(address):
    return address.upper().replace(":", "-")


def share_system(address):
    """The system a systems/<MAC>/system.cmd names."""
    text = (DATA / "systems" / folder_of(address) / "system.cmd").read_bytes().decode()
    return re.search(r'^set "WINPE_SYSTEM=(.*)"\r$', text, re.M).group(1)


def answer(address, firmware="bios"):
    return ET.parse(DATA / "systems" / folder_of(address) / ("unattend-%s.xml" % firmware)).getroot()


def bcd_profiles(path):
    """The profiles a BCD store's load options name (COBBLER_PROFILE:<name>), as regipy reads the hive."""
    return [value[2][len("'COBBLER_PROFILE:"):-1] for values in regipy_tree(path).values() for value in values
            if value[2].startswith("'COBBLER_PROFILE:")]


def element_texts(root, tag):
    return [el.text for el in root.iter(NS + tag)]


def test_corpus_size_and_time(run):
    print("cases accepted by Cobbler: %d, refused: %s; timings %s" % (
        len(run.cases), {k: v for k, v in run.refused.items() if v}, run.timings))
    assert len(run.cases) >= 50
    assert sorted(name for name, fault in run.refused.items() if fault) == sorted(run.cobbler_refuses)
    assert sum(1 for c in run.cases if c.expect not in (None, "ignored")) >= 35


def test_no_traceback_anywhere(run):
    log = run.bed.log_text()[run.log_start:]
    assert "Traceback" not in run.task_log and "skipping system 'b-host-digits'" in run.task_log
    assert "Traceback" not in log, log[log.index("Traceback") - 2000:][:4000]
    assert "internal error" not in log


def test_no_item_changed(run):
    after = snapshot(run.bed.xmlrpc())
    assert run.before == after
    for key, saved in run.saved.items():     # not by the sync, nor by the hooks each later item's save ran
        assert after[key] == saved, key


def test_each_bad_item_named_once_with_its_reason(run):
    for case in run.cases:
        lines = skip_lines(run.sync_log, case.kind, case.name)
        if case.expect in (None, "ignored"):
            assert lines == [], lines
        else:
            assert len(lines) == 1 and case.expect in lines[0], (case.name, case.expect, lines)
    assert run.sync_log.count("cobbler-winpe: skipping ") == sum(
        1 for c in run.cases if c.expect not in (None, "ignored"))
    for secret in ("ABCDE-12345", "BBBBB-CCCCC", "bad-key", PASSWORD, "&<>\""):
        assert secret not in run.bed.log_text()[run.log_start:]


def test_good_systems_served(run):
    dhcp = isc_hosts((SNIPPETS / "dhcpd-winpe.conf").read_text())
    tftp = run.bed.tftproot / "images" / DISTRO / "bcd"
    for case in served_cases(run, "system"):
        if not case.fields.get("netboot_enabled", True):
            assert not (tftp / "sys" / case.name).exists()
            continue
        profile_bcd = tftp / case.fields["profile"]
        for suffix in ("", ".uefi"):
            link = tftp / "sys" / (case.name + suffix)
            assert link.stat().st_ino == Path(str(profile_bcd) + suffix).stat().st_ino, link
        assert bcd_profiles(tftp / "sys" / case.name) == [case.fields["profile"]]
        for address in case.macs:
            if address == TWIN and case.name != "g-plain":
                continue
            assert share_system(address) == case.name
            assert "/cblr/svc/op/ipxe/system/%s" % case.name in dhcp[address]
            for firmware in ("bios", "uefi"):
                root = answer(address, firmware)
                for tag, wanted in case.values.items():
                    if tag == "password":
                        encoded = next(root.iter(NS + "AdministratorPassword")).find(NS + "Value").text
                        assert base64.b64decode(encoded).decode("utf-16-le") == wanted + "AdministratorPassword"
                    else:
                        assert wanted in element_texts(root, tag), (case.name, tag)


def test_bad_systems_not_served(run):
    dhcp = isc_hosts((SNIPPETS / "dhcpd-winpe.conf").read_text())
    dnsmasq = (SNIPPETS / "dnsmasq-winpe.conf").read_text()
    sys_bcds = run.bed.tftproot / "images" / DISTRO / "bcd" / "sys"
    for case in run.cases:
        if case.kind != "system" or case.expect is None:
            continue
        for address in case.macs:
            if address in (SHARED, TWIN):
                continue
            assert address not in dhcp and address not in dnsmasq, case.name
            assert not (DATA / "systems" / folder_of(address)).exists(), case.name
        if case.name.endswith(".uefi"):     # that file is the UEFI store of the system named without ".uefi"
            assert os.stat(sys_bcds / case.name).st_ino == os.stat(sys_bcds / ".." / (PRO + ".uefi")).st_ino
        else:
            assert case.name not in os.listdir(sys_bcds), case.name


def test_shared_mac_served_by_one_system_in_dhcp_and_on_the_share(run):
    dhcp = isc_hosts((SNIPPETS / "dhcpd-winpe.conf").read_text())
    assert share_system(SHARED) == "dup-a" and "/system/dup-a\"" in dhcp[SHARED]
    assert share_system(TWIN) == "g-plain" and "/system/g-plain\"" in dhcp[TWIN]
    assert answer(SHARED).iter(NS + "ComputerName").__next__().text == "pc-host"


def test_profiles_and_distros(run):
    tftp = run.bed.tftproot / "images"
    web = run.bed.webdir / "images"
    for case in run.cases:
        if case.kind == "profile" and case.expect not in ("ignored",):
            served = case.expect is None
            store = tftp / DISTRO / "bcd" / case.name
            if case.name == PRO + ".uefi":    # that file is the UEFI store of PRO
                assert bcd_profiles(store) == [PRO]
            else:
                assert store.is_file() == served, case.name
            assert (web / DISTRO / "ipxe" / (case.name + ".ipxe")).is_file() == served, case.name
            assert (DATA / "profiles" / case.name / "unattend-uefi.xml").is_file() == served, case.name
    assert (tftp / DISTRO / "bcd" / "sys").is_dir()     # the systems' folder, not profile "sys"'s BCD
    smb = (SNIPPETS / "smb-winpe.conf").read_text()
    rules = (SNIPPETS / "tftpd.rules").read_text()
    assert "[winpe-%s]" % DISTRO in smb and "/%s/" % DISTRO in rules
    for case in run.cases:
        if case.kind == "distro" and case.name != "bd-not-cached":
            assert "winpe-" + case.name not in smb and case.name not in rules, case.name
            assert not (tftp / case.name / "bcd").exists()
    menu = (run.bed.tftproot / "pxelinux.cfg" / "default").read_text()
    for name in (PRO, "good.profile_1"):
        assert "LABEL %s\n" % name in menu


def test_real_programs_accept_the_service_files(run, tmp_path):
    conf = tmp_path / "dhcpd.conf"
    conf.write_text("option system-arch code 93 = unsigned integer 16;\ninclude \"%s\";\n"
                    "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.100 10.0.0.200; }\n"
                    % (SNIPPETS / "dhcpd-winpe.conf"))
    done = subprocess.run(["/usr/sbin/dhcpd", "-t", "-4", "-cf", str(conf)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    dns = tmp_path / "dnsmasq.conf"
    dns.write_text("port=0\ndhcp-range=10.0.0.100,10.0.0.200\nconf-file=%s\n" % (SNIPPETS / "dnsmasq-winpe.conf"))
    done = subprocess.run(["/usr/sbin/dnsmasq", "--test", "--conf-file=%s" % dns], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    smb = tmp_path / "smb.conf"
    smb.write_text("[global]\n    include = %s\n" % (SNIPPETS / "smb-winpe.conf"))
    done = subprocess.run(["testparm", "-s", str(smb)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "[winpe-%s]" % DISTRO in done.stdout, done.stderr


def test_tftpd_serves_a_system_bcd_through_the_generated_rules(run):
    """in.tftpd with the generated remap rules over the bed's TFTP tree: a good system's BCD as option 252 names
    it (and in another case), and a skipped distro copy's folder holds no BCD."""
    if not os.path.exists(tftpd.TFTPD):
        pytest.skip("needs tftpd-hpa")
    port = tftpd.free_udp_port()
    proc = subprocess.Popen([tftpd.TFTPD, "-L", "-a", "127.0.0.1:%d" % port, "-s", str(run.bed.tftproot),
                             "-m", str(SNIPPETS / "tftpd.rules"), "-u", "nobody"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        assert proc.poll() is None, "in.tftpd exited at start"
        stored = (run.bed.tftproot / "images" / DISTRO / "bcd" / "sys" / "g-xml").read_bytes()
        assert tftp_test._get(port, "\\images\\%s\\bcd\\sys\\g-xml" % DISTRO) == stored
        assert tftp_test._get(port, "\\IMAGES\\%s\\bcd\\sys\\g-xml" % DISTRO.upper()) == stored
        with pytest.raises(tftpy.TftpException):
            tftp_test._get(port, "\\images\\bd-key\\bcd\\%s" % PRO)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_removed_and_spoiled_items_lose_their_files(run):
    """Second sync: a served system deleted, another spoiled (an all-digit hostname), a served profile deleted: their
    answer files, DHCP blocks and BCD links go; the MAC g-plain shared passes to g-two-macs; the rest stays."""
    bed = run.bed
    server, token = bed.xmlrpc(), bed.token()
    server.remove_item("system", "g-plain", token, True)
    handle = server.get_item_handle("system", "g-disk", token)
    server.modify_item("system", handle, "hostname", "12345", token)      # all digits: no NetBIOS name
    server.save_item("system", handle, token)
    server.remove_item("profile", "good.profile_1", token, True)
    _before, log, task_log = synced_run(bed, run.timings)
    assert "Traceback" not in bed.log_text()[run.log_start:] + task_log
    assert len(skip_lines(log, "system", "g-disk")) == 1
    dhcp = isc_hosts((SNIPPETS / "dhcpd-winpe.conf").read_text())
    tftp = bed.tftproot / "images" / DISTRO / "bcd"
    gone = {c.name: c for c in run.cases if c.name in ("g-disk", "g-on-second-profile")}
    for case in gone.values():
        assert not (DATA / "systems" / folder_of(case.macs[0])).exists() and case.macs[0] not in dhcp
        assert not (tftp / "sys" / case.name).exists()
    assert not (tftp / "good.profile_1").exists() and not (DATA / "profiles" / "good.profile_1").exists()
    assert share_system(TWIN) == "g-two-macs" and "/system/g-two-macs\"" in dhcp[TWIN]
    assert share_system(SHARED) == "dup-a" and (tftp / "sys" / "g-xml").is_file()
