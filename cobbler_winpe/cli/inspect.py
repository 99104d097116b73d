"""`cobbler-winpe inspect PATH [--json] [--secure-boot]`: say what Windows media a path holds, as a table or as JSON."""
import json
import sys

from cobbler_winpe import names
from cobbler_winpe.cli import main
from cobbler_winpe.cli import sbreport
from cobbler_winpe.errors import escape
from cobbler_winpe.media.detect import detect
from cobbler_winpe.media.source import open_media


def register(subparsers):
    parser = subparsers.add_parser("inspect", help="show the Windows releases and editions on an ISO or tree",
                                   description="Read Windows installation media (ISO file or directory tree) "
                                               "or a WinPE boot image (.wim) without mounting it and list its "
                                               "distros and editions.")
    parser.add_argument("path", metavar="PATH",
                        help="a Windows or WinPE ISO file, a directory holding its files, or a WinPE boot .wim")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--secure-boot", action="store_true",
                        help="also extract each distro's boot files and report who signed each loader, %s "
                             "and which UEFI chains pass Secure Boot (docs/secure-boot.md)" % names.BOOT_STL)
    main.config_option(parser, "plugin configuration (its ipxe_efi and wimboot enter the chains)")
    parser.set_defaults(func=run)


def run(args, out=None):
    out = out or sys.stdout
    with open_media(args.path) as media:
        info = detect(media)
        reports = secure_boot_reports(media, info, args) if getattr(args, "secure_boot", False) else None
    if args.json:
        data = info.to_json()
        for distro, report in zip(data["distros"], reports or ()):
            distro["secure_boot"] = sbreport.to_json(report)
        json.dump(data, out, indent=2)
        out.write("\n")
    else:
        out.write(format_table(info, reports))
    return 0


def secure_boot_reports(media, info, args):
    """One Secure Boot report (or error line) per detected distro, in info.distros' order."""
    cfg = main.settings(args)
    return [sbreport.guarded_media_report(media, distro, cfg) for distro in info.distros]


def _table(rows):
    rows = [[escape(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _dash(value):
    return "-" if value in (None, "") else value


def format_table(info, reports=None):
    """The human-readable report of a MediaInfo (and with REPORTS each distro's Secure Boot report)."""
    lines = ["%s: %s, label %s" % (info.source, info.kind, _dash(info.label))]
    for number, distro in enumerate(info.distros):
        boot = distro.boot_image
        lines += ["", "distro root %s: Windows %s, %s, build %s"
                  % (distro.root or "/", distro.release or "(unknown)", _dash(distro.arch), _dash(distro.build)),
                  "  boot:    %s (boot index %d: %s)" % (distro.boot_wim.path, distro.boot_wim.boot_index, boot.name)]
        lines += ["  " + line for line in _install_lines(distro)]
        lines += ["  warning: " + w for w in distro.warnings]
        if reports:
            lines += ["  " + line for line in sbreport.text_lines("secure boot:", reports[number])]
    return "".join(escape(line) + "\n" for line in lines)   # media text never moves the cursor or adds a line


def _install_lines(distro):
    """The install image and its editions, or the line saying the boot image is a WinPE of its own."""
    if distro.install is None:
        return ["install: none (a WinPE of its own: imported as one profile booting it as it is)"]
    install = distro.install
    rows = [("index", "name", "edition", "type", "arch", "build", "languages")]
    rows += [(i.index, i.name, _dash(i.edition_id), _dash(i.installation_type), _dash(i.arch),
              _dash(i.build), ",".join(i.languages) or "-") for i in install.images]
    return ["install: %s (%s, %d images)" % (install.path, install.format, len(install.images))] + _table(rows)
