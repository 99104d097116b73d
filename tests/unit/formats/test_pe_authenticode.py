"""Tests of pe/authenticode.py and pe/secureboot.py on PEs signed at test time by osslsigncode (CAs named like
Microsoft's): the CA named, unsigned, changed after signing, truncated or garbled tables, and chain verdicts."""
import struct

import pytest

from cobbler_winpe.pe import authenticode, secureboot
import pe_fixtures
from pe_fixtures import minimal_pe, signers, write_pe  # noqa: F401

PCA_2011 = "Microsoft Windows Production PCA 2011"
UEFI_CA_2023 = "Windows UEFI CA 2023"
THIRD_PARTY_2011 = "Microsoft Corporation UEFI CA 2011"


def _signed(signers, tmp_path, ca_name, leaf="Microsoft Windows", name="signed.efi"):
    return signers.sign(write_pe(tmp_path / "plain.efi"), str(tmp_path / name), leaf, ca_name)


@pytest.mark.parametrize("ca_name,leaf", [(PCA_2011, "Microsoft Windows"), (UEFI_CA_2023, "Microsoft Windows UEFI"),
                                          (THIRD_PARTY_2011, "Microsoft Windows UEFI Driver Publisher")])
def test_the_signing_ca_is_named(signers, tmp_path, ca_name, leaf):
    path = _signed(signers, tmp_path, ca_name, leaf)
    assert signers.verify(path, ca_name)          # osslsigncode accepts what we read
    sig = authenticode.read_signature_file(path)
    assert sig.state == "signed" and len(sig.signers) == 1
    signer = sig.signers[0]
    assert (signer.subject, signer.ca, signer.chain) == (leaf, ca_name, (leaf, ca_name))
    assert signer.digest_algorithm == "sha256" and signer.digest_ok is True


def test_unsigned_image(tmp_path):
    sig = authenticode.read_signature_file(write_pe(tmp_path / "snponly.efi"))
    assert sig.state == "unsigned" and sig.line() == "unsigned (no certificate table)"


def test_a_change_after_signing_is_a_hash_mismatch(signers, tmp_path):
    path = _signed(signers, tmp_path, PCA_2011)
    data = bytearray(open(path, "rb").read())
    data[0x200] ^= 0xFF                           # the code section
    with open(path, "wb") as out:
        out.write(data)
    assert not signers.verify(path, PCA_2011)     # osslsigncode refuses it too
    sig = authenticode.read_signature_file(path)
    assert sig.state == "signed" and sig.signers[0].digest_ok is False
    assert secureboot.verdict(secureboot.Loader("bootmgfw.efi", path, sig)).rank == secureboot.FAIL


def test_truncated_certificate_table_is_one_clear_line(signers, tmp_path):
    data = open(_signed(signers, tmp_path, PCA_2011), "rb").read()
    cut = data[:len(data) - 100]
    sig = authenticode.read_signature(cut, "bootmgfw.efi")
    assert sig.state == "damaged"
    assert sig.line() == ("bootmgfw.efi: truncated certificate table: the security directory says %d bytes at "
                          "offset %d, the file ends at %d (copy the file again)"
                          % (len(data) - 1024, 1024, len(cut)))


def test_garbled_pkcs7_is_damaged_not_a_crash(signers, tmp_path):
    data = bytearray(open(_signed(signers, tmp_path, PCA_2011), "rb").read())
    data[1024 + 8:1024 + 40] = b"\x30\x82\xff\xff" + b"\x01" * 28
    sig = authenticode.read_signature(bytes(data), "x.efi")
    assert sig.state == "damaged" and "PKCS#7 SignedData does not parse" in sig.line()


def test_bad_win_certificate_length(signers, tmp_path):
    data = bytearray(open(_signed(signers, tmp_path, PCA_2011), "rb").read())
    struct.pack_into("<I", data, 1024, 1 << 20)
    sig = authenticode.read_signature(bytes(data), "x.efi")
    assert sig.state == "damaged" and "WIN_CERTIFICATE at offset 1024 says 1048576 bytes" in sig.line()


