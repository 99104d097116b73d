"""Tests for cobbler_winpe.sample.media: the preset table, spec checks and the media layout it builds."""
import dataclasses
import os

import pytest

from cobbler_winpe.errors import InputError
from cobbler_winpe.sample import media as sm
from cobbler_winpe.wim.info import read_wim_info_path
from media_fixtures import samples, wiminfo_xml  # noqa: F401


def test_presets_named_in_the_brief():
    assert {"win10-x64", "win11-x64", "win11-arm64", "server2016", "server2019", "server2022", "server2025",
            "win7-x64", "dual-arch"} <= set(sm.PRESETS)


def test_preset_overrides_and_unknown():
    assert sm.preset("win10-x64", layout="bridge").layout == "bridge"
    assert sm.PRESETS["win10-x64"].layout == "hidden"
    with pytest.raises(InputError, match="no such sample preset"):
        sm.preset("win95")


@pytest.mark.parametrize("change", [
    {"layout": "floppy"},
    {"distros": ()},
    {"distros": (sm.DistroSpec(arch="mips"),)},
    {"distros": (sm.DistroSpec(install_format="zip"),)},
])
def test_bad_specs_refused(tmp_path, change):
    with pytest.raises(InputError):
        sm.build_sample_media(str(tmp_path), sm.preset("win10-x64", **change))


def test_media_layout(samples):
    media = samples("win11-x64")
    for rel in ("setup.exe", "bootmgr", "boot/boot.sdi", "boot/etfsboot.com", "efi/boot/bootx64.efi",
                "efi/microsoft/boot/efisys.bin", "sources/boot.wim", "sources/install.wim", "sources/setup.exe"):
        assert os.path.isfile(os.path.join(media.tree, rel)), rel
    assert media.path == media.iso and os.path.getsize(media.iso) > 0
    assert not any(n.endswith(".stage") for n in os.listdir(os.path.dirname(media.tree)))


def test_image_properties_as_wimlib_reads_them(samples):
    media = samples("win11-arm64")
    xml = wiminfo_xml(media.installs[""])
    for text in ("<ARCH>12</ARCH>", "<BUILD>26100</BUILD>", "<EDITIONID>Professional</EDITIONID>",
                 "<INSTALLATIONTYPE>Client</INSTALLATIONTYPE>", "<DISPLAYNAME>Windows 11 Pro</DISPLAYNAME>",
                 "<DEFAULT>en-US</DEFAULT>"):
        assert text in xml
    boot = read_wim_info_path(media.boot_wims[""])
    assert boot.boot_index == 2 and boot.image(2).name == "Microsoft Windows Setup (ARM64)"


def test_boot_image_files_per_arch():
    x64 = sm.boot_image_files(sm.DistroSpec())
    arm = sm.boot_image_files(sm.DistroSpec(arch="arm64", efi_ex=True))
    assert "Windows/Boot/PXE/pxeboot.n12" in x64 and "Windows/Boot/PXE/pxeboot.n12" not in arm
    assert {"Windows/Boot/EFI_EX/bootmgfw_EX.efi", "Windows/Boot/EFI/boot.stl", "Windows/Boot/Fonts_EX/wgl4_boot_EX.ttf",
            "Windows/Boot/EFI_EX/en-US/bootmgfw_EX.efi.mui"} <= set(arm) and "Windows/Boot/EFI/boot.stl" not in x64
    assert "Windows/System32/Boot/winload.exe" not in arm
    assert x64["Windows/System32/startnet.cmd"] == b"wpeinit\r\n"
    assert b"not a Microsoft binary" in x64["Windows/Boot/PXE/pxeboot.n12"]


def test_tree_layout_has_no_iso(samples):
    media = samples("win7-x64", layout="tree")
    assert media.iso is None and media.path == media.tree


def test_specs_are_plain_dataclasses():
    spec = sm.preset("dual-arch")
    assert [d.root for d in spec.distros] == ["x86", "x64"]
    assert dataclasses.replace(spec.distros[0], build=19041).build == 19041


def test_adk_winpe_layout(samples):
    """copype + MakeWinPEMedia: Boot/ and EFI/ around sources/boot.wim (one bootable WindowsPE image), no setup."""
    from cobbler_winpe.media.source import open_media
    media = samples("adk-winpe")
    wanted = ("Boot/BCD", "Boot/boot.sdi", "EFI/Boot/bootx64.efi", "EFI/Microsoft/Boot/BCD", "sources/boot.wim")
    with open_media(media.iso) as iso:
        files = {rel for rel, is_dir, _size in iso.walk() if not is_dir}
    assert set(wanted) <= files and not {f for f in files if "install" in f or f.endswith("setup.exe")}
    assert media.installs == {}
    info = read_wim_info_path(media.boot_wims[""])
    assert info.boot_index == 1 and [(i.name, i.installation_type) for i in info.images] == [
        ("Microsoft Windows PE (amd64)", "WindowsPE")]
