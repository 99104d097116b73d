"""`cobbler-winpe status`: the latest install stage of each Windows system, or every stage of one, from Cobbler's logs."""
import json
import os
import time

from cobbler_winpe.adapter import status as reports
from cobbler_winpe.errors import InputError, escape


def _when(mtime):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mtime))


def _row(name, entry):
    report, mtime, path = entry
    return {"system": name, "stage": report.stage, "time": _when(mtime), "code": report.code,
            "detail": report.detail, "file": path}


def _systems(root):
    try:
        return sorted(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)))
    except OSError:
        return []


def _print_rows(rows):
    print("%-24s %-14s %-19s %-6s %s" % ("SYSTEM", "STAGE", "TIME", "CODE", "DETAIL"))
    for row in rows:
        print("%-24s %-14s %-19s %-6s %s" % tuple(escape(str(row[k])) for k in
                                                  ("system", "stage", "time", "code", "detail")))


def run(args):
    root = args.log_dir
    if args.system:
        folder = reports.system_log_dir(args.system, root)
        if folder is None:
            raise InputError("--system %r" % args.system, "not a Cobbler system name")
        rows = [_row(args.system, entry) for entry in reports.read_reports(folder)]
        logs = reports.attachments(folder)
        if not rows:
            raise InputError(args.system, "no install reports under %s" % folder,
                             "Cobbler keeps them only with anamon_enabled: true (cobbler-winpe check)")
    else:
        rows = [_row(name, entry) for name in _systems(root)
                for entry in [reports.latest(reports.read_reports(os.path.join(root, name)))] if entry]
        logs = []
    if args.json:
        print(json.dumps({"reports": rows, "logs": logs}, indent=2))
        return 0
    _print_rows(rows)
    for path in logs:
        print("log: %s" % escape(path))
    return 0


def register(subparsers):
    parser = subparsers.add_parser("status", help="install stages reported by WinPE, setup and Cobbler's triggers")
    parser.add_argument("--system", help="every stage of this system (default: the latest stage of each)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--log-dir", default=reports.ANAMON_DIR, help="Cobbler's anamon log folder")
    parser.set_defaults(func=run)
