"""Tests of boot-file staging: what a distro stages, incremental atomic writes, ownership, shared contents."""
import os

import pytest

from cobbler_winpe import config
from cobbler_winpe.bcd.store import dump_store, read_store
from cobbler_winpe.host import tree
from cobbler_winpe.errors import InputError, MediaError
from cobbler_winpe.gen import layout, model, staging
from cobbler_winpe.verify import menus as ipxe
from bcd_fixtures import regipy_tree

DISTRO = model.WinDistro("win10-x64", "x86_64", "10", "/srv/mirror/win10")
PROFILES = [model.WinProfile("win10-x64-pro", "win10-x64", 2), model.WinProfile("win10-x64-home", "win10-x64", 1)]
SERVER = model.Server("192.0.2.5", http_port=8080)
CACHE_FILES = ("Windows/Boot/PXE/pxeboot.n12", "Windows/Boot/PXE/bootmgr.exe", "Windows/Boot/PXE/en-US/bootmgr.exe.mui",
               "Windows/Boot/EFI/bootmgfw.efi", "Windows/Boot/EFI_EX/bootmgfw_EX.efi", "Windows/Boot/Fonts/WGL4_BOOT.TTF",
               "Windows/Boot/EFI/boot.stl", "Windows/Boot/Fonts_EX/wgl4_boot_EX.ttf",
               "Windows/Boot/EFI_EX/en-US/bootmgfw_EX.efi.mui", "Windows/Boot/EFI/en-US/bootmgfw.efi.mui")


@pytest.fixture
def cache(tmp_path):
    root = tmp_path / "cache"
    for rel in CACHE_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(rel.encode())
    (root / "boot.sdi").write_bytes(b"SDI")
    (tmp_path / "boot.wim").write_bytes(b"MSWIM\0\0\0")
    return root


def plan_for(cache, profiles=PROFILES, method="wds", distro=DISTRO, systems=(), **settings):
    inject = {p.name: {"startnet.cmd": "echo %s\r\n" % p.name} for p in profiles}
    return staging.distro_plan(distro, profiles, (str(cache), tree.index_tree(str(cache))), str(cache / "boot.sdi"),
                               str(cache.parent / "boot.wim"), config.validate(dict(settings, boot_method=method, tftp_blocksize=1456)),
                               SERVER, inject, systems)


