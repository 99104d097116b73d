"""Tests of the adapter's cache pruning (a deleted distro's cache goes, one being imported stays) and its WIM choice."""
import os
import time

import pytest

from cobbler_winpe import config
from cobbler_winpe.adapter import staging, winpe
from cobbler_winpe.errors import MediaError
from cobbler_winpe.gen.model import WinDistro


def distro_cache(root, name):
    folder = root / name
    folder.mkdir()
    (folder / "boot.sdi").write_bytes(b"SDI")
    return folder


def test_prune_keeps_known_and_importing_distros(tmp_path):
    cfg = config.validate({"cache_dir": str(tmp_path)})
    distro_cache(tmp_path, "kept")
    distro_cache(tmp_path, "gone")
    busy = distro_cache(tmp_path, "busy")
    (busy / staging.IMPORTING).write_text("")
    stale = distro_cache(tmp_path, "stale")
    (stale / staging.IMPORTING).write_text("")
    old = time.time() - 7200
    os.utime(stale / staging.IMPORTING, (old, old))
    (tmp_path / staging.BLOBS).mkdir()
    staging.prune_cache(cfg, {"kept"})
    assert sorted(os.listdir(tmp_path)) == sorted([staging.BLOBS, "busy", "kept"])


def test_uefi_menu_is_staged_when_on_and_its_folder_removed_when_off(tmp_path):
    """stage_menu writes winpe/menu/<arch>/ (the chosen boot manager linked from the cache, the BCD) and takes
    the whole folder away once uefi_menu is off; files of other folders stay."""
    from cobbler_winpe.gen import layout, model
    from test_uefimenu import PROFILES, WIN10, full_plan
    plan = full_plan(tmp_path / "cache", (WIN10,))
    root = tmp_path / "tftp"
    (root / "winpe" / "ipxe").mkdir(parents=True)
    (root / "winpe" / "ipxe" / "snponly.efi").write_bytes(b"ipxe")
    server = model.Server("10.0.0.1", tftproot=str(root))
    staging.stage_menu([WIN10], PROFILES, plan, server, config.validate({"uefi_menu": True}))
    nbp = root / layout.menu_nbp("x86_64")
    assert os.path.samefile(nbp, tmp_path / "cache" / "win10-x64" / "Windows/Boot/EFI/bootmgfw.efi")
    assert (root / layout.menu_bcd("x86_64")).read_bytes()[:4] == b"regf"
    staging.stage_menu([WIN10], PROFILES, plan, server, config.validate({}))
    assert not (root / layout.MENU_DIR).exists() and (root / "winpe" / "ipxe" / "snponly.efi").exists()


def test_own_start_files_refused_once_the_mirror_image_was_rebuilt(tmp_path):
    """Setup media imported from an ISO: the mirror's boot.wim became the plugin's image; booting 'its own' start
    files from it would boot the plugin's, so the distro is refused in one line until re-imported."""
    distro = WinDistro("w10-x86_64", "x86_64", "10", str(tmp_path), start_files="image")
    mirror_wim = tmp_path / "boot.wim"
    mirror_wim.write_bytes(b"MSWIM\0\0\0 as imported")
    assert winpe.own_image(distro, str(mirror_wim), str(tmp_path)) == str(mirror_wim)
    os.link(mirror_wim, tmp_path / winpe.WINPE_WIM)
    with pytest.raises(MediaError, match=r"holds the plugin's start files .*\(re-import the media"):
        winpe.own_image(distro, str(mirror_wim), str(tmp_path))
