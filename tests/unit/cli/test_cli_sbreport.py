"""The Secure Boot report of `inspect --secure-boot` and `check`: loaders signed at test time by osslsigncode inside a
sample boot.wim (real wimlib extraction) and in a staged tree, read back as JSON and text."""
import json

import pytest

from cobbler_winpe.cli.main import main
from media_fixtures import sample
from pe_fixtures import Signers, require_signing_tools, write_pe

PCA_2011 = "Microsoft Windows Production PCA 2011"
UEFI_CA_2023 = "Windows UEFI CA 2023"
THIRD_PARTY_2011 = "Microsoft Corporation UEFI CA 2011"
DIRECT = "firmware PXE -> %s (DHCP option 252)"


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """{role: bytes}: boot managers signed like Microsoft's (2011 PCA, 2023 CA), a wimboot signed under the
    third-party 2011 CA, and an unsigned iPXE like Debian's snponly.efi."""
    require_signing_tools()
    work = tmp_path_factory.mktemp("sb")
    signers = Signers(work)
    plain = write_pe(work / "plain.efi")
    out = {"2011": signers.sign(plain, str(work / "m2011.efi"), "Microsoft Windows", PCA_2011),
           "2023": signers.sign(plain, str(work / "m2023.efi"), "Microsoft Windows UEFI", UEFI_CA_2023),
           "wimboot": signers.sign(plain, str(work / "wimboot"), "iPXE wimboot", THIRD_PARTY_2011),
           "ipxe": plain}
    return {role: open(path, "rb").read() for role, path in out.items()}


def config_file(tmp_path, signed):
    (tmp_path / "snponly.efi").write_bytes(signed["ipxe"])
    (tmp_path / "wimboot").write_bytes(signed["wimboot"])
    path = tmp_path / "winpe.yaml"
    path.write_text("ipxe_efi: %s\nwimboot: %s\n" % (tmp_path / "snponly.efi", tmp_path / "wimboot"))
    return str(path)


def by_name(items, key):
    return {item[key]: item for item in items}


def test_inspect_names_the_ca_of_each_manager_and_judges_every_chain(tmp_path_factory, tmp_path, signed, capsys):
    media = sample(tmp_path_factory, "win11-x64", layout="tree", boot_files={
        "Windows/Boot/EFI/bootmgfw.efi": signed["2011"], "Windows/Boot/EFI_EX/bootmgfw_EX.efi": signed["2023"]})
    cfg = config_file(tmp_path, signed)
    assert main(["inspect", media.path, "--secure-boot", "--json", "--config", cfg]) == 0
    report = json.loads(capsys.readouterr().out)["distros"][0]["secure_boot"]
    loaders = by_name(report["loaders"], "name")
    assert [s["ca"] for s in loaders["bootmgfw.efi"]["signers"]] == [PCA_2011]
    assert [s["ca"] for s in loaders["bootmgfw_ex.efi"]["signers"]] == [UEFI_CA_2023]
    assert loaders["snponly.efi"]["state"] == "unsigned"
    assert [s["ca"] for s in loaders["wimboot"]["signers"]] == [THIRD_PARTY_2011]
    assert loaders["pxeboot.n12"]["state"] == "n/a"
    assert report["boot_stl"] is True
    chains = by_name(report["chains"], "chain")
    assert chains[DIRECT % "bootmgfw.efi"]["passes"] is True
    assert chains[DIRECT % "bootmgfw_ex.efi"]["rank"] == "passes only where"      # firmware with the 2023 CA
    assert chains["iPXE -> bootmgfw.efi"]["rank"] == "fails"                     # Debian's snponly is unsigned
    assert "snponly.efi is unsigned" in chains["iPXE -> bootmgfw.efi"]["detail"]

    assert main(["inspect", media.path, "--secure-boot", "--config", cfg]) == 0
    text = capsys.readouterr().out
    assert "bootmgfw.efi     signed by Microsoft Windows, CA %s" % PCA_2011 in text
    assert "chain %s: passes" % (DIRECT % "bootmgfw.efi") in text


def test_inspect_of_unsigned_sample_media_fails_every_chain_and_says_boot_stl_is_absent(
        tmp_path_factory, tmp_path, signed, capsys):
    media = sample(tmp_path_factory, "win10-x64", layout="tree")
    assert main(["inspect", media.path, "--secure-boot", "--json", "--config", config_file(tmp_path, signed)]) == 0
    report = json.loads(capsys.readouterr().out)["distros"][0]["secure_boot"]
    assert report["boot_stl"] is False
    assert report["chains"] and all(c["rank"] == "fails" for c in report["chains"])
    manager = by_name(report["loaders"], "name")["bootmgfw.efi"]
    # named as it is on the media (the temp extraction is gone when the report is read)
    assert manager["path"] == "sources/boot.wim image 2: Windows/Boot/EFI/bootmgfw.efi"
    assert manager["detail"] == manager["path"] + ": not a PE image (no MZ header)"