def test_distro_plan_names_every_file_in_lower_case(cache):
    plan = plan_for(cache)
    base = layout.distro_dir(DISTRO.name) + "/"
    names = {rel[len(base):] for rel in plan}
    assert {"pxeboot.n12", "bootmgr.exe", "en-US/bootmgr.exe.mui", "bootmgfw.efi", "bootmgfw_ex.efi",
            "fonts/wgl4_boot.ttf", "fonts_ex/wgl4_boot.ttf", "en-US/bootmgfw_ex.efi.mui", "en-US/bootmgfw.efi.mui",
            "boot.stl", "bcd/boot.stl", "bcd/sys/boot.stl", "boot.sdi", "boot.wim", "bcd/win10-x64-pro", "bcd/win10-x64-pro.uefi",
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
    assert script.startswith("#!ipxe\nisset ${ip} || dhcp\nkernel http://192.0.2.5:8080/cobbler/" + layout.WIMBOOT)
    assert "initrd -n startnet.cmd" in script


def test_apply_is_incremental_and_shares_contents_between_trees(cache, tmp_path):
    plan = plan_for(cache)
    blobs = str(tmp_path / "blobs")
    tftp, web = str(tmp_path / "tftp"), str(tmp_path / "web")
    for root in (tftp, web):
        changed, removed = tree.apply_plan(root, plan, blobs=blobs)
        assert len(changed) == len(plan) and removed == []
    rel = layout.bcd_file(DISTRO.name, "win10-x64-pro", "bios")
    assert os.path.samefile(os.path.join(tftp, rel), os.path.join(web, rel))
    assert tree.apply_plan(tftp, plan, blobs=blobs) == ([], [])
    assert os.path.samefile(os.path.join(tftp, layout.distro_file(DISTRO.name, "boot.wim")), cache.parent / "boot.wim")


def test_unplanned_files_go_only_from_owned_folders(cache, tmp_path):
    root, blobs = str(tmp_path / "tftp"), str(tmp_path / "blobs")
    tree.apply_plan(root, plan_for(cache), blobs=blobs)
    linux = tmp_path / "tftp" / "images" / "centos9"
    linux.mkdir()
    (linux / "vmlinuz").write_bytes(b"k")
    smaller = plan_for(cache, PROFILES[:1])
    changed, removed = tree.apply_plan(root, smaller, blobs=blobs)
    assert layout.bcd_file(DISTRO.name, "win10-x64-home", "bios") in removed
    assert (linux / "vmlinuz").exists()
    tree.apply_plan(root, {}, blobs=blobs)
    assert not (tmp_path / "tftp" / layout.distro_dir(DISTRO.name)).exists()
    tree.prune_blobs(blobs)
    assert not [n for _d, _s, names in os.walk(blobs) for n in names]


# ---- the 24H2 file set and the boot manager choice (winpe_boot_manager) -------------------------------------

def fontpath(tmp_path, data):
    """The {bootmgr} fontpath as regipy (an independent regf reader) reads the staged BCD."""
    path = tmp_path / "bcd.hive"
    path.write_bytes(data)
    tree = regipy_tree(path)
    key = "\\Objects\\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\\Elements\\1200004a"
    return next(eval(v) for k, values in tree.items() if k.endswith(key) for n, _t, v in values if n == "Element")


def chained(plan, profile, platform="efi", system=False):
    """What iPXE (the verify evaluator) chains or hands over for PROFILE's (with SYSTEM a system's) script."""
    script = plan[layout.ipxe_script_file(DISTRO.name, profile, system)].data.decode()
    return ipxe.run_ipxe(script, None, {"platform": platform, "next-server": "192.0.2.5"})


def with_meta(item, **meta):
    import dataclasses
    return dataclasses.replace(item, meta=dict(item.meta, **meta))


def test_boot_stl_is_staged_beside_the_manager_and_the_bcds(cache):
    plan = plan_for(cache)
    stl = str(cache / "Windows/Boot/EFI/boot.stl")
    for folder in ("", "bcd/", "bcd/sys/"):
        assert plan[layout.distro_file(DISTRO.name, folder + "boot.stl")].path == stl


def test_auto_picks_the_2023_manager_with_its_fonts(cache, tmp_path):
    plan = plan_for(cache)
    run = chained(plan, "win10-x64-pro")
    assert run.actions[0].url == "tftp://192.0.2.5/" + layout.distro_file(DISTRO.name, "bootmgfw_ex.efi")
    assert plan[layout.distro_file(DISTRO.name, "bootmgfw_ex.efi")].path.endswith("EFI_EX/bootmgfw_EX.efi")
    uefi = plan[layout.bcd_file(DISTRO.name, "win10-x64-pro", "uefi")].data
    assert fontpath(tmp_path, uefi) == "\\images\\win10-x64\\fonts_ex"
    bios = plan[layout.bcd_file(DISTRO.name, "win10-x64-pro", "bios")].data
    assert fontpath(tmp_path, bios) == "\\images\\win10-x64\\fonts"
    assert chained(plan, "win10-x64-pro", "pcbios").actions[0].url.endswith("/pxeboot.n12")


def test_profile_and_system_override_the_distro_default(cache, tmp_path):
    distro = with_meta(DISTRO, winpe_boot_manager="2011")
    profiles = [with_meta(PROFILES[0], winpe_boot_manager="2023"), PROFILES[1]]
    systems = [model.WinSystem("box1", "win10-x64-pro", meta={"winpe_boot_manager": "2011"}),
               model.WinSystem("box2", "win10-x64-pro")]
    plan = plan_for(cache, profiles, distro=distro, systems=systems)
    assert chained(plan, "win10-x64-pro").actions[0].url.endswith("/bootmgfw_ex.efi")
    assert chained(plan, "win10-x64-home").actions[0].url.endswith("/bootmgfw.efi")
    box1 = plan[layout.system_bcd_file(DISTRO.name, "box1", "uefi")].data
    box2 = plan[layout.system_bcd_file(DISTRO.name, "box2", "uefi")]
    assert fontpath(tmp_path, box1) == "\\images\\win10-x64\\fonts"
    assert box2 is plan[layout.bcd_file(DISTRO.name, "win10-x64-pro", "uefi")]     # same content: a hard link
    assert fontpath(tmp_path, box2.data) == "\\images\\win10-x64\\fonts_ex"


def test_dhcp_and_ipxe_hand_each_system_the_manager_its_bcd_was_built_for(cache, tmp_path):
    """One decision (staging.boot_manager): the file DHCP names for a UEFI system is the manager the system's BCD
    has the fonts of; before, DHCP always named bootmgfw.efi (2011) while auto built a fonts_ex BCD."""
    from cobbler_winpe.gen import dhcp
    systems = [model.WinSystem("box1", "win10-x64-pro", meta={"winpe_boot_manager": "2011"}),
               model.WinSystem("box2", "win10-x64-pro")]
    plan = plan_for(cache, systems=systems)
    expect = {"box1": ("Windows/Boot/EFI/bootmgfw.efi", "fonts"), "box2": ("Windows/Boot/EFI_EX/bootmgfw_EX.efi", "fonts_ex")}
    for system in systems:
        loader, fonts = expect[system.name]
        nbp = dhcp.boot_file(DISTRO, system, "uefi")
        assert plan[nbp].path == str(cache / loader)
        # beside it, under the name it runs as: its own MUI (bootmgr reads <folder>\<locale>\<own name>.mui) and boot.stl
        folder = nbp.rsplit("/", 1)[0]
        mui = loader.replace("/bootmgfw", "/en-US/bootmgfw") + ".mui"
        assert plan[folder + "/en-US/bootmgfw.efi.mui"].path == str(cache / mui)
        assert plan[folder + "/boot.stl"].path == str(cache / "Windows/Boot/EFI/boot.stl")
        bcd = plan[dhcp.bcd_path(DISTRO, system, "uefi").lstrip("\\").replace("\\", "/")].data
        assert fontpath(tmp_path, bcd) == "\\images\\win10-x64\\" + fonts
        run = chained(plan, system.name, system=True)
        assert run.actions[0].url == "tftp://192.0.2.5/" + nbp
        assert run.option(252) == dhcp.bcd_path(DISTRO, system, "uefi")
    wimboot = plan_for(cache, method="wimboot", systems=systems)
    names = {s.name: {a.name for a in chained(wimboot, s.name, system=True).actions[1:]} for s in systems}
    assert "bootmgfw.efi" in names["box1"] and "bootmgfw_EX.efi" not in names["box1"]
    assert "bootmgfw_EX.efi" in names["box2"] and "bootmgfw.efi" not in names["box2"]


def test_media_without_the_2023_manager_fall_back_to_2011(cache):
    os.unlink(cache / "Windows/Boot/EFI_EX/bootmgfw_EX.efi")
    plan = plan_for(cache, [with_meta(PROFILES[0], winpe_boot_manager="2023")])
    assert chained(plan, "win10-x64-pro").actions[0].url.endswith("/bootmgfw.efi")


def test_wimboot_is_handed_the_chosen_manager_and_boot_stl(cache):
    profiles = [PROFILES[0], with_meta(PROFILES[1], winpe_boot_manager="2011")]
    plan = plan_for(cache, profiles, method="wimboot")
    names = {p.name: {a.name: a.url for a in chained(plan, p.name).actions[1:]} for p in profiles}
    assert names["win10-x64-pro"]["bootmgfw_EX.efi"].endswith(layout.distro_file(DISTRO.name, "bootmgfw_ex.efi"))
    assert "bootmgfw.efi" not in names["win10-x64-pro"]
    assert "bootmgfw_EX.efi" not in names["win10-x64-home"] and "bootmgfw.efi" in names["win10-x64-home"]
    for files in names.values():
        assert files["boot.stl"].endswith(layout.distro_file(DISTRO.name, "boot.stl"))
        assert {"bootmgr.exe", "BCD", "boot.sdi", "boot.wim"} <= set(files)


def test_a_bad_manager_setting_is_one_clear_error(cache):
    with pytest.raises(InputError, match="winpe_boot_manager '2015'.*auto, 2011 or 2023"):
        plan_for(cache, [with_meta(PROFILES[0], winpe_boot_manager="2015")])


@pytest.mark.parametrize("bad", ["Windows/Boot/PXE/boot.wim/bootmgr.exe.mui", "Windows/Boot/EFI/bcd/bootmgfw.efi.mui"])
def test_a_cache_with_a_locale_folder_named_like_a_staged_file_is_refused_not_crashed(cache, bad):
    (cache / bad).parent.mkdir(parents=True, exist_ok=True)
    (cache / bad).write_bytes(b"mui")
    with pytest.raises(MediaError, match="is not a locale folder"):
        plan_for(cache)


def test_a_plan_with_a_file_where_a_folder_is_is_refused():
    with pytest.raises(MediaError, match="images/w/boot.wim: is both a staged file and a folder"):
        staging.check_plan({"images/w/boot.wim": staging.Source(data=b""),
                            "images/w/boot.wim/x.mui": staging.Source(data=b"")})


@pytest.mark.parametrize("platform", ["efi", "pcbios"])
def test_the_admins_signed_wimboot_and_shim_enter_the_wimboot_scripts(cache, platform):
    """secure_boot_wimboot / secure_boot_shim set: iPXE boots the signed wimboot and hands it to the shim (iPXE
    skips the shim itself on BIOS); unset, the scripts keep the plain wimboot and no shim line."""
    plan = plan_for(cache, method="wimboot", secure_boot_wimboot="/srv/signed/wimboot",
                    secure_boot_shim="/srv/signed/ipxe-shimx64.efi")
    run = chained(plan, "win10-x64-pro", platform)
    fetched = [(a.verb, a.url) for a in run.actions]
    assert fetched[0] == ("kernel", "http://192.0.2.5:8080/cobbler/" + layout.WIMBOOT_SIGNED)
    assert fetched[-1] == ("shim", "tftp://192.0.2.5/" + layout.IPXE_SHIM) and run.ended == "boot"
    plain = chained(plan_for(cache, method="wimboot"), "win10-x64-pro", platform)
    assert plain.actions[0].url.endswith("/" + layout.WIMBOOT) and "shim" not in {a.verb for a in plain.actions}


def test_a_second_plan_with_the_same_inputs_serialises_no_bcd_again(cache, monkeypatch):
    built = []
    real = staging.build_pxe_store
    monkeypatch.setattr(staging, "build_pxe_store", lambda *a, **k: built.append(a[0]) or real(*a, **k))
    staging.bcd_store.cache_clear()
    staging.wimboot_bcd_store.cache_clear()
    first = plan_for(cache)
    count = len(built)
    assert count == 2 * len(PROFILES) + 1      # one store per profile and firmware, and wimboot's
    second = plan_for(cache)
    assert len(built) == count                 # nothing serialised again
    bcd = layout.bcd_file(DISTRO.name, "win10-x64-pro", "bios")
    assert second[bcd].data == first[bcd].data
    other = staging.distro_plan(DISTRO, PROFILES, (str(cache), tree.index_tree(str(cache))), str(cache / "boot.sdi"),
                                str(cache.parent / "boot.wim"), config.validate({"tftp_windowsize": 16}), SERVER, {})
    assert len(built) == 2 * count - 1         # a changed TFTP setting builds every PXE store again
    assert other[bcd].data != first[bcd].data
    assert dump_store(read_store(other[bcd].data)) != dump_store(read_store(first[bcd].data))
