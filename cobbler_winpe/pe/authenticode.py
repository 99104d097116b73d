"""Read a PE image's Authenticode signature: certificate table, WIN_CERTIFICATE, PKCS#7 signer and issuer chain.

The layout (Microsoft PE/COFF specification, "The Attribute Certificate Table"):
  DOS header "MZ", e_lfanew at 0x3C -> "PE\\0\\0", COFF header (20 bytes), optional header (magic 0x10B PE32 or
  0x20B PE32+; CheckSum at +64, Subsystem at +68, data directories at +96 / +112). Data directory 4
  (IMAGE_DIRECTORY_ENTRY_SECURITY) holds a FILE OFFSET (not an RVA) and the size of the certificate table:
  WIN_CERTIFICATE entries {dwLength u32, wRevision u16 (0x0200), wCertificateType u16 (2 = PKCS#7 SignedData),
  bCertificate}, each padded to 8 bytes. The SignedData's content is SpcIndirectDataContent, whose DigestInfo is
  the Authenticode hash of the file without the CheckSum field, the security directory entry and the table.
Nested signatures (a second signer in unsigned attribute 1.3.6.1.4.1.311.2.4.1) are read too.

This names who signed and through which CA names; it does not check the RSA signature against Microsoft's keys
(the firmware does that against its db), so a self-made certificate named like a Microsoft CA reads the same.
"""
import hashlib
import struct
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from asn1crypto import algos, cms, core, x509

from cobbler_winpe.errors import MediaError

MAX_PE = 64 << 20          # larger files are not boot loaders; refused rather than read whole
MAX_ENTRIES = 16           # WIN_CERTIFICATE entries read from one table
MAX_NESTING = 4            # nested signatures followed
MAX_CHAIN = 8              # issuer links followed
EFI_SUBSYSTEMS = {10: "EFI application", 11: "EFI boot service driver", 12: "EFI runtime driver", 13: "EFI ROM"}
WIN_CERT_REVISIONS = (0x0100, 0x0200)
WIN_CERT_TYPE_PKCS_SIGNED_DATA = 2
SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"

# The certificates UEFI firmware keeps in its db, by subject common name: (who uses it, year).
DB_CAS = {
    "Microsoft Windows Production PCA 2011": ("Windows", "2011"),
    "Windows UEFI CA 2023": ("Windows", "2023"),
    "Microsoft Corporation UEFI CA 2011": ("third-party", "2011"),
    "Microsoft UEFI CA 2023": ("third-party", "2023"),
    "Microsoft Option ROM UEFI CA 2023": ("option ROM", "2023"),
}


class _SpcAttributeTypeAndOptionalValue(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("value", core.Any, {"optional": True})]


class _DigestInfo(core.Sequence):
    _fields = [("digest_algorithm", algos.DigestAlgorithm), ("digest", core.OctetString)]


class _SpcIndirectDataContent(core.Sequence):
    _fields = [("data", _SpcAttributeTypeAndOptionalValue), ("message_digest", _DigestInfo)]


@dataclass(frozen=True)
class PeLayout:
    """Where the fields Authenticode skips are, and what kind of image it is."""
    machine: int
    subsystem: int
    checksum_at: int          # file offset of the optional header's CheckSum
    security_entry_at: int    # file offset of data directory 4 (8 bytes)
    table_offset: int         # the certificate table (0, 0 when unsigned)
    table_size: int

    @property
    def is_efi(self):
        return self.subsystem in EFI_SUBSYSTEMS


@dataclass(frozen=True)
class Signer:
    """One signature: the signing certificate's name, the names above it, and the first db CA among them."""
    subject: str
    chain: Tuple[str, ...]         # subject, its issuer, that one's issuer ... as far as the signature carries them
    ca: Optional[str]              # a key of DB_CAS, or None
    digest_algorithm: str
    digest_ok: Optional[bool]      # the file's Authenticode hash equals the signed one (None: not computable)

    def line(self):
        ca = "CA %s" % self.ca if self.ca else "no UEFI db CA among %s" % " <- ".join(self.chain[1:] or ["(none)"])
        digest = {True: "hash matches", False: "HASH MISMATCH: changed after signing", None: "hash not checked"}
        return "signed by %s, %s (%s %s)" % (self.subject, ca, self.digest_algorithm, digest[self.digest_ok])


@dataclass(frozen=True)
class Signature:
    """What the certificate table of one file says: state signed, unsigned, not-pe, not-efi or damaged."""
    state: str
    signers: Tuple[Signer, ...] = ()
    problem: str = ""
    subsystem: str = ""

    def line(self):
        if self.state == "signed":
            return "; ".join(s.line() for s in self.signers)
        if self.state == "unsigned":
            return "unsigned (no certificate table)"
        if self.state == "not-efi":
            return "not an EFI image (%s)" % self.subsystem
        return self.problem


