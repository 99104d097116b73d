"""Tests of boot-file staging: what a distro stages, incremental atomic writes, ownership, shared contents."""
import os

import pytest

from cobbler_winpe.bcd.store import dump_store, read_store
from cobbler_winpe.gen import layout, model, staging

DISTRO = model.WinDistro("win10-x64", "x86_64", "10", "/srv/mirror/win10")
PROFILES = [model.WinProfile("win10-x64-pro", "win10-x64", 2), model.WinProfile("win10-x64-home", "win10-x64", 1)]
SERVER = model.Server("192.0.2.5", http_port=8080)
CACHE_FILES = ("Windows/Boot/PXE/pxeboot.n12", "Windows/Boot/PXE/bootmgr.exe", "Windows/Boot/PXE/en-US/bootmgr.exe.mui",
               "Windows/Boot/EFI/bootmgfw.efi", "Windows/Boot/EFI/bootmgfw_EX.efi", "Windows/Boot/Fonts/WGL4_BOOT.TTF")


@pytest.fixture
def cache(tmp_path):
    root = tmp_path / "cache"
    for rel in CACHE_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(rel.encode())
    (root / "boot.sdi").write_bytes(b"SDI")
    (tmp_path / "boot.wim").write_bytes(b"MSWIM\0\0\0")
    return root


def plan_for(cache, profiles=PROFILES, method="wds"):
    inject = {p.name: {"startnet.cmd": "echo %s\r\n" % p.name} for p in profiles}
    return staging.distro_plan(DISTRO, profiles, str(cache), str(cache / "boot.sdi"),
                               str(cache.parent / "boot.wim"), {"boot_method": method, "tftp_blocksize": 1456},
                               SERVER, inject)


def test_distro_plan_names_every_file_in_lower_case(cache):
    plan = plan_for(cache)
    base = layout.distro_dir(DISTRO.name) + "/"
    names = {rel[len(base):] for rel in plan}
    assert {"pxeboot.n12", "bootmgr.exe", "en-US/bootmgr.exe.mui", "bootmgfw.efi", "bootmgfw_ex.efi",
            "fonts/wgl4_boot.ttf", "boot.sdi", "boot.wim", "bcd/win10-x64-pro", "bcd/win10-x64-pro.uefi",
            "wimboot/BCD", "ipxe/win10-x64-pro.ipxe", "inject/win10-x64-pro/startnet.cmd", staging.MARKER} <= names


def test_bcds_name_the_staged_files_and_carry_the_profile(cache):
    plan = plan_for(cache)
    data = plan[layout.bcd_file(DISTRO.name, "win10-x64-pro", "uefi")].data
    text = repr(dump_store(read_store(data)))
    assert "\\\\images\\\\win10-x64\\\\boot.wim" in text and "winload.efi" in text
    assert "COBBLER_PROFILE:win10-x64-pro" in text


def test_uefi_only_boot_image_gets_no_bios_store(cache):
    os.unlink(cache / "Windows/Boot/PXE/pxeboot.n12")
    plan = plan_for(cache)
    assert layout.bcd_file(DISTRO.name, "win10-x64-pro", "uefi") in plan
    assert layout.bcd_file(DISTRO.name, "win10-x64-pro", "bios") not in plan


def test_wimboot_method_scripts_wimboot(cache):
    script = plan_for(cache, method="wimboot")[layout.ipxe_script_file(DISTRO.name, "win10-x64-pro")].data.decode()
    assert script.startswith("#!ipxe\nkernel http://192.0.2.5:8080/cobbler/" + layout.WIMBOOT)
    assert "initrd -n startnet.cmd" in script


def test_apply_is_incremental_and_shares_contents_between_trees(cache, tmp_path):
    plan = plan_for(cache)
    blobs = str(tmp_path / "blobs")
    tftp, web = str(tmp_path / "tftp"), str(tmp_path / "web")
    for root in (tftp, web):
        changed, removed = staging.apply_plan(root, plan, blobs=blobs)
        assert len(changed) == len(plan) and removed == []
    rel = layout.bcd_file(DISTRO.name, "win10-x64-pro", "bios")
    assert os.path.samefile(os.path.join(tftp, rel), os.path.join(web, rel))
    assert staging.apply_plan(tftp, plan, blobs=blobs) == ([], [])
    assert os.path.samefile(os.path.join(tftp, layout.distro_file(DISTRO.name, "boot.wim")), cache.parent / "boot.wim")


def test_unplanned_files_go_only_from_owned_folders(cache, tmp_path):
    root, blobs = str(tmp_path / "tftp"), str(tmp_path / "blobs")
    staging.apply_plan(root, plan_for(cache), blobs=blobs)
    linux = tmp_path / "tftp" / "images" / "centos9"
    linux.mkdir()
    (linux / "vmlinuz").write_bytes(b"k")
    smaller = plan_for(cache, PROFILES[:1])
    changed, removed = staging.apply_plan(root, smaller, blobs=blobs)
    assert layout.bcd_file(DISTRO.name, "win10-x64-home", "bios") in removed
    assert (linux / "vmlinuz").exists()
    staging.apply_plan(root, {}, blobs=blobs)
    assert not (tmp_path / "tftp" / layout.distro_dir(DISTRO.name)).exists()
    staging.prune_blobs(blobs)
    assert not [n for _d, _s, names in os.walk(blobs) for n in names]
