"""`cobbler-winpe reinstall --system S`: the one line that makes an installed Windows netboot once, to reinstall."""
from cobbler_winpe.adapter import install
from cobbler_winpe.gen import startnet
from cobbler_winpe.gen.model import Server


def run(args):
    settings = install.cobbler_settings(args.settings)
    server = Server(args.server or settings["server"], http_port=args.http_port or settings["http_port"])
    print(startnet.reinstall_command(server, args.system))
    return 0


def register(subparsers):
    parser = subparsers.add_parser(
        "reinstall", help="print the command an installed Windows runs (elevated cmd) to boot from the network once",
        description="After `cobbler system edit --name S --netboot-enabled true`, run the printed line in an "
                    "elevated cmd on S: it fetches S's reinstall script from Cobbler, which makes the firmware's "
                    "IPv4 network entry the next boot (bcdedit bootsequence, UEFI) and restarts.")
    parser.add_argument("--system", required=True, help="the Cobbler system to reinstall")
    parser.add_argument("--settings", default="/etc/cobbler/settings.yaml", help="Cobbler's settings file")
    parser.add_argument("--server", help="address clients reach Cobbler at (default: Cobbler's `server` setting)")
    parser.add_argument("--http-port", type=int, help="Cobbler's web port (default: Cobbler's `http_port`)")
    parser.set_defaults(func=run)
