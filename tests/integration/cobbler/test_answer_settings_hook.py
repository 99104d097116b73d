"""Answer settings checked when Cobbler saves (add/<type>/pre in a real cobblerd): a bad winpe_* value is refused
with one line and the item stays as saved, a good one is saved and reaches the answer file, Linux is untouched."""
import json
import pathlib
import sys
import xmlrpc.client

import pytest

from testbed import run_ok

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "unit" / "gen"))
from unattend_reference import FIREWALL, SHELL, TS, check_answer_file, setting  # noqa: E402

pytestmark = pytest.mark.integration

COLLECTIONS = pathlib.Path("/var/lib/cobbler/collections")
DATA_DIR = pathlib.Path("/var/lib/cobbler/winpe/smb")
SECRET = "Sup3r-" + "s" * 130   # longer than the 127 characters Windows takes: refused, and never logged
MAC = "52:54:00:12:34:56"


@pytest.fixture
def lab(clean_winpe_bed, sample_media, tmp_path):
    """A Windows distro and profile made by a real import, and a Linux distro, profile and system beside them."""
    bed = clean_winpe_bed
    run_ok(bed, "import", "--path", sample_media["win10-x64"].iso, "--name", "answers")
    (tmp_path / "vmlinuz").write_bytes(b"\x7fKERNEL" * 8)
    (tmp_path / "initrd.img").write_bytes(b"INITRD" * 8)
    run_ok(bed, "distro", "add", "--name", "el9", "--arch", "x86_64", "--breed", "redhat", "--os-version", "rhel9",
           "--kernel", tmp_path / "vmlinuz", "--initrd", tmp_path / "initrd.img")
    run_ok(bed, "profile", "add", "--name", "el9-p", "--distro", "el9")
    run_ok(bed, "system", "add", "--name", "el9-host", "--profile", "el9-p", "--mac-address", "52:54:00:aa:bb:01")
    profile = sorted(p for p in bed.xmlrpc().get_item_names("profile") if p.startswith("answers-"))[0]
    return bed, profile


def own_meta(bed, kind, name):
    """The item's own metadata ("<<inherit>>" reads as {})."""
    value = bed.xmlrpc().get_item(kind, name, False)["autoinstall_meta"]
    return value if isinstance(value, dict) else {}


def stored(kind, name):
    return json.loads((COLLECTIONS / (kind + "s") / (name + ".json")).read_text())


def save_meta(bed, kind, name, extra):
    """modify_<kind> + save_<kind> over XML-RPC with EXTRA added to the item's own metadata."""
    server, token = bed.xmlrpc(), bed.token()
    handle = server.get_item_handle(kind, name, token)
    server.modify_item(kind, handle, "autoinstall_meta", dict(own_meta(bed, kind, name), **extra), token)
    return server.save_item(kind, handle, token)


def refused(call):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        call()
    return fault.value.faultString


@pytest.mark.parametrize("kind", ["distro", "profile"])
def test_bad_value_refused_and_item_unchanged(lab, kind):
    bed, profile = lab
    name = profile if kind == "profile" else "answers-x86_64"
    before_memory, before_disk = own_meta(bed, kind, name), stored(kind, name)
    message = refused(lambda: save_meta(bed, kind, name, {"winpe_rdp": "maybe"}))
    assert "cobbler-winpe: %s %s: metadata winpe_rdp: not a switch (use one of yes/no" % (kind, name) in message
    assert own_meta(bed, kind, name) == before_memory and stored(kind, name) == before_disk


def test_cli_edit_shows_the_line_and_never_the_secret(lab):
    bed, profile = lab
    before = stored("profile", profile)
    log_before = bed.log_text()
    rc, out, err = bed.cli("profile", "edit", "--name", profile, "--autoinstall-meta",
                           "winpe_admin_password=" + SECRET)
    assert rc != 0
    assert "metadata winpe_admin_password: longer than 127 characters" in out + err
    assert stored("profile", profile) == before and "winpe_admin_password" not in own_meta(bed, "profile", profile)
    assert SECRET not in bed.log_text()[len(log_before):] and SECRET not in out + err


def test_good_values_saved_and_in_the_answer_file(lab):
    bed, profile = lab
    save_meta(bed, "profile", profile, {"winpe_rdp": "on", "winpe_firewall_off": "public",
                                        "winpe_computer_name": "lab-{mac}"})
    assert stored("profile", profile)["autoinstall_meta"]["winpe_rdp"] == "on"
    run_ok(bed, "system", "add", "--name", "pc7", "--profile", profile, "--mac-address", MAC, "--netboot-enabled",
           "true")
    answers = list(DATA_DIR.glob("systems/*/unattend-uefi.xml"))
    assert len(answers) == 1, answers
    text = answers[0].read_text(encoding="utf-8")
    assert check_answer_file(text, "amd64") == []
    assert setting(text, "specialize", TS, "fDenyTSConnections") == ["false"]
    assert setting(text, "specialize", FIREWALL, "PublicProfile_EnableFirewall") == ["false"]
    assert setting(text, "specialize", SHELL, "ComputerName") == ["lab-525400123456"[:15]]


def test_new_system_with_a_bad_value_is_not_created(lab):
    bed, profile = lab
    server, token = bed.xmlrpc(), bed.token()
    handle = server.new_item("system", token)
    for field, value in (("name", "pc8"), ("profile", profile),
                         ("autoinstall_meta", {"winpe_computer_name": "much-too-long-name"})):
        server.modify_item("system", handle, field, value, token)
    message = refused(lambda: server.save_item("system", handle, token, "new"))
    assert "cobbler-winpe: system pc8: metadata winpe_computer_name 'much-too-long-name': Windows needs 1-15" \
        in message
    assert "pc8" not in server.get_item_names("system")


def test_linux_items_are_never_checked(lab):
    bed, _profile = lab
    for kind, name in (("distro", "el9"), ("profile", "el9-p"), ("system", "el9-host")):
        save_meta(bed, kind, name, {"winpe_rdp": "maybe"})
        assert stored(kind, name)["autoinstall_meta"]["winpe_rdp"] == "maybe"
