"""Tests of the command line frame: --version, usage errors and the one-line error contract."""
import subprocess
import sys

from cobbler_winpe import __version__
from cobbler_winpe.cli import main as cli_main
from cobbler_winpe.errors import MediaError


def run(*args):
    return subprocess.run([sys.executable, "-m", "cobbler_winpe", *args], capture_output=True, text=True)


def test_version():
    out = run("--version")
    assert out.returncode == 0 and out.stdout.strip() == "cobbler-winpe " + __version__


def test_no_command_is_a_usage_error():
    out = run()
    assert out.returncode == 2 and "usage" in out.stderr


def test_every_listed_subcommand_registers():
    parser = cli_main.build_parser()
    names = set(parser._subparsers._group_actions[0].choices)
    assert {"install-hooks", "remove-hooks"} <= names


def test_errors_become_one_line_and_exit_code(capsys, monkeypatch):
    def boom(_args):
        raise MediaError("/isos/x.iso", "not an ISO 9660 image", "give the path of a Windows ISO")
    parser = cli_main.build_parser()
    monkeypatch.setattr(cli_main, "build_parser", lambda: parser)
    parser.set_defaults(func=boom)
    assert cli_main.main([]) == 1
    err = capsys.readouterr().err
    assert err == "cobbler-winpe: /isos/x.iso: not an ISO 9660 image (give the path of a Windows ISO)\n"


def test_bugs_do_not_print_tracebacks(capsys, monkeypatch):
    parser = cli_main.build_parser()
    monkeypatch.setattr(cli_main, "build_parser", lambda: parser)
    parser.set_defaults(func=lambda _args: {}["missing"])
    assert cli_main.main([]) == 70
    err = capsys.readouterr().err
    assert err.startswith("cobbler-winpe: internal error: KeyError") and "Traceback" not in err
