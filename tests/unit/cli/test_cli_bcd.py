"""Tests for `cobbler-winpe bcd write|dump` (cobbler_winpe.cli.bcd) through the CLI entry point."""
import json
import os
import subprocess
import sys

import pytest

from cobbler_winpe.bcd.store import read_store
from cobbler_winpe.cli.main import main
from cobbler_winpe.regf.reader import check_hive

from bcd_fixtures import all_references, reference_bytes


def write(tmp_path, *extra):
    out = tmp_path / "BCD"
    argv = ["bcd", "write", "--firmware", "uefi", "--sdi", "/images/win10/boot.sdi",
            "--entry", r"Win 10 PE=\images\win10\boot.wim", "-o", str(out)] + list(extra)
    return main(argv), out


def test_write_then_dump_text(tmp_path, capsys):
    code, out = write(tmp_path, "--entry", "Second=/images/two/boot.wim", "--default", "1", "--timeout", "5",
                      "--tftp-blocksize", "1456", "--tftp-windowsize", "4", "--tftp-varwindow")
    assert code == 0
    check_hive(out.read_bytes())
    store = read_store(out.read_bytes())
    bootmgr = store.get("{bootmgr}")
    assert bootmgr.get(0x25000004) == 5 and bootmgr.get(0x23000003) == bootmgr.get(0x24000001)[1]
    assert main(["bcd", "dump", str(out)]) == 0
    text = capsys.readouterr().out
    assert r"ramdisk=[boot]\images\win10\boot.wim,{ramdiskoptions}" in text
    assert r"ramdisksdipath           \images\win10\boot.sdi" in text
    assert "ramdisktftpblocksize     1456" in text and "ramdisktftpvarwindow     Yes" in text
    assert r"\windows\system32\boot\winload.efi" in text and "Win 10 PE" in text


def test_loader_option(tmp_path):
    code, out = write(tmp_path, "--loader", r"\windows\system32\winload.efi")
    store = read_store(out.read_bytes())
    assert code == 0 and store.get(store.get("{bootmgr}").get(0x23000003)).get(0x12000002) == \
        r"\windows\system32\winload.efi"


@pytest.mark.parametrize("name", all_references())
def test_dump_json_on_every_reference(name, tmp_path, capsys):
    path = tmp_path / "store"
    path.write_bytes(reference_bytes(name))
    assert main(["bcd", "dump", str(path), "--json"]) == 0
    dump = json.loads(capsys.readouterr().out)
    assert dump["objects"] and all({"guid", "alias", "type", "elements"} <= set(obj) for obj in dump["objects"])
    for obj in dump["objects"]:
        for element in obj["elements"]:
            assert {"id", "name", "value"} <= set(element)


def test_dump_of_a_broken_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "broken"
    path.write_bytes(b"regf" + bytes(5000))
    assert main(["bcd", "dump", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "hive offset 0x" in err and "Traceback" not in err


def test_dump_of_a_missing_file(tmp_path, capsys):
    assert main(["bcd", "dump", str(tmp_path / "nope")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--entry", "no-equals-sign"], "TITLE=WIM"),
    (["--default", "3"], "default entry"),
    (["--tftp-blocksize", "1"], "block size"),
])
def test_write_errors_are_one_line_and_leave_no_file(tmp_path, capsys, extra, message):
    code, out = write(tmp_path, *extra)
    assert code == 2 and message in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_write_into_a_missing_directory(tmp_path, capsys):
    code = main(["bcd", "write", "--firmware", "bios", "--sdi", r"\b.sdi", "--entry", r"A=\a.wim",
                 "-o", str(tmp_path / "no" / "BCD")])
    assert code == 2 and "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize("option, value", [("--entry", b"T\xffitle=/images/pe/boot.wim"),
                                           ("--sdi", b"/images/\xff/boot.sdi"), ("--locale", b"en-\xffUS")])
def test_non_utf8_text_is_one_line(tmp_path, option, value):
    """Bytes a UTF-8 locale cannot decode reach Python as surrogates; the program says so and writes nothing."""
    out = tmp_path / "BCD"
    argv = {"--entry": b"PE=/images/pe/boot.wim", "--sdi": b"/images/pe/boot.sdi"}
    argv[option] = value
    done = subprocess.run([sys.executable, "-m", "cobbler_winpe", "bcd", "write", "--firmware", "uefi", "-o", str(out)]
                          + [arg for pair in argv.items() for arg in (pair[0].encode(), pair[1])],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, LC_ALL="C.UTF-8"))
    err = done.stderr.decode()
    assert done.returncode == 2 and err.count("\n") == 1 and "internal error" not in err
    assert err.startswith("cobbler-winpe: %s: " % option) and "is not valid UTF-8 text" in err
    assert not out.exists()


def test_control_characters_in_a_title_are_refused(tmp_path, capsys):
    code, out = write(tmp_path, "--entry", "Evil\x1b[2J\u009b=/images/two/boot.wim")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "\x1b" not in err and "BCD entry title" in err
    assert not out.exists()