def test_inspect_without_the_flag_keeps_its_contract(tmp_path_factory, capsys):
    media = sample(tmp_path_factory, "win10-x64", layout="tree")
    assert main(["inspect", media.path, "--json"]) == 0
    assert "secure_boot" not in json.loads(capsys.readouterr().out)["distros"][0]


def test_check_reports_each_staged_distro(tmp_path, signed, capsys):
    root = tmp_path / "tftp"
    distro = root / "images" / "win11"
    distro.mkdir(parents=True)
    (distro / ".cobbler-winpe").write_text("staged by cobbler-winpe\n")
    (distro / "bootmgfw.efi").write_bytes(signed["2011"])
    (root / "images" / "linux").mkdir()                        # not the plugin's: not reported
    (root / "winpe" / "ipxe").mkdir(parents=True)
    (root / "winpe" / "ipxe" / "snponly.efi").write_bytes(signed["ipxe"])
    argv = ["check", "--config", config_file(tmp_path, signed), "--tftproot", str(root),
            "--module-dir", str(tmp_path)]
    main(argv + ["--json"])
    data = json.loads(capsys.readouterr().out)
    assert list(data["secure_boot"]) == ["win11"]
    report = data["secure_boot"]["win11"]
    assert report["boot_stl"] is False
    chains = by_name(report["chains"], "chain")
    assert chains[DIRECT % "bootmgfw.efi"]["passes"] is True and chains["iPXE -> bootmgfw.efi"]["passes"] is False
    assert any(row["name"] == "cobbler hooks" and not row["ok"] for row in data["checks"])
    main(argv)
    text = capsys.readouterr().out
    assert "secure boot, distro win11:" in text and "boot.stl" in text and "absent" in text


def test_the_admins_shim_chain_is_staged_and_judged_by_check(tmp_path, capsys):
    """secure_boot_shim / _ipxe / _wimboot: write_loaders stages them where the shim finds its iPXE (ipxe.efi beside
    ipxe-shimx64.efi), and check judges the shim chains from the staged copies: they pass."""
    import pe_fixtures
    from cobbler_winpe import config
    from cobbler_winpe.adapter import winpe
    from cobbler_winpe.gen import layout, model
    require_signing_tools()
    signers = Signers(tmp_path / "ca")
    (tmp_path / "ca").mkdir()
    plain = write_pe(tmp_path / "plain.efi")
    shim = write_pe(tmp_path / "shim-plain.efi", pe_fixtures.shim_pe(signers.der("iPXE Secure Boot CA")))
    files = {"secure_boot_shim": signers.sign(shim, str(tmp_path / "my-shim.efi"), "Microsoft Windows UEFI Driver "
                                              "Publisher", THIRD_PARTY_2011),
             "secure_boot_ipxe": signers.sign(plain, str(tmp_path / "snponly-signed.efi"), "iPXE", "iPXE Secure Boot CA"),
             "secure_boot_wimboot": signers.sign(plain, str(tmp_path / "wimboot-signed"), "iPXE", "iPXE Secure Boot CA")}
    root, web = tmp_path / "tftp", tmp_path / "www"
    cfg = config.validate(dict(files, ipxe_efi=plain, wimboot=plain, ipxe_bios=str(tmp_path / "none.kpxe")))
    winpe.write_loaders(model.Server("127.0.0.1", tftproot=str(root), webdir=str(web)), cfg)
    assert open(root / layout.IPXE_SHIM, "rb").read() == open(files["secure_boot_shim"], "rb").read()
    assert open(root / layout.IPXE_SIGNED, "rb").read() == open(files["secure_boot_ipxe"], "rb").read()
    assert open(web / layout.WIMBOOT_SIGNED, "rb").read() == open(files["secure_boot_wimboot"], "rb").read()

    distro = root / "images" / "win11"
    distro.mkdir(parents=True)
    (distro / ".cobbler-winpe").write_text("staged by cobbler-winpe\n")
    manager = signers.sign(plain, str(tmp_path / "m.efi"), "Microsoft Windows", PCA_2011)
    (distro / "bootmgfw.efi").write_bytes(open(manager, "rb").read())
    conf = tmp_path / "winpe.yaml"
    conf.write_text("".join("%s: %s\n" % item for item in dict(files, ipxe_efi=plain, wimboot=plain).items()))
    main(["check", "--json", "--config", str(conf), "--tftproot", str(root), "--module-dir", str(tmp_path)])
    chains = by_name(json.loads(capsys.readouterr().out)["secure_boot"]["win11"]["chains"], "chain")
    assert chains["shim -> signed iPXE -> bootmgfw.efi"]["passes"] is True
    assert chains["shim -> signed iPXE -> shim -> signed wimboot -> bootmgfw.efi (boot_method: wimboot)"]["passes"]
    assert chains["iPXE -> bootmgfw.efi"]["passes"] is False
