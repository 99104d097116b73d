"""`cobbler-winpe check`: lists what the host lacks for each enabled boot path, with the fix for each."""
from cobbler_winpe import checks, config


def run(args):
    cfg = config.load(args.config)
    failed = 0
    for check in checks.all_checks(cfg, args.tftproot):
        state = "ok" if check.ok else ("MISSING" if check.needed else "optional")
        print("%-8s %-32s %s" % (state, check.name, check.detail))
        if not check.ok:
            print("%-8s %-32s fix: %s" % ("", "", check.fix))
            failed += check.needed
    return 1 if failed else 0


def register(subparsers):
    parser = subparsers.add_parser("check", help="list what this host lacks for Windows netboot")
    parser.add_argument("--config", help="plugin configuration file (default /etc/cobbler/winpe.yaml)")
    parser.add_argument("--tftproot", default="/srv/tftpboot", help="Cobbler's TFTP root")
    parser.set_defaults(func=run)
