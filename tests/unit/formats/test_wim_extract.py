"""Tests for cobbler_winpe.wim.extract: boot-file extraction, general extraction and update through wimlib-imagex."""
import os
import subprocess

import pytest

from cobbler_winpe.errors import InputError, MediaError, ToolError
from cobbler_winpe.media.source import open_media
from cobbler_winpe.sample.media import marker
from cobbler_winpe.wim import bootfiles
from cobbler_winpe.wim import extract as ex
from media_fixtures import samples  # noqa: F401

STANDIN_NBP = b"\xeb\xfe stand-in pxeboot.n12"
STANDIN_EFI = b"MZ stand-in bootmgfw.efi"


def _read(dest, rel):
    with open(os.path.join(dest, rel), "rb") as fp:
        return fp.read()


def test_boot_files_of_win10(samples, tmp_path):
    media = samples("win10-x64")
    files = ex.extract_boot_files(media.boot_wims[""], None, str(tmp_path))
    assert files.bios == ["Windows/Boot/PXE/" + r.name for r in bootfiles.BOOT_FILES if r.kind == "bios"]
    assert files.uefi == ["Windows/Boot/EFI/bootmgfw.efi"]
    assert [p.rsplit("/", 1)[1] for p in files.fonts] == ["segmono_boot.ttf", "segoe_slboot.ttf", "wgl4_boot.ttf"]
    assert files.mui == ["Windows/Boot/PXE/en-US/bootmgr.exe.mui", "Windows/Boot/EFI/en-US/bootmgfw.efi.mui"]
    assert files.winload == "\\Windows\\System32\\Boot\\winload" and files.winload_exts == ("exe", "efi")
    distro = media.spec.distros[0]
    for rel in files.all():
        assert _read(tmp_path, rel) == marker(rel, distro)
    assert files.find("PXEBOOT.N12") == "Windows/Boot/PXE/pxeboot.n12"
    leftovers = [n for n in os.listdir(tmp_path) if n.startswith(".wim-extract-")]
    assert leftovers == []


def test_arm64_has_only_uefi(samples, tmp_path):
    files = ex.extract_boot_files(samples("win11-arm64").boot_wims[""], 2, str(tmp_path))
    assert files.bios == [] and files.winload_exts == ("efi",)
    assert files.uefi == ["Windows/Boot/EFI/bootmgfw.efi", "Windows/Boot/EFI_EX/bootmgfw_EX.efi"]


def test_24h2_file_set_is_extracted_and_named_for_staging(samples, tmp_path):
    media = samples("win11-x64")
    files = ex.extract_boot_files(media.boot_wims[""], None, str(tmp_path))
    assert files.stl == ["Windows/Boot/EFI/boot.stl"]
    assert files.staged["Windows/Boot/EFI_EX/bootmgfw_EX.efi"] == "bootmgfw_ex.efi"
    assert files.staged["Windows/Boot/EFI_EX/en-US/bootmgfw_EX.efi.mui"] == "en-US/bootmgfw_ex.efi.mui"
    assert files.staged["Windows/Boot/Fonts_EX/wgl4_boot_EX.ttf"] == "fonts_ex/wgl4_boot.ttf"
    assert files.staged["Windows/Boot/Fonts/wgl4_boot.ttf"] == "fonts/wgl4_boot.ttf"
    distro = media.spec.distros[0]
    for rel in files.all():
        assert _read(tmp_path, rel) == marker(rel, distro)


def test_winpe_image_gives_its_own_boot_sdi(samples, tmp_path):
    """A bare WinPE boot image: boot.sdi comes from its Windows/Boot/DVD (PCAT first), staged as boot.sdi."""
    media = samples("adk-winpe")
    files = ex.extract_boot_files(media.boot_wims[""], None, str(tmp_path))
    assert files.sdi == ["Windows/Boot/DVD/PCAT/boot.sdi"]
    assert files.staged["Windows/Boot/DVD/PCAT/boot.sdi"] == "boot.sdi" and files.find("boot.sdi")
    assert _read(tmp_path, files.sdi[0]) == marker(files.sdi[0], media.spec.distros[0])
    assert files.bios and files.uefi


