"""The Secure Boot report of `inspect --secure-boot` (media) and `check` (staged distros): pe/secureboot.py per distro."""
import os
import tempfile

from cobbler_winpe.errors import WinpeError
from cobbler_winpe.host import tree
from cobbler_winpe.gen import layout
from cobbler_winpe.pe import secureboot
from cobbler_winpe.wim import extract


def media_report(media, distro, cfg, tmpdir=None):
    """The Report of one detected distro of MEDIA: its boot image's loaders, read from a temp extraction."""
    with tempfile.TemporaryDirectory(prefix="cobbler-winpe-sb-", dir=tmpdir) as work:
        files = extract.extract_from_media(media, distro.boot_wim.path, distro.boot_wim.boot_index, work, tmpdir)
        staged = {name: os.path.join(work, path) for path, name in files.staged.items()}
        shown = {name: "%s image %d: %s" % (distro.boot_wim.path, distro.boot_wim.boot_index, path)
                 for path, name in files.staged.items()}
        return secureboot.report(staged, cfg.ipxe_efi, cfg.wimboot, shown, signed_chain(cfg))


def staged_report(tftproot, rel_dir, cfg):
    """The Report of one staged distro folder (images/<distro>): the files a client is handed from the trees."""
    root = os.path.join(tftproot, rel_dir)
    staged = {rel: os.path.join(root, path) for rel, path in tree.index_tree(root).items()}
    return secureboot.report(staged, os.path.join(tftproot, layout.IPXE_EFI), cfg.wimboot,
                             signed=signed_chain(cfg, tftproot))


def signed_chain(cfg, tftproot=None):
    """The admin's shim, signed iPXE and signed wimboot (config secure_boot_*); with TFTPROOT the shim and iPXE
    as staged there (what clients get)."""
    def staged(key, rel):
        return os.path.join(tftproot, rel) if tftproot and cfg[key] else cfg[key]
    return secureboot.SignedChain(staged("secure_boot_shim", layout.IPXE_SHIM),
                                  staged("secure_boot_ipxe", layout.IPXE_SIGNED), cfg.secure_boot_wimboot)


def staged_reports(tftproot, cfg):
    """[(distro name, Report or error text)] of every distro the plugin staged under TFTPROOT."""
    out = []
    for rel_dir in tree.owned_dirs(tftproot):
        out.append((os.path.basename(rel_dir), _guarded(staged_report, tftproot, rel_dir, cfg)))
    return out


def _guarded(function, *args):
    """FUNCTION(*ARGS), or the one-line error text when the boot files cannot be read (one bad distro never stops
    the others)."""
    try:
        return function(*args)
    except WinpeError as err:
        return str(err)


def guarded_media_report(media, distro, cfg):
    return _guarded(media_report, media, distro, cfg)


def text_lines(title, report):
    """A distro's report as indented text lines under TITLE."""
    if isinstance(report, str):
        return [title, "    cannot read the boot files: " + report]
    return [title] + ["    " + line for line in report.lines()]


def to_json(report):
    return {"error": report} if isinstance(report, str) else report.to_json()
