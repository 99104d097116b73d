"""Entry point of the cobbler-winpe command: parses arguments and turns errors into one line and an exit code."""
import argparse
import importlib
import sys
import traceback

from cobbler_winpe import __version__, config
from cobbler_winpe.errors import WinpeError

# Each module here defines register(subparsers); the parser it adds sets func(args) -> exit code.
SUBCOMMAND_MODULES = (
    "hooks",
    "check",
    "smb",
    "bcd",
    "inspect",
    "verify",
    "status",
    "reinstall",
)


def config_option(parser, help_text="plugin configuration file (default /etc/cobbler/winpe.yaml)"):
    """The --config option of every command that reads the plugin's settings."""
    parser.add_argument("--config", help=help_text)


def settings(args):
    """The plugin's settings for this command: loaded once, here (the hooks load theirs in adapter/hookbase)."""
    if getattr(args, "loaded_config", None) is None:
        args.loaded_config = config.load(getattr(args, "config", None))
    return args.loaded_config


def build_parser():
    parser = argparse.ArgumentParser(prog="cobbler-winpe",
                                     description="Windows network installs for Cobbler 3.3.")
    parser.add_argument("--version", action="version", version="cobbler-winpe " + __version__)
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module("cobbler_winpe.cli." + name).register(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_usage(sys.stderr)
        return 2
    try:
        return args.func(args) or 0
    except WinpeError as err:
        if args.debug:
            traceback.print_exc()
        print("cobbler-winpe: %s" % err, file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("cobbler-winpe: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: still one line unless --debug
        if args.debug:
            traceback.print_exc()
        print("cobbler-winpe: internal error: %s: %s (run with --debug and report it)"
              % (type(err).__name__, err), file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
