"""`cobbler import` and `cobbler sync` of Windows media on the real cobblerd: distros, profiles, staged trees."""
import dataclasses
import hashlib
import os
import pathlib
import subprocess

import pytest

from testbed import run_ok

from cobbler_winpe.bcd.store import dump_store, read_store

pytestmark = pytest.mark.integration


def cobbler_import(bed, path, name):
    out = run_ok(bed, "import", "--path", path, "--name", name)
    return out


def names(bed, kind):
    return set(run_ok(bed, kind, "list").split())


def tree_digest(root):
    digest = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                digest[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return digest


def bcd_paths(path):
    """Every path element (strings and device paths) of a BCD store, as the boot manager would read them."""
    found = []
    for obj in dump_store(read_store(pathlib.Path(path).read_bytes()))["objects"]:
        for element in obj["elements"]:
            value = element["value"]
            found.append(value.get("text", "") if isinstance(value, dict) else str(value))
    return "\n".join(found)


@pytest.fixture(scope="module")
def imported(winpe_bed, sample_media):
    """win10 imported from its ISO and dual-arch from its tree, then synced."""
    winpe_bed.reset()
    iso_out = cobbler_import(winpe_bed, sample_media["win10-x64"].iso, "win10")
    tree_out = cobbler_import(winpe_bed, sample_media["dual-arch"].tree, "dual")
    sync_out = run_ok(winpe_bed, "sync")
    return winpe_bed, iso_out, tree_out, sync_out


def test_import_ends_complete(imported):
    _bed, iso_out, tree_out, _sync = imported
    assert "TASK COMPLETE" in iso_out, iso_out
    assert "TASK COMPLETE" in tree_out, tree_out


def test_distros_and_profiles_per_edition(imported):
    bed = imported[0]
    assert {"win10-x86_64", "dual-i386", "dual-x86_64"} <= names(bed, "distro")
    profiles = names(bed, "profile")
    assert {"win10-x86_64", "win10-x86_64-home", "win10-x86_64-pro", "win10-x86_64-education"} <= profiles
    assert {"dual-i386-pro", "dual-x86_64-pro"} <= profiles
    report = run_ok(bed, "distro", "report", "--name", "win10-x86_64")
    assert "windows" in report and ": 10" in report


def test_sync_stages_every_wds_file(imported):
    bed = imported[0]
    for root in (bed.tftproot, bed.webdir):
        folder = pathlib.Path(root) / "images" / "win10-x86_64"
        for name in ("pxeboot.n12", "pxeboot.com", "bootmgr.exe", "bootmgfw.efi", "boot.sdi", "boot.wim",
                     "en-US/bootmgr.exe.mui", "bcd/win10-x86_64-pro", "bcd/win10-x86_64-pro.uefi"):
            assert (folder / name).is_file(), folder / name
        assert any((folder / "fonts").iterdir())


def test_boot_wim_is_linked_not_copied(imported, sample_media):
    bed = imported[0]
    staged = pathlib.Path(bed.tftproot) / "images" / "win10-x86_64" / "boot.wim"
    web = pathlib.Path(bed.webdir) / "images" / "win10-x86_64" / "boot.wim"
    assert staged.stat().st_ino == web.stat().st_ino
    assert staged.stat().st_nlink >= 3   # distro mirror, tftp tree, web tree


def test_each_bcd_names_files_that_exist(imported):
    bed = imported[0]
    tftp = pathlib.Path(bed.tftproot)
    for bcd in (tftp / "images").glob("*/bcd/*"):
        text = bcd_paths(bcd)
        distro = bcd.parent.parent.name
        for name in ("boot.sdi", "boot.wim"):
            wanted = "\\images\\%s\\%s" % (distro, name)
            assert wanted in text, (bcd, text)
            assert (tftp / "images" / distro / name).is_file()


def test_menus_offer_windows_beside_linux(imported, tmp_path):
    bed = imported[0]
    (tmp_path / "vmlinuz").write_bytes(b"\x7fKERNEL" * 8)
    (tmp_path / "initrd.img").write_bytes(b"INITRD" * 8)
    run_ok(bed, "distro", "add", "--name", "linux", "--arch", "x86_64", "--breed", "redhat", "--os-version",
           "rhel9", "--kernel", tmp_path / "vmlinuz", "--initrd", tmp_path / "initrd.img")
    run_ok(bed, "profile", "add", "--name", "linux-p", "--distro", "linux")
    tftp = pathlib.Path(bed.tftproot)
    pxe = (tftp / "pxelinux.cfg" / "default").read_text()
    assert "LABEL linux-p" in pxe and "LABEL win10-x86_64-pro" in pxe
    assert "APPEND images/win10-x86_64/pxeboot.n12 -W -o 252.s=\\images\\win10-x86_64\\bcd\\win10-x86_64-pro" in pxe
    assert "win10-x86_64-pro (Windows: UEFI boots it through iPXE)" in (tftp / "grub" / "x86_64_menu_items.cfg").read_text()
    ipxe = (tftp / "ipxe" / "default.ipxe").read_text()
    url = "http://127.0.0.1:%d/cobbler/images/win10-x86_64/ipxe/win10-x86_64-pro.ipxe" % bed.http_port
    assert ":win10-x86_64-pro\nchain " + url in ipxe
    status, script = bed.http_get(url.split(str(bed.http_port), 1)[1])
    assert status == 200 and b"set 252:string \\images\\win10-x86_64\\bcd\\win10-x86_64-pro.uefi" in script


def test_second_full_sync_is_byte_identical(imported):
    bed = imported[0]
    before = tree_digest(os.path.join(bed.tftproot, "images"))
    run_ok(bed, "sync")
    assert tree_digest(os.path.join(bed.tftproot, "images")) == before


def test_removing_a_distro_leaves_no_residue(imported):
    bed = imported[0]
    for profile in sorted(names(bed, "profile")):
        if profile.startswith("dual-i386"):
            run_ok(bed, "profile", "remove", "--name", profile)
    run_ok(bed, "distro", "remove", "--name", "dual-i386")
    run_ok(bed, "sync")
    for root in (bed.tftproot, bed.webdir):
        assert not (pathlib.Path(root) / "images" / "dual-i386").exists()
    assert not pathlib.Path("/var/lib/cobbler/winpe/dual-i386").exists()
    assert "dual-i386" not in pathlib.Path("/etc/cobbler/winpe/smb-winpe.conf").read_text()
    assert "dual-i386" not in (pathlib.Path(bed.tftproot) / "pxelinux.cfg" / "default").read_text()


def test_staged_boot_wim_carries_the_start_files(imported):
    bed = imported[0]
    wim = pathlib.Path(bed.tftproot) / "images" / "win10-x86_64" / "boot.wim"
    listing = subprocess.run(["wimlib-imagex", "dir", str(wim), "2"], capture_output=True, text=True, check=True)
    names = {line.strip().lower() for line in listing.stdout.splitlines()}
    for name in ("startnet.cmd", "winpeshl.ini", "cobbler-get.vbs"):
        assert "/windows/system32/" + name in names
    extracted = subprocess.run(["wimlib-imagex", "extract", str(wim), "2", "/Windows/System32/startnet.cmd",
                                "--to-stdout"], capture_output=True, check=True).stdout.decode()
    assert r"\\127.0.0.1\winpe-win10-x86_64" in extracted
    secret = pathlib.Path("/etc/cobbler/winpe/smb.secret").read_text().strip()
    assert secret and secret not in bed.log_text()


def test_service_files_follow_the_inventory(imported):
    smb = pathlib.Path("/etc/cobbler/winpe/smb-winpe.conf").read_text()
    assert "[winpe-win10-x86_64]" in smb and "[winpe]" in smb
    rules = pathlib.Path("/etc/cobbler/winpe/tftpd.rules").read_text()
    assert "images/win10-x86_64/" in rules
    data = pathlib.Path("/var/lib/cobbler/winpe/smb/profiles/win10-x86_64-pro/unattend-bios.xml").read_text()
    assert "<MetaData" in data or "ImageInstall" in data
    for name in ("startnet.cmd", "winpeshl.ini"):
        assert (pathlib.Path(imported[0].webdir) / "images/win10-x86_64/inject/win10-x86_64-pro" / name).is_file()


def test_arm64_media_imports_as_a_uefi_only_distro(winpe_bed, sample_media):
    bed = winpe_bed
    out = cobbler_import(bed, sample_media["win11-arm64"].iso, "w11arm")
    assert "TASK COMPLETE" in out, out
    report = run_ok(bed, "distro", "report", "--name", "w11arm-aarch64")
    assert "aarch64" in report and ": 11" in report
    run_ok(bed, "sync")
    folder = pathlib.Path(bed.tftproot) / "images" / "w11arm-aarch64"
    assert (folder / "bootmgfw.efi").is_file() and not (folder / "pxeboot.n12").exists()
    profile = sorted(p for p in names(bed, "profile") if p.startswith("w11arm-aarch64-"))[0]
    assert (folder / "bcd" / (profile + ".uefi")).is_file()
    assert not (folder / "bcd" / profile).exists()     # no BIOS store for UEFI-only media
    assert "efi" in bcd_paths(folder / "bcd" / (profile + ".uefi")).lower()


def test_server_2025_imports_with_its_own_os_version(winpe_bed, tmp_path):
    from cobbler_winpe.sample import media as sample
    built = sample.build_sample_media(str(tmp_path), sample.preset("server2025"))
    out = cobbler_import(winpe_bed, built.iso, "srv25")
    assert "TASK COMPLETE" in out, out
    assert ": 2025" in run_ok(winpe_bed, "distro", "report", "--name", "srv25-x86_64")


def test_unknown_build_fails_clearly_then_imports_with_os_version(winpe_bed, tmp_path):
    from cobbler_winpe.sample import media as sample
    spec = sample.preset("server2022", layout="tree")     # a server build no table knows yet
    spec = dataclasses.replace(spec, name="future", distros=(dataclasses.replace(spec.distros[0], build=29999),))
    built = sample.build_sample_media(str(tmp_path), spec)
    rc, out, err = winpe_bed.cli("import", "--path", built.tree, "--name", "future")
    assert rc != 0 and "TASK FAILED" in out
    assert "unknown Windows build 29999" in winpe_bed.log_text()
    out = run_ok(winpe_bed, "import", "--path", built.tree, "--name", "future", "--breed", "windows",
                 "--os-version", "2025")
    assert "TASK COMPLETE" in out
    assert ": 2025" in run_ok(winpe_bed, "distro", "report", "--name", "future-x86_64")


def _mirror(bed, name):
    return pathlib.Path(bed.webdir) / "distro_mirror" / name


def test_reimport_under_the_same_name_leaves_no_old_image(winpe_bed, sample_media, tmp_path):
    """win10 (install.esd) then win11 (install.wim) as `reimp`: the mirror holds the new medium only."""
    from cobbler_winpe.sample import media as sample
    win11 = sample.build_sample_media(str(tmp_path), sample.preset("win11-x64"))
    assert "TASK COMPLETE" in cobbler_import(winpe_bed, sample_media["win10-x64"].iso, "reimp")
    mirror = _mirror(winpe_bed, "reimp")
    assert (mirror / "sources" / "install.esd").is_file()
    assert "TASK COMPLETE" in cobbler_import(winpe_bed, win11.iso, "reimp")
    files = set(tree_digest(str(mirror)))
    assert "sources/install.wim" in files and "sources/install.esd" not in files
    assert set(tree_digest(win11.tree)) <= files
    assert files - set(tree_digest(win11.tree)) <= {".cobbler-winpe-mirror", "boot.catalog", "README.TXT"}
    run_ok(winpe_bed, "sync")


def test_a_mirror_folder_of_someone_else_is_left_alone(winpe_bed, sample_media):
    mirror = _mirror(winpe_bed, "foreignmirror")
    mirror.mkdir(parents=True, exist_ok=True)
    (mirror / "vmlinuz").write_bytes(b"a Linux tree's kernel")
    rc, out, _err = winpe_bed.cli("import", "--path", sample_media["win10-x64"].iso, "--name", "foreignmirror")
    assert rc != 0 and "TASK FAILED" in out
    assert "foreignmirror: exists and was not made by cobbler-winpe; nothing was changed" in winpe_bed.log_text()
    assert os.listdir(str(mirror)) == ["vmlinuz"] and (mirror / "vmlinuz").read_bytes() == b"a Linux tree's kernel"
    assert "foreignmirror-x86_64" not in names(winpe_bed, "distro")
