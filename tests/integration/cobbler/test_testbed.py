"""Smoke tests of the real Cobbler test bed: CLI, sync output on TFTP, services and static files via Apache."""

import os

import pytest

from testbed import run_ok

import testbed

pytestmark = pytest.mark.integration

DISTRO = "smoke-distro"
PROFILE = "smoke-profile"
KERNEL = b"\x7fKERNEL-smoke-" * 64
INITRD = b"INITRD-smoke-" * 64


@pytest.fixture(scope="module")
def synced(cobbler_bed, tmp_path_factory):
    """One Linux distro with dummy kernel/initrd and a profile, added with the CLI and synced."""
    cobbler_bed.reset()
    files = tmp_path_factory.mktemp("smoke-boot")
    (files / "vmlinuz").write_bytes(KERNEL)
    (files / "initrd.img").write_bytes(INITRD)
    run_ok(cobbler_bed, "distro", "add", "--name", DISTRO, "--arch", "x86_64", "--breed", "redhat",
           "--os-version", "rhel9", "--kernel", files / "vmlinuz", "--initrd", files / "initrd.img")
    run_ok(cobbler_bed, "profile", "add", "--name", PROFILE, "--distro", DISTRO, "--autoinstall", "sample.ks")
    run_ok(cobbler_bed, "sync")
    return cobbler_bed


def test_cobbler_version_through_apache(cobbler_bed):
    out = run_ok(cobbler_bed, "version")
    assert "Cobbler 3.3.10" in out


def test_cli_lists_added_objects(synced):
    assert DISTRO in run_ok(synced, "distro", "list").split()
    assert PROFILE in run_ok(synced, "profile", "list").split()


def test_sync_writes_menus_and_images(synced):
    pxe_menu = (synced.tftproot / "pxelinux.cfg" / "default").read_text()
    assert "LABEL %s" % PROFILE in pxe_menu
    assert "/images/%s/vmlinuz" % DISTRO in pxe_menu
    assert PROFILE in (synced.tftproot / "ipxe" / "default.ipxe").read_text()
    assert (synced.tftproot / "images" / DISTRO / "vmlinuz").read_bytes() == KERNEL
    assert (synced.tftproot / "pxelinux.0").is_file()


def test_autoinstall_served_by_services_through_apache(synced):
    status, body = synced.http_get("/cblr/svc/op/autoinstall/profile/%s" % PROFILE)
    assert status == 200
    assert b"kickstart" in body.lower()
    assert b"127.0.0.1:%d" % synced.http_port in body


def test_unknown_profile_is_404(synced):
    status, body = synced.http_get("/cblr/svc/op/autoinstall/profile/no-such-profile")
    assert status == 404
    assert b"not found" in body


def test_static_images_tree_served(synced):
    status, body = synced.http_get("/cobbler/images/%s/initrd.img" % DISTRO)
    assert status == 200
    assert body == INITRD


def test_xmlrpc_and_token(synced):
    server = synced.xmlrpc()
    assert server.get_profile(PROFILE)["distro"] == DISTRO
    assert server.token_check(synced.token())


def test_task_returns_its_log_and_fails_loudly(synced):
    log = synced.task("sync")
    lines = log.splitlines()
    assert lines[0].endswith("start_task(sync); event_id(%s)" % lines[0][1:].split("]")[0])
    assert lines[-1].endswith("### TASK COMPLETE ###") and "running post-sync triggers" in log
    assert (synced.tftproot / "images" / DISTRO / "vmlinuz").read_bytes() == KERNEL
    with pytest.raises(AssertionError, match="(?s)import .* failed; its log ends:.*TASK FAILED"):
        synced.task("import", path="/nonexistent/media", name="nothing")
    with pytest.raises(AssertionError, match="timed out after 0 s"):
        synced.task("sync", timeout=0)


def test_cli_task_actions_run_as_tasks(synced):
    assert testbed.task_options(("import", "--path=media", "--name", "w", "--autoinstall", "a.xml")) == (
        "import", {"path": os.path.abspath("media"), "name": "w", "autoinstall_file": "a.xml"})
    assert testbed.task_options(("sync", "--systems", "a,b", "--verbose")) == (
        "syncsystems", {"systems": ["a", "b"], "verbose": True})
    rc, out, _err = synced.cli("sync", "--verbose")
    assert rc == 0 and out.splitlines()[-1].endswith("### TASK COMPLETE ###")


def test_restart_keeps_objects(synced):
    synced.restart_cobblerd()
    assert synced.xmlrpc().get_distro(DISTRO)["name"] == DISTRO
    assert "Cobbler 3.3.10" in run_ok(synced, "version")


def test_reset_removes_everything(synced):
    synced.reset()
    server = synced.xmlrpc()
    assert server.get_distros() == [] and server.get_profiles() == []


def test_refuses_unmarked_cobbler_tree(tmp_path, monkeypatch):
    real = tmp_path / "etc-cobbler"
    real.mkdir()
    monkeypatch.setattr(testbed, "MARKERS", {real: real / testbed.MARKER_NAME})
    with pytest.raises(testbed.ToolError, match="real Cobbler"):
        testbed.check_ownership()
    (real / testbed.MARKER_NAME).write_text("")
    testbed.check_ownership()


PROBE = '''"""Test-bed probe: a sync/post hook module that only logs a line."""
import logging


def register():
    return "/var/lib/cobbler/triggers/sync/post/*"


def run(api, args):
    logging.getLogger().info("testbed-probe sync/post ran")
    return 0
'''


def test_restart_loads_new_hook_modules(cobbler_bed):
    probe = cobbler_bed.modules_dir / "zz_testbed_probe.py"
    probe.write_text(PROBE)
    try:
        cobbler_bed.restart_cobblerd()
        run_ok(cobbler_bed, "sync")
        assert "testbed-probe sync/post ran" in cobbler_bed.log_text()
    finally:
        probe.unlink()
        for cached in (probe.parent / "__pycache__").glob("zz_testbed_probe.*"):
            cached.unlink()
        cobbler_bed.restart_cobblerd()


def test_second_bed_waits_for_lock(cobbler_bed):
    other = testbed.CobblerBed(venv=cobbler_bed.venv, lock_timeout=1.0)
    with pytest.raises(testbed.ToolError, match="another cobbler test bed"):
        other.start()
    assert cobbler_bed.xmlrpc().version()
