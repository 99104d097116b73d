"""Tests for cobbler_winpe.media.detect: every preset release, dual-arch media, build mapping and broken media."""
import os
import shutil
import struct

import pytest

from cobbler_winpe.errors import MediaError
from cobbler_winpe.media.detect import detect, release_for
from cobbler_winpe.media.source import open_media
from cobbler_winpe.sample.media import DistroSpec, Edition
from media_fixtures import OFF_BOOT_IDX, samples  # noqa: F401

# preset -> [(root, arch, os_version, build, install format, image count)]
EXPECTED = {
    "win10-x64": [("", "x86_64", "10", 19045, "esd", 3)],
    "win11-x64": [("", "x86_64", "11", 26100, "wim", 2)],
    "win11-arm64": [("", "arm64", "11", 26100, "wim", 2)],
    "server2016": [("", "x86_64", "2016", 14393, "wim", 4)],
    "server2019": [("", "x86_64", "2019", 17763, "swm", 4)],
    "server2022": [("", "x86_64", "2022", 20348, "wim", 4)],
    "server2025": [("", "x86_64", "2025", 26100, "wim", 4)],
    "win7-x64": [("", "x86_64", "7", 7601, "wim", 2)],
    "dual-arch": [("x64", "x86_64", "10", 19045, "esd", 1), ("x86", "i386", "10", 19045, "esd", 1)],
}


def _summary(info):
    return [(d.root, d.arch, d.release, d.build, d.install.format, len(d.install.images)) for d in info.distros]


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("which", ["iso", "tree"])
def test_presets(samples, name, which):
    media = samples(name)
    with open_media(getattr(media, which)) as m:
        info = detect(m)
    assert _summary(info) == EXPECTED[name]
    assert info.kind == which and info.source == getattr(media, which)
    for distro in info.distros:
        assert distro.warnings == []
        assert distro.boot_wim.path == (distro.root + "/" if distro.root else "") + "sources/boot.wim"
        assert distro.boot_wim.boot_index == 2 and distro.boot_image.name.startswith("Microsoft Windows Setup")


def test_split_parts_listed_in_order(samples):
    with open_media(samples("server2019").iso) as m:
        install = detect(m).distros[0].install
    assert install.parts[0] == "sources/install.swm"
    assert install.parts[1:] == ["sources/install%d.swm" % n for n in range(2, len(install.parts) + 1)]
    assert len(install.parts) >= 2


@pytest.mark.parametrize("build,server,expected", [
    (7600, False, "7"), (7601, True, "2008"), (9200, False, "8"), (9600, True, "2012"),
    (10240, False, "10"), (19045, False, "10"), (14393, False, "10"), (14393, True, "2016"),
    (17763, True, "2019"), (20348, True, "2022"), (22000, False, "11"), (26100, False, "11"),
    (26100, True, "2025"), (20348, False, None), (19046, False, None), (6002, True, None),
    (99999, True, None), (None, False, None),
])
def test_build_mapping(build, server, expected):
    assert release_for(build, server) == expected


def test_unknown_build_is_reported(samples):
    odd = DistroSpec("x86_64", 30500, editions=(Edition("Windows Server vNext", "ServerStandard", "Server"),))
    with open_media(samples("server2022", distros=(odd,)).iso) as m:
        distro = detect(m).distros[0]
    assert distro.release is None and distro.build == 30500
    assert distro.warnings == ["unknown build 30500 (server): no Windows release known for it"]


def test_json_shape(samples):
    with open_media(samples("win10-x64").iso) as m:
        doc = detect(m).to_json()
    assert doc["kind"] == "iso" and doc["label"] == "CCCOMA_X64FRE_EN-US_DV9"
    distro = doc["distros"][0]
    assert distro["boot_wim"]["images"][1] == {"index": 2, "name": "Microsoft Windows Setup (x64)",
                                               "arch": "x86_64", "build": 19045}
    image = distro["install"]["images"][1]
    assert {k: image[k] for k in ("index", "name", "display_name", "edition_id", "installation_type", "arch",
                                  "build", "languages", "default_language")} == {
        "index": 2, "name": "Windows 10 Pro", "display_name": "Windows 10 Pro", "edition_id": "Professional",
        "installation_type": "Client", "arch": "x86_64", "build": 19045, "languages": ["en-US"],
        "default_language": "en-US"}


def _copy_tree(samples, tmp_path, name="win10-x64"):
    tree = tmp_path / "tree"
    shutil.copytree(samples(name).tree, tree)
    return tree


def test_setup_boot_wim_without_install_image_is_a_winpe(samples, tmp_path):
    """Setup media with its install image gone: its bootable boot.wim is still a WinPE (booted as it is)."""
    tree = _copy_tree(samples, tmp_path)
    os.unlink(tree / "sources" / "install.esd")
    with open_media(str(tree)) as m:
        (distro,) = detect(m).distros
    assert distro.kind == "winpe" and distro.install is None and distro.install_images == []
    assert distro.boot_image.index == 2 and distro.release == "10"


