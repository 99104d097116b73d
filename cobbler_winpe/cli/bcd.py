"""`cobbler-winpe bcd write|dump`: build a PXE ramdisk BCD store, or list any BCD store's objects and elements."""
import json
import os

from cobbler_winpe import names
from cobbler_winpe.bcd.pxe import build_pxe_store
from cobbler_winpe.bcd.store import dump_store, format_dump, read_store
from cobbler_winpe.errors import InputError, MediaError
from cobbler_winpe.fsutil import write_atomic
from cobbler_winpe.regf.reader import MAX_HIVE_SIZE


def register(subparsers):
    parser = subparsers.add_parser("bcd", help="write or dump BCD stores")
    commands = parser.add_subparsers(dest="bcd_command", metavar="ACTION")
    commands.required = True
    write = commands.add_parser("write", help="write a PXE ramdisk BCD store")
    write.add_argument("--firmware", required=True, choices=names.FIRMWARES)
    write.add_argument("--sdi", required=True, help=r"client path of %s, e.g. \images\win10\%s" % (names.BOOT_SDI, names.BOOT_SDI))
    write.add_argument("--entry", required=True, action="append", metavar="TITLE=WIM",
                       help="menu title and client path of its %s (repeat for a menu)" % names.BOOT_WIM)
    write.add_argument("--loader", help="winload path inside the WIM (default: by firmware)")
    write.add_argument("--default", type=int, default=0, help="index of the default entry (0)")
    write.add_argument("--timeout", type=int, help="menu timeout in seconds (0 for one entry, else 30)")
    write.add_argument("--tftp-blocksize", type=int, help="ramdisktftpblocksize (WDS uses 1456)")
    write.add_argument("--tftp-windowsize", type=int, help="ramdisktftpwindowsize")
    write.add_argument("--tftp-varwindow", action="store_true", help="set ramdisktftpvarwindow")
    write.add_argument("--fontpath", help=r"boot manager font path, e.g. \boot\fonts")
    write.add_argument("--locale", help="boot manager and loader locale, e.g. en-US")
    write.add_argument("--loadoptions", help="loader load options")
    write.add_argument("-o", "--output", required=True, help="file to write")
    write.set_defaults(func=run_write)
    dump = commands.add_parser("dump", help="list the objects and elements of a BCD store")
    dump.add_argument("file")
    dump.add_argument("--json", action="store_true", help="print JSON instead of text")
    dump.set_defaults(func=run_dump)


def parse_entry(text):
    """(title, wim path) of a TITLE=WIM argument (split at the first '=')."""
    title, sep, path = text.partition("=")
    if not sep or not title.strip() or not path.strip():
        raise InputError("--entry %r" % text, "expected TITLE=WIM-PATH", r"write e.g. 'WinPE=\images\pe\%s'" % names.BOOT_WIM)
    return title, path


def utf8_text(value, option):
    """``value`` unchanged when it is text; argv bytes that are not UTF-8 (surrogate-escaped) are refused."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(option, "%a is not valid UTF-8 text" % value, "write it in UTF-8; check LANG and LC_ALL") from None
    return value


def run_write(args):
    for option in ("sdi", "loader", "fontpath", "locale", "loadoptions"):
        if getattr(args, option):
            utf8_text(getattr(args, option), "--" + option)
    entries = [parse_entry(utf8_text(text, "--entry")) for text in args.entry]
    data = build_pxe_store(args.firmware, args.sdi, entries, loader=args.loader, default=args.default,
                           timeout=args.timeout, tftp_blocksize=args.tftp_blocksize,
                           tftp_windowsize=args.tftp_windowsize, tftp_varwindow=args.tftp_varwindow,
                           fontpath=args.fontpath, locale=args.locale, loadoptions=args.loadoptions)
    folder = os.path.dirname(os.path.abspath(args.output))
    try:
        if not os.path.isdir(folder):
            raise FileNotFoundError(2, "no such directory: %s" % folder)
        write_atomic(args.output, data)
    except OSError as err:
        raise InputError(args.output, "cannot write: %s" % err.strerror, "check the directory and permissions")
    return 0


def read_file(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_HIVE_SIZE + 1)
    except OSError as err:
        raise InputError(path, "cannot read: %s" % err.strerror, "give the path of a BCD file")
    return data


def run_dump(args):
    data = read_file(args.file)
    try:
        dump = dump_store(read_store(data))
    except MediaError as err:
        raise MediaError("%s: %s" % (args.file, err.what), err.why, err.fix)
    print(json.dumps(dump, indent=2) if args.json else format_dump(dump), end="\n" if args.json else "")
    return 0
