"""The plugin inside a real cobblerd: hooks load, sync/post runs, and a failing plugin never breaks Linux syncs."""
import pathlib

import pytest

from testbed import run_ok

pytestmark = pytest.mark.integration

CONFIG = pathlib.Path("/etc/cobbler/winpe.yaml")


def add_linux(bed, tmp_path, name="linux"):
    (tmp_path / "vmlinuz").write_bytes(b"\x7fKERNEL" * 8)
    (tmp_path / "initrd.img").write_bytes(b"INITRD" * 8)
    run_ok(bed, "distro", "add", "--name", name, "--arch", "x86_64", "--breed", "redhat", "--os-version", "rhel9",
           "--kernel", tmp_path / "vmlinuz", "--initrd", tmp_path / "initrd.img")
    run_ok(bed, "profile", "add", "--name", name + "-p", "--distro", name)


def new_log(bed, before):
    return bed.log_text()[len(before):]


def test_hooks_are_installed_where_cobbler_loads_modules(winpe_bed):
    hooks = sorted(p.name for p in (pathlib.Path(winpe_bed.modules_dir) / "winpe").iterdir())
    assert "winpe_sync_post.py" in hooks and "winpe_import_pre.py" in hooks
    pxe = pathlib.Path("/etc/cobbler/boot_loader_conf/pxe.template").read_text()
    assert pxe.startswith("## cobbler-winpe begin")


def test_sync_post_hook_runs_and_logs(clean_winpe_bed, tmp_path):
    bed = clean_winpe_bed
    add_linux(bed, tmp_path)
    before = bed.log_text()
    run_ok(bed, "sync")
    log = new_log(bed, before)
    assert "cobbler-winpe: %s: 0 files changed, 0 removed" % bed.tftproot in log


def test_failing_plugin_does_not_abort_linux_sync(clean_winpe_bed, tmp_path):
    bed = clean_winpe_bed
    add_linux(bed, tmp_path, "still-linux")
    saved = CONFIG.read_text()
    CONFIG.write_text("no_such_key: 1\n")
    try:
        before = bed.log_text()
        out = run_ok(bed, "sync")
        log = new_log(bed, before)
    finally:
        CONFIG.write_text(saved)
    assert "TASK COMPLETE" in out
    assert "cobbler-winpe sync/post: /etc/cobbler/winpe.yaml: unknown key no_such_key" in log
    assert "LABEL still-linux-p" in (bed.tftproot / "pxelinux.cfg" / "default").read_text()