def _u16(data, offset):
    return struct.unpack_from("<H", data, offset)[0]


def _u32(data, offset):
    return struct.unpack_from("<I", data, offset)[0]


def read_layout(data, where):
    """PeLayout of the PE image DATA; MediaError naming the field when it is not one."""
    if len(data) < 64 or data[:2] != b"MZ":
        raise MediaError(where, "not a PE image (no MZ header)")
    pe = _u32(data, 0x3C)
    if pe + 24 > len(data) or data[pe:pe + 4] != b"PE\0\0":
        raise MediaError(where, "not a PE image (e_lfanew 0x%x does not point at a PE signature)" % pe)
    machine, optional_size = _u16(data, pe + 4), _u16(data, pe + 20)
    opt = pe + 24
    if opt + optional_size > len(data) or optional_size < 70:
        raise MediaError(where, "PE optional header (%d bytes) runs past the end of the file" % optional_size)
    magic = _u16(data, opt)
    if magic not in (0x10B, 0x20B):
        raise MediaError(where, "unknown PE optional header magic 0x%x" % magic)
    count_at, dirs = (opt + 92, opt + 96) if magic == 0x10B else (opt + 108, opt + 112)
    security = dirs + 4 * 8
    if count_at + 4 > opt + optional_size or _u32(data, count_at) <= 4 or security + 8 > opt + optional_size:
        return PeLayout(machine, _u16(data, opt + 68), opt + 64, security, 0, 0)
    offset, size = struct.unpack_from("<II", data, security)
    return PeLayout(machine, _u16(data, opt + 68), opt + 64, security, offset, size)


def section(data, name, where):
    """The raw bytes of the PE section NAME (".vendor_cert"), or None.  The section table follows the optional
    header: NumberOfSections at COFF +2; 40-byte entries {Name[8], VirtualSize, VirtualAddress, SizeOfRawData,
    PointerToRawData, ...}."""
    read_layout(data, where)
    pe = _u32(data, 0x3C)
    count, table = _u16(data, pe + 6), pe + 24 + _u16(data, pe + 20)
    wanted = name.encode("ascii")[:8].ljust(8, b"\0")
    for index in range(min(count, 96)):
        entry = table + 40 * index
        if entry + 40 > len(data):
            raise MediaError(where, "PE section table runs past the end of the file")
        if data[entry:entry + 8] == wanted:
            size, offset = struct.unpack_from("<II", data, entry + 16)
            if offset + size > len(data):
                raise MediaError(where, "section %s runs past the end of the file" % name)
            return data[offset:offset + size]
    return None


def shim_vendor_names(data, where):
    """Common names of the vendor certificate a shim trusts besides db (its .vendor_cert section:
    {u32 authorized size, u32 deauthorized size, u32 authorized offset, u32 deauthorized offset} then the DER
    certificate, offsets from the table's start; rhboot/shim cert.S).  () when there is none."""
    table = section(data, ".vendor_cert", where)
    if table is None or len(table) < 16:
        return ()
    size, _revoked, offset, _revoked_at = struct.unpack_from("<IIII", table, 0)
    if size == 0 or offset + size > len(table):
        return ()
    try:
        cert = x509.Certificate.load(bytes(table[offset:offset + size]))
        return (_common_name(cert.subject),)
    except (ValueError, TypeError) as err:
        raise MediaError(where, "the shim's vendor certificate does not parse (%s)" % err) from None


def win_certificates(data, layout, where):
    """The PKCS#7 blobs of the certificate table; MediaError when the table is truncated or malformed."""
    start, size = layout.table_offset, layout.table_size
    if start + size > len(data):
        raise MediaError(where, "truncated certificate table: the security directory says %d bytes at offset %d, "
                         "the file ends at %d" % (size, start, len(data)), "copy the file again")
    blobs, pos, end = [], start, start + size
    while pos + 8 <= end and len(blobs) < MAX_ENTRIES:
        length, revision, kind = struct.unpack_from("<IHH", data, pos)
        if length < 8 or pos + length > end:
            raise MediaError(where, "WIN_CERTIFICATE at offset %d says %d bytes, the table has %d left"
                             % (pos, length, end - pos), "copy the file again")
        if revision not in WIN_CERT_REVISIONS:
            raise MediaError(where, "WIN_CERTIFICATE at offset %d has unknown revision 0x%x" % (pos, revision))
        if kind == WIN_CERT_TYPE_PKCS_SIGNED_DATA:
            blobs.append(data[pos + 8:pos + length])
        pos += (length + 7) & ~7
    if not blobs:
        raise MediaError(where, "certificate table holds no PKCS#7 SignedData (WIN_CERT_TYPE_PKCS_SIGNED_DATA)")
    return blobs