def test_nested_signature_names_both_cas(signers, tmp_path):
    first = _signed(signers, tmp_path, PCA_2011, name="one.efi")
    both = signers.sign(first, str(tmp_path / "both.efi"), "Microsoft Windows UEFI", UEFI_CA_2023, nest=True)
    sig = authenticode.read_signature_file(both)
    assert sig.state == "signed" and signers.verify(both, UEFI_CA_2023)
    assert [s.ca for s in sig.signers] == [PCA_2011, UEFI_CA_2023]
    assert all(s.digest_ok for s in sig.signers)


def test_not_pe_and_not_efi(tmp_path):
    assert authenticode.read_signature(b"cobbler-winpe sample file", "pxeboot.n12").state == "not-pe"
    sig = authenticode.read_signature(minimal_pe(subsystem=3), "tool.exe")   # a Windows console program
    assert sig.state == "not-efi" and sig.line() == "not an EFI image (subsystem 3)"
    assert authenticode.read_signature_file(str(tmp_path / "none")).state == "missing"


def test_chains_fail_on_unsigned_ipxe_and_pass_with_signed_managers(signers, tmp_path):
    staged = {"bootmgfw.efi": _signed(signers, tmp_path, PCA_2011, name="bootmgfw.efi"),
              "bootmgfw_ex.efi": _signed(signers, tmp_path, UEFI_CA_2023, "Microsoft Windows UEFI",
                                         name="bootmgfw_ex.efi"),
              "pxeboot.n12": write_pe(tmp_path / "pxeboot.n12", b"not a PE"),
              "boot.stl": write_pe(tmp_path / "boot.stl", b"stl")}
    ipxe = write_pe(tmp_path / "snponly.efi")
    report = secureboot.report(staged, ipxe, str(tmp_path / "wimboot"))
    verdicts = {name: v.rank for name, v in report.chains}
    assert verdicts == {
        "firmware PXE -> bootmgfw.efi (DHCP option 252)": secureboot.PASS,
        "firmware PXE -> bootmgfw_ex.efi (DHCP option 252)": secureboot.CONDITIONAL,
        "iPXE -> bootmgfw.efi": secureboot.FAIL, "iPXE -> bootmgfw_ex.efi": secureboot.FAIL,
        "iPXE -> wimboot -> bootmgfw.efi (boot_method: wimboot)": secureboot.FAIL,
        "iPXE -> wimboot -> bootmgfw_ex.efi (boot_method: wimboot)": secureboot.FAIL,
        # no secure_boot_shim / _ipxe / _wimboot configured: those chains cannot pass
        "shim -> signed iPXE -> bootmgfw.efi": secureboot.FAIL, "shim -> signed iPXE -> bootmgfw_ex.efi": secureboot.FAIL,
        "shim -> signed iPXE -> shim -> signed wimboot -> bootmgfw.efi (boot_method: wimboot)": secureboot.FAIL,
        "shim -> signed iPXE -> shim -> signed wimboot -> bootmgfw_ex.efi (boot_method: wimboot)": secureboot.FAIL}
    lines = report.lines()
    assert "shim             shim not configured (set secure_boot_shim)" in lines
    assert "pxeboot.n12      n/a (BIOS loader; Secure Boot applies to UEFI only)" in lines
    assert "snponly.efi      unsigned (no certificate table)" in lines
    assert any(l.startswith("boot.stl         present") for l in lines)
    assert "chain iPXE -> wimboot -> bootmgfw.efi (boot_method: wimboot): fails: snponly.efi is unsigned; " \
           "wimboot is missing" in lines


