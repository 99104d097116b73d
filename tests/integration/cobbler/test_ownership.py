"""A Windows import never changes a distro or profile the plugin did not make (real cobblerd, real import)."""
import shutil

import pytest

from testbed import run_ok

pytestmark = pytest.mark.integration

FIELDS = ("name", "breed", "os_version", "kernel", "initrd", "autoinstall_meta", "distro", "autoinstall")


def add_linux(bed, tmp_path, distro, profile=None):
    (tmp_path / "vmlinuz").write_bytes(b"\x7fKERNEL" * 8)
    (tmp_path / "initrd.img").write_bytes(b"INITRD" * 8)
    run_ok(bed, "distro", "add", "--name", distro, "--arch", "x86_64", "--breed", "redhat", "--os-version", "rhel9",
           "--kernel", tmp_path / "vmlinuz", "--initrd", tmp_path / "initrd.img")
    if profile:
        run_ok(bed, "profile", "add", "--name", profile, "--distro", distro)
        run_ok(bed, "system", "add", "--name", profile + "-host", "--profile", profile,
               "--mac-address", "52:54:00:aa:bb:01")


def snapshot(bed):
    """Every distro, profile and system as cobblerd reports it, with the fields an import could change."""
    server = bed.xmlrpc()
    found = {}
    for kind in ("distro", "profile", "system"):
        for name in server.get_item_names(kind):
            item = server.get_item(kind, name, False)
            found[kind, name] = {key: item.get(key) for key in FIELDS}
            found[kind, name]["profile"] = item.get("profile")
    return found


@pytest.mark.parametrize("distro, profile", [
    ("lab-x86_64", None),                       # the distro name the import would use
    ("linuxlab", "lab-x86_64"),                 # the default profile it would write (named as its distro)
])
def test_import_refuses_foreign_item_and_changes_nothing(clean_winpe_bed, sample_media, tmp_path, distro, profile):
    bed = clean_winpe_bed
    shutil.rmtree(bed.webdir / "distro_mirror" / "lab", ignore_errors=True)   # an earlier module's import of "lab"
    add_linux(bed, tmp_path, distro, profile)
    before = snapshot(bed)
    rc, log, _err = bed.cli("import", "--path", sample_media["win10-x64"].iso, "--name", "lab")
    assert rc == 1, log
    victim = ("profile %s" % profile) if profile else ("distro %s" % distro)
    assert ("cobbler import --name=lab: the %s exists and was not made by cobbler-winpe; nothing was changed"
            " (import under another --name)" % victim) in log, log
    assert snapshot(bed) == before
    assert not (bed.webdir / "distro_mirror" / "lab").exists()


def test_reimport_of_own_items_is_allowed(clean_winpe_bed, sample_media):
    bed = clean_winpe_bed
    run_ok(bed, "import", "--path", sample_media["win10-x64"].iso, "--name", "again")
    first = snapshot(bed)
    run_ok(bed, "import", "--path", sample_media["win10-x64"].iso, "--name", "again")
    assert set(snapshot(bed)) == set(first)
    meta = bed.xmlrpc().get_item("distro", "again-x86_64", False)["autoinstall_meta"]
    assert meta.get("winpe_made_by") == "cobbler-winpe"