def image_digest(data, layout, algorithm):
    """The Authenticode hash: the file up to the table, without CheckSum and the security directory entry."""
    end = layout.table_offset or len(data)
    digest = hashlib.new(algorithm)
    digest.update(data[:layout.checksum_at])
    digest.update(data[layout.checksum_at + 4:layout.security_entry_at])
    digest.update(data[layout.security_entry_at + 8:end])
    return digest.digest()


def _common_name(name):
    value = name.native.get("common_name") if isinstance(name.native, dict) else None
    if isinstance(value, list):
        value = value[-1]
    return value or name.human_friendly


def _signing_cert(signer_info, certs):
    sid = signer_info["sid"]
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            if cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native:
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None


def _chain(cert, certs):
    """Common names from CERT up through the issuers the signature carries (the issuer's name ends it)."""
    names = [_common_name(cert.subject)]
    for _ in range(MAX_CHAIN):
        if cert.self_signed != "no":
            break
        names.append(_common_name(cert.issuer))
        cert = next((c for c in certs if c.subject == cert.issuer and c is not cert), None)
        if cert is None:
            break
    return tuple(names)


def _signers(blob, data, layout, where, depth=0):
    content = cms.ContentInfo.load(blob, strict=False)
    if content["content_type"].native != "signed_data":
        raise MediaError(where, "certificate is %s, not PKCS#7 SignedData" % content["content_type"].native)
    signed = content["content"]
    encap = signed["encap_content_info"]
    if encap["content_type"].dotted != SPC_INDIRECT_DATA:
        raise MediaError(where, "SignedData holds %s, not Authenticode SpcIndirectDataContent"
                         % encap["content_type"].dotted)
    indirect = encap["content"].parse(_SpcIndirectDataContent)
    algorithm = indirect["message_digest"]["digest_algorithm"]["algorithm"].native
    try:
        digest_ok = image_digest(data, layout, algorithm) == indirect["message_digest"]["digest"].native
    except ValueError:   # a digest hashlib does not have
        digest_ok = None
    certs = [c.chosen for c in signed["certificates"] if c.name == "certificate"] if signed["certificates"] else []
    found = []
    for signer_info in signed["signer_infos"]:
        cert = _signing_cert(signer_info, certs)
        if cert is None:
            raise MediaError(where, "the signer's certificate is not in the SignedData")
        chain = _chain(cert, certs)
        ca = next((name for name in chain if name in DB_CAS), None)
        found.append(Signer(chain[0], chain, ca, algorithm, digest_ok))
        found += _nested(signer_info, data, layout, where, depth)
    return found


def _nested(signer_info, data, layout, where, depth):
    """Signers of the nested signatures (SHA-1 + SHA-256 dual signing puts the second one here)."""
    found, attributes = [], signer_info["unsigned_attrs"]
    for attribute in [] if isinstance(attributes, core.Void) else attributes:   # .native would parse everything
        if attribute["type"].native == "microsoft_nested_signature" and depth < MAX_NESTING:
            for value in attribute["values"]:
                found += _signers(value.dump(), data, layout, where, depth + 1)
    return found


def read_signature(data, where):
    """The Signature of PE image bytes DATA; never raises for bad content (state damaged / not-pe instead)."""
    try:
        layout = read_layout(data, where)
    except MediaError as err:
        return Signature("not-pe", problem=str(err))
    if not layout.is_efi:
        return Signature("not-efi", subsystem="subsystem %d" % layout.subsystem)
    kind = EFI_SUBSYSTEMS[layout.subsystem]
    if not layout.table_size:
        return Signature("unsigned", subsystem=kind)
    try:
        signers = []
        for blob in win_certificates(data, layout, where):
            signers += _signers(blob, data, layout, where)
    except MediaError as err:
        return Signature("damaged", problem=str(err), subsystem=kind)
    except (ValueError, TypeError, KeyError, IndexError) as err:   # asn1crypto on malformed DER
        return Signature("damaged", problem="%s: PKCS#7 SignedData does not parse (%s)"
                         % (where, str(err).splitlines()[0][:120] if str(err) else type(err).__name__),
                         subsystem=kind)
    return Signature("signed", tuple(signers), subsystem=kind)


def read_signature_file(path, where=None):
    """read_signature of a host file (named WHERE in messages, default its path); a missing or oversized file is a
    Signature with state missing/damaged."""
    where = where or path
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PE + 1)
    except FileNotFoundError:
        return Signature("missing", problem="%s missing" % where)
    except OSError as err:
        return Signature("damaged", problem="%s: cannot read (%s)" % (where, err.strerror))
    if len(data) > MAX_PE:
        return Signature("damaged", problem="%s: larger than %d MiB, not a boot loader" % (where, MAX_PE >> 20))
    return read_signature(data, where)