def test_folder_where_a_boot_file_should_be_is_refused(tmp_path):
    pe = tmp_path / "pe"
    (pe / "Windows/Boot/PXE/pxeboot.n12").mkdir(parents=True)
    (pe / "Windows/Boot/PXE/pxeboot.n12/x").write_bytes(b"x")
    (pe / "Windows/Boot/EFI").mkdir(parents=True)
    (pe / "Windows/Boot/EFI/bootmgfw.efi").write_bytes(b"MZ")
    wim = str(tmp_path / "boot.wim")
    subprocess.run(["wimlib-imagex", "capture", str(pe), wim, "PE", "--boot", "--no-acls"], check=True,
                   capture_output=True, timeout=60)
    with pytest.raises(MediaError, match="Windows/Boot/PXE/pxeboot.n12: a folder stands where a boot file"):
        ex.extract_boot_files(wim, 1, str(tmp_path / "d"))
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())


@pytest.mark.parametrize("locale", ["boot.wim", "bcd", "fonts", "ipxe"])
def test_locale_folder_named_like_a_staged_file_is_refused(tmp_path, locale):
    pe = tmp_path / "pe"
    (pe / "Windows/Boot/PXE" / locale).mkdir(parents=True)
    (pe / "Windows/Boot/PXE/pxeboot.n12").write_bytes(b"nbp")
    (pe / "Windows/Boot/PXE" / locale / "bootmgr.exe.mui").write_bytes(b"mui")
    wim = str(tmp_path / "boot.wim")
    subprocess.run(["wimlib-imagex", "capture", str(pe), wim, "PE", "--boot", "--no-acls"], check=True,
                   capture_output=True, timeout=60)
    with pytest.raises(MediaError, match="is not a locale folder"):
        ex.extract_boot_files(wim, 1, str(tmp_path / "d"))


def test_win7_winload_in_system32(samples, tmp_path):
    files = ex.extract_boot_files(samples("win7-x64").boot_wims[""], None, str(tmp_path))
    assert files.winload == "\\Windows\\System32\\winload"


def test_substituted_loaders(samples, tmp_path):
    media = samples("win10-x64", boot_files={"windows/boot/pxe/PXEBOOT.N12": STANDIN_NBP,
                                             "Windows/Boot/EFI/bootmgfw.efi": STANDIN_EFI})
    files = ex.extract_boot_files(media.boot_wims[""], None, str(tmp_path))
    assert _read(tmp_path, files.find("pxeboot.n12")) == STANDIN_NBP
    assert _read(tmp_path, files.find("bootmgfw.efi")) == STANDIN_EFI


