"""`cobbler-winpe install-hooks` and `remove-hooks`: put the plugin into a Cobbler, or take it out."""
from cobbler_winpe.adapter import install
from cobbler_winpe.cli import main


def add_common(parser):
    parser.add_argument("--module-dir", help="Cobbler's cobbler/modules folder (found automatically)")
    parser.add_argument("--cobbler-python", help="the Python that runs cobblerd, for a distro-packaged Cobbler")
    parser.add_argument("--settings", default="/etc/cobbler/settings.yaml", help="Cobbler's settings file")
    main.config_option(parser)


def run_install(args):
    for what, where in install.install(main.settings(args), args.module_dir, args.cobbler_python, args.settings):
        print("%-15s %s" % (what, where))
    print("restart cobblerd to load the hooks, then run `cobbler sync`")
    return 0


def run_remove(args):
    for what, where in install.remove(args.module_dir, args.cobbler_python, args.settings):
        print("%-15s %s" % (what, where))
    print("restart cobblerd, then run `cobbler sync`")
    return 0


def register(subparsers):
    parser = subparsers.add_parser("install-hooks", help="install the hook modules, snippets and menu branch")
    add_common(parser)
    parser.set_defaults(func=run_install)
    parser = subparsers.add_parser("remove-hooks", help="remove what install-hooks installed")
    add_common(parser)
    parser.set_defaults(func=run_remove)