def test_signed_ipxe_under_its_own_ca_needs_a_shim(signers, tmp_path):
    staged = {"bootmgfw.efi": _signed(signers, tmp_path, PCA_2011, name="bootmgfw.efi")}
    ipxe = _signed(signers, tmp_path, "iPXE Secure Boot CA", "iPXE signer", name="ipxe.efi")
    wimboot = _signed(signers, tmp_path, THIRD_PARTY_2011, "Microsoft Windows UEFI Driver Publisher",
                      name="wimboot")
    chains = dict(secureboot.report(staged, ipxe, wimboot).chains)
    assert chains["iPXE -> bootmgfw.efi"].rank == secureboot.SHIM
    assert "iPXE Secure Boot CA" in chains["iPXE -> bootmgfw.efi"].text
    assert chains["firmware PXE -> bootmgfw.efi (DHCP option 252)"].ok


def test_the_secure_boot_doc_names_every_chain():
    """docs/secure-boot.md has a row for each chain pe/secureboot.py offers (as the report names it)."""
    import os
    doc = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "secure-boot.md")
    with open(doc, encoding="utf-8") as handle:
        rows = [line for line in handle if line.startswith("| `")]
    named = {line.split("`")[1] for line in rows}
    missing = [name for name, _roles in secureboot.CHAINS if name.format(manager="<manager>") not in named]
    assert not missing, "docs/secure-boot.md lacks a row for %s" % missing


IPXE_CA = "iPXE Secure Boot CA"      # stands in for the iPXE code-signing certificate iPXE's shim carries


def _signed_chain(signers, tmp_path, vendor=IPXE_CA):
    """Stand-ins for the admin's files: a shim (third-party CA) whose vendor certificate is VENDOR's, and an iPXE
    and a wimboot signed under the iPXE CA."""
    shim = write_pe(tmp_path / "shim-plain.efi", pe_fixtures.shim_pe(signers.der(vendor)))
    return secureboot.SignedChain(
        shim=signers.sign(shim, str(tmp_path / "ipxe-shimx64.efi"), "Microsoft Windows UEFI Driver Publisher",
                          THIRD_PARTY_2011),
        ipxe=_signed(signers, tmp_path, IPXE_CA, "iPXE signer", name="ipxe.efi"),
        wimboot=_signed(signers, tmp_path, IPXE_CA, "iPXE signer", name="wimboot"))


def test_the_shim_vendor_certificate_is_read(signers, tmp_path):
    chain = _signed_chain(signers, tmp_path)
    assert signers.verify(chain.shim, THIRD_PARTY_2011)      # a well-formed signed PE for osslsigncode too
    data = open(chain.shim, "rb").read()
    assert authenticode.shim_vendor_names(data, chain.shim) == (IPXE_CA,)
    assert authenticode.shim_vendor_names(minimal_pe(), "plain.efi") == ()


def test_shim_chains_pass_through_the_vendor_certificate(signers, tmp_path):
    staged = {"bootmgfw.efi": _signed(signers, tmp_path, PCA_2011, name="bootmgfw.efi")}
    plain = write_pe(tmp_path / "snponly.efi")
    report = secureboot.report(staged, plain, plain, signed=_signed_chain(signers, tmp_path))
    chains = dict(report.chains)
    assert chains["shim -> signed iPXE -> bootmgfw.efi"].ok, chains["shim -> signed iPXE -> bootmgfw.efi"].text
    wimboot = chains["shim -> signed iPXE -> shim -> signed wimboot -> bootmgfw.efi (boot_method: wimboot)"]
    assert wimboot.ok and "iPXE Secure Boot CA (the shim's vendor certificate)" in wimboot.text
    assert not chains["iPXE -> bootmgfw.efi"].ok            # Debian's unsigned iPXE stays what it is


def test_a_shim_trusting_another_key_does_not_pass_the_signed_ipxe(signers, tmp_path):
    staged = {"bootmgfw.efi": _signed(signers, tmp_path, PCA_2011, name="bootmgfw.efi")}
    plain = write_pe(tmp_path / "snponly.efi")
    signed = _signed_chain(signers, tmp_path, vendor="Some Other Vendor CA")
    chains = dict(secureboot.report(staged, plain, plain, signed=signed).chains)
    verdict = chains["shim -> signed iPXE -> bootmgfw.efi"]
    assert verdict.rank == secureboot.SHIM and "signed iPXE is signed under iPXE Secure Boot CA" in verdict.text