@pytest.mark.parametrize("which", ["iso", "tree"])
def test_adk_winpe_media(samples, which):
    """copype + MakeWinPEMedia output: one WinPE distro, its build and arch from the boot image."""
    with open_media(getattr(samples("adk-winpe"), which)) as m:
        info = detect(m)
    (distro,) = info.distros
    assert (distro.kind, distro.root, distro.arch, distro.release, distro.build) == (
        "winpe", "", "x86_64", "11", 26100)
    assert distro.boot_wim.boot_index == 1 and distro.boot_image.name == "Microsoft Windows PE (amd64)"
    assert distro.warnings == []
    doc = info.to_json()["distros"][0]
    assert doc["kind"] == "winpe" and doc["install"] is None


@pytest.mark.parametrize("build,os_version", [(19041, "10"), (22621, "11"), (20348, "2022")])
def test_winpe_os_version_from_its_build(samples, build, os_version):
    """WinPE images are WindowsPE, not Server: a build only a server release has (the ADK for Server 2022) maps
    to that release."""
    spec = DistroSpec("x86_64", build, editions=())
    with open_media(samples("adk-winpe", distros=(spec,)).boot_wims[""]) as m:
        assert detect(m).distros[0].release == os_version


def test_bare_boot_wim_is_a_winpe(samples):
    """`cobbler import --path=/srv/LiteTouchPE_x64.wim`: the file alone is the medium."""
    wim = samples("adk-winpe").boot_wims[""]
    with open_media(wim) as m:
        info = detect(m)
    assert info.kind == "wim" and info.source == wim
    (distro,) = info.distros
    assert distro.kind == "winpe" and distro.boot_wim.path == "sources/boot.wim" and distro.arch == "x86_64"


def test_winpe_without_a_boot_index_is_known_by_its_windowspe_image(samples, tmp_path):
    """A boot image whose header names no boot image: its one image's INSTALLATIONTYPE WindowsPE is enough."""
    data = bytearray(open(samples("adk-winpe").boot_wims[""], "rb").read())
    data[OFF_BOOT_IDX:OFF_BOOT_IDX + 4] = struct.pack("<I", 0)
    wim = tmp_path / "rescue.wim"
    wim.write_bytes(bytes(data))
    with open_media(str(wim)) as m:
        (distro,) = detect(m).distros
    assert distro.kind == "winpe" and distro.boot_wim.boot_index == 0 and distro.boot_image.index == 1


def test_install_wim_given_as_a_boot_image_is_refused(samples, tmp_path):
    """A WIM with no boot index and no WindowsPE image (an install.wim) is no WinPE: one line saying so."""
    wim = tmp_path / "not-winpe.wim"
    shutil.copy(samples("win11-x64").installs[""], wim)
    with open_media(str(wim)) as m, pytest.raises(MediaError) as err:
        detect(m)
    line = str(err.value)
    assert line.startswith(str(wim) + ": is not a bootable WinPE image") and "\n" not in line


def test_truncated_boot_wim_is_refused(samples, tmp_path):
    wim = tmp_path / "cut.wim"
    data = open(samples("adk-winpe").boot_wims[""], "rb").read()
    wim.write_bytes(data[:len(data) // 2])
    with open_media(str(wim)) as m, pytest.raises(MediaError, match="cut.wim: WIM XML metadata lies beyond the end"):
        detect(m)


def test_missing_boot_wim(samples, tmp_path):
    tree = _copy_tree(samples, tmp_path)
    os.unlink(tree / "sources" / "boot.wim")
    with open_media(str(tree)) as m, pytest.raises(MediaError, match="no boot.wim"):
        detect(m)


def test_not_windows(tmp_path):
    (tmp_path / "isolinux").mkdir()
    with open_media(str(tmp_path)) as m, pytest.raises(MediaError, match="not Windows media"):
        detect(m)


def test_corrupt_install_header(samples, tmp_path):
    tree = _copy_tree(samples, tmp_path)
    with open(tree / "sources" / "install.esd", "r+b") as fp:
        fp.write(b"XXXXX")
    with open_media(str(tree)) as m, pytest.raises(MediaError, match="install.esd: not a WIM"):
        detect(m)


def test_upper_case_media(samples, tmp_path):
    """Media written with upper-case names (SOURCES/INSTALL.WIM) are found and paths kept as stored."""
    tree = _copy_tree(samples, tmp_path, "server2016")
    os.rename(tree / "sources" / "install.wim", tree / "sources" / "INSTALL.WIM")
    os.rename(tree / "sources", tree / "SOURCES")
    with open_media(str(tree)) as m:
        distro = detect(m).distros[0]
    assert distro.install.path == "SOURCES/INSTALL.WIM" and distro.boot_wim.path == "SOURCES/boot.wim"


def test_escaping_symlink_at_top_is_not_a_root(samples, tmp_path):
    tree = _copy_tree(samples, tmp_path)
    os.symlink("/", tree / "x64")
    with open_media(str(tree)) as m:
        assert [d.root for d in detect(m).distros] == [""]
