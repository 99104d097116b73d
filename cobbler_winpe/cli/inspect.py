"""`cobbler-winpe inspect PATH [--json]`: say what Windows media a path holds, as a table or as JSON."""
import json
import sys

from cobbler_winpe.errors import escape
from cobbler_winpe.media.detect import detect
from cobbler_winpe.media.source import open_media


def register(subparsers):
    parser = subparsers.add_parser("inspect", help="show the Windows releases and editions on an ISO or tree",
                                   description="Read Windows installation media (ISO file or directory tree) "
                                               "without mounting it and list its distros and editions.")
    parser.add_argument("path", metavar="PATH", help="a Windows ISO file or a directory holding its files")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def run(args, out=None):
    out = out or sys.stdout
    with open_media(args.path) as media:
        info = detect(media)
    if args.json:
        json.dump(info.to_json(), out, indent=2)
        out.write("\n")
    else:
        out.write(format_table(info))
    return 0


def _table(rows):
    rows = [[escape(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _dash(value):
    return "-" if value in (None, "") else value


def format_table(info):
    """The human-readable report of a MediaInfo."""
    lines = ["%s: %s, label %s" % (info.source, info.kind, _dash(info.label))]
    for distro in info.distros:
        boot = distro.boot_image
        lines += ["", "distro root %s: Windows %s, %s, build %s"
                  % (distro.root or "/", distro.os_version or "(unknown)", _dash(distro.arch), _dash(distro.build)),
                  "  boot:    %s (boot index %d: %s)" % (distro.boot_wim.path, distro.boot_wim.boot_index, boot.name),
                  "  install: %s (%s, %d images)" % (distro.install.path, distro.install.format,
                                                     len(distro.install.images))]
        rows = [("index", "name", "edition", "type", "arch", "build", "languages")]
        rows += [(i.index, i.name, _dash(i.edition_id), _dash(i.installation_type), _dash(i.arch),
                  _dash(i.build), ",".join(i.languages) or "-") for i in distro.install.images]
        lines += ["  " + line for line in _table(rows)]
        lines += ["  warning: " + w for w in distro.warnings]
    return "".join(escape(line) + "\n" for line in lines)   # media text never moves the cursor or adds a line
