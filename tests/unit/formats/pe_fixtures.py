"""Test-time PE images and Authenticode signatures: a minimal EFI application, CAs named like Microsoft's, osslsigncode."""
import os
import shutil
import struct
import subprocess

import pytest

FILE_ALIGN, SECTION_ALIGN = 0x200, 0x1000
TIMEOUT = 60


def minimal_pe(code=b"\xc3", subsystem=10, sections=()):
    """A PE32+ x86-64 image with one .text section (default: an EFI application that returns) and SECTIONS
    ((name, data) each below 4 KiB, e.g. a shim's .vendor_cert) after it."""
    sections = [(b".text", code, 0x60000020)] + [(n.encode(), d, 0x40000040) for n, d in sections]
    dos = bytearray(64)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 64)
    coff = struct.pack("<HHIIIHH", 0x8664, len(sections), 0, 0, 0, 240, 0x2022)
    opt = bytearray(240)
    struct.pack_into("<HBBIIIIIQIIHHHHHHIIIIHHQQQQII", opt, 0, 0x20B, 0, 0, FILE_ALIGN, 0, 0, SECTION_ALIGN,
                     SECTION_ALIGN, 0, SECTION_ALIGN, FILE_ALIGN, 0, 0, 0, 0, 0, 0, 0,
                     (len(sections) + 1) * SECTION_ALIGN, FILE_ALIGN, 0, subsystem, 0, 0x100000, 0x1000, 0x100000,
                     0x1000, 0, 16)
    table, body = b"", b""
    for index, (name, data, flags) in enumerate(sections):
        raw = -(-len(data) // FILE_ALIGN) * FILE_ALIGN
        table += struct.pack("<8sIIIIIIHHI", name, len(data), (index + 1) * SECTION_ALIGN, raw,
                             FILE_ALIGN + len(body), 0, 0, 0, 0, flags)
        body += data + b"\0" * (raw - len(data))
    head = bytes(dos) + b"PE\0\0" + coff + bytes(opt) + table
    head += b"\0" * (FILE_ALIGN - len(head))
    return head + body


def shim_pe(vendor_cert_der):
    """A shim stand-in: an EFI application whose .vendor_cert section carries VENDOR_CERT_DER as rhboot/shim lays it
    out ({authorized size, deauthorized size, authorized offset, deauthorized offset} then the certificate)."""
    table = struct.pack("<IIII", len(vendor_cert_der), 0, 16, 16 + len(vendor_cert_der)) + vendor_cert_der
    return minimal_pe(sections=((".vendor_cert", table),))


def _run(argv):
    subprocess.run(argv, check=True, timeout=TIMEOUT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def require_signing_tools():
    for program in ("openssl", "osslsigncode"):
        if shutil.which(program) is None:
            pytest.skip("%s is not installed (Debian packages openssl, osslsigncode)" % program)


class Signers:
    """CAs and code-signing leaves made with openssl in WORKDIR; sign() runs osslsigncode like a vendor would."""

    def __init__(self, workdir):
        self.dir = str(workdir)
        self.cas = {}

    def _path(self, name, ext):
        return os.path.join(self.dir, "".join(c if c.isalnum() else "_" for c in name) + ext)

    def ca(self, common_name):
        """(cert, key) of a self-signed CA with this common name (made once)."""
        if common_name not in self.cas:
            cert, key = self._path(common_name, ".crt"), self._path(common_name, ".key")
            _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                  "-days", "2", "-subj", "/C=US/O=Microsoft Corporation/CN=" + common_name,
                  "-addext", "basicConstraints=critical,CA:TRUE"])
            self.cas[common_name] = (cert, key)
        return self.cas[common_name]

    def der(self, common_name):
        """The DER bytes of the CA named COMMON_NAME (what a shim embeds as its vendor certificate)."""
        out = self._path(common_name, ".der")
        _run(["openssl", "x509", "-in", self.ca(common_name)[0], "-outform", "DER", "-out", out])
        with open(out, "rb") as handle:
            return handle.read()

    def leaf(self, common_name, ca_name):
        """(chain PEM: leaf + CA, key) of a code-signing certificate issued by CA_NAME."""
        ca_cert, ca_key = self.ca(ca_name)
        stem = self._path(common_name + "-by-" + ca_name, "")
        ext = stem + ".ext"
        with open(ext, "w") as handle:
            handle.write("basicConstraints=CA:FALSE\nextendedKeyUsage=codeSigning\n")
        _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", stem + ".key", "-out", stem + ".csr",
              "-subj", "/C=US/O=Microsoft Corporation/CN=" + common_name])
        _run(["openssl", "x509", "-req", "-in", stem + ".csr", "-CA", ca_cert, "-CAkey", ca_key, "-set_serial",
              str(len(os.listdir(self.dir)) + 1000), "-out", stem + ".crt", "-days", "2", "-extfile", ext])
        with open(stem + ".pem", "w") as out:
            for part in (stem + ".crt", ca_cert):
                with open(part) as handle:
                    out.write(handle.read())
        return stem + ".pem", stem + ".key"

    def sign(self, src, dest, common_name, ca_name, nest=False):
        """osslsigncode sign SRC -> DEST with a leaf under CA_NAME (nest: add a nested signature to SRC's)."""
        chain, key = self.leaf(common_name, ca_name)
        _run(["osslsigncode", "sign", "-certs", chain, "-key", key, "-h", "sha256"] + (["-nest"] if nest else [])
             + ["-in", src, "-out", dest])
        return dest

    def verify(self, path, ca_name):
        """True when osslsigncode verifies PATH against CA_NAME (signature and Authenticode hash)."""
        return subprocess.run(["osslsigncode", "verify", "-in", path, "-CAfile", self.ca(ca_name)[0]],
                              timeout=TIMEOUT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


@pytest.fixture(scope="session")
def signers(tmp_path_factory):
    require_signing_tools()
    return Signers(tmp_path_factory.mktemp("signers"))


def write_pe(path, data=None):
    with open(path, "wb") as handle:
        handle.write(minimal_pe() if data is None else data)
    return str(path)