def test_extract_from_iso_streams_to_temp(samples, tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    with open_media(samples("server2025").iso) as media:
        files = ex.extract_from_media(media, "SOURCES/BOOT.WIM", None, str(tmp_path / "out"), tmpdir=str(tmpdir))
    assert "Windows/Boot/EFI_EX/bootmgfw_EX.efi" in files.uefi
    assert os.listdir(tmpdir) == []     # the temp copy is gone


def test_extract_files_case_insensitive_and_dirs(samples, tmp_path):
    wim = samples("win10-x64").boot_wims[""]
    written = ex.extract_files(wim, 1, ["\\WINDOWS\\system32\\STARTNET.CMD", "windows/boot/fonts"], str(tmp_path))
    assert written[0] == "Windows/System32/startnet.cmd"
    assert len(written) == 4 and all(w.startswith("Windows/Boot/Fonts/") for w in written[1:])
    assert _read(tmp_path, written[0]) == b"wpeinit\r\n"


def test_extract_missing_and_traversal(samples, tmp_path):
    wim = samples("win10-x64").boot_wims[""]
    with pytest.raises(MediaError, match="no nothing.txt"):
        ex.extract_files(wim, 1, ["nothing.txt"], str(tmp_path))
    assert ex.extract_files(wim, 1, ["nothing.txt"], str(tmp_path), missing_ok=True) == []
    with pytest.raises(InputError):
        ex.extract_files(wim, 1, ["../../etc/passwd"], str(tmp_path))


def test_symlink_in_wim_is_not_followed(tmp_path):
    src = tmp_path / "src" / "Windows" / "Boot" / "PXE"
    src.mkdir(parents=True)
    os.symlink("/etc/passwd", src / "pxeboot.n12")
    (src / "bootmgr.exe").write_bytes(b"ok")
    wim = str(tmp_path / "evil.wim")
    subprocess.run(["wimlib-imagex", "capture", str(tmp_path / "src"), wim, "x"], check=True,
                   stdout=subprocess.DEVNULL)
    dest = tmp_path / "dest"
    with pytest.raises(MediaError, match="not a regular file"):
        ex.extract_files(wim, 1, ["Windows/Boot/PXE/pxeboot.n12"], str(dest))
    assert not os.path.lexists(dest / "Windows/Boot/PXE/pxeboot.n12")


def test_symlink_in_dest_is_refused(samples, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "Windows")
    with pytest.raises(MediaError, match="outside"):
        ex.extract_boot_files(samples("win10-x64").boot_wims[""], None, str(dest))
    assert os.listdir(outside) == []


def test_update_then_extract(samples, tmp_path):
    import shutil
    wim = str(tmp_path / "boot.wim")
    shutil.copy(samples("win10-x64").boot_wims[""], wim)
    local = tmp_path / "startnet.cmd"
    local.write_bytes(b"wpeinit\r\nnet use z: \\\\server\\share\r\n")
    ex.update_files(wim, 2, {"\\Windows\\System32\\startnet.cmd": str(local), "/cobbler/new.txt": str(local)})
    written = ex.extract_files(wim, 2, ["windows/system32/startnet.cmd", "COBBLER/NEW.TXT"], str(tmp_path / "x"))
    assert [_read(tmp_path / "x", w) for w in written] == [local.read_bytes()] * 2
    assert _read_index1(wim, tmp_path) == b"wpeinit\r\n"   # other images untouched


def _read_index1(wim, tmp_path):
    out = tmp_path / "one"
    written = ex.extract_files(wim, 1, ["windows/system32/startnet.cmd"], str(out))
    return _read(out, written[0])


def test_update_refuses_quotes(tmp_path, samples):
    local = tmp_path / "a'b"
    local.write_bytes(b"x")
    with pytest.raises(InputError, match="quote"):
        ex.update_files(samples("win10-x64").boot_wims[""], 1, {"/x": str(local)})


def test_missing_wimlib_names_package(monkeypatch, tmp_path, samples):
    wim = samples("win10-x64").boot_wims[""]
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError, match="wimtools"):
        ex.extract_boot_files(wim, 2, str(tmp_path / "d"))


def test_not_boot_media(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hello.txt").write_bytes(b"hi")
    wim = str(tmp_path / "plain.wim")
    subprocess.run(["wimlib-imagex", "capture", str(tmp_path / "src"), wim, "x"], check=True,
                   stdout=subprocess.DEVNULL)
    with pytest.raises(MediaError, match="neither"):
        ex.extract_boot_files(wim, 1, str(tmp_path / "d"))


def test_extract_from_split_wim_uses_all_parts(samples, tmp_path):
    media = samples("server2019")
    written = ex.extract_files(media.installs[""], 3, ["WINDOWS/EDITION.TXT", "windows/system32/filler.bin"],
                               str(tmp_path))
    assert _read(tmp_path, written[0]) == media.spec.distros[0].editions[2].name.encode()
    assert os.path.getsize(tmp_path / written[1]) == 1200 * 1024   # its data lies in a later part


@pytest.mark.parametrize("index", [0, 3, "x"])
def test_bad_image_index(samples, tmp_path, index):
    with pytest.raises(InputError, match="no such image"):
        ex.extract_files(samples("win10-x64").boot_wims[""], index, ["setup.exe"], str(tmp_path))
