"""Tests for `cobbler-winpe inspect`: the exact JSON contract, the table, and exit codes 1 and 2."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from cobbler_winpe.cli.main import main
from cobbler_winpe.errors import CONTROL
from media_fixtures import samples, utf16, wiminfo_xml, with_xml  # noqa: F401
from test_wim_xmlinfo import BILLION_LAUGHS

TOP_KEYS = {"source", "kind", "label", "distros"}
DISTRO_KEYS = {"root", "arch", "release", "build", "boot_wim", "install"}
BOOT_IMAGE_KEYS = {"index", "name", "arch", "build"}
INSTALL_IMAGE_KEYS = {"index", "name", "display_name", "edition_id", "installation_type", "arch", "build",
                      "languages", "default_language"}


def _run(capsys, *argv):
    code = main(["inspect"] + list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(samples, capsys):
    iso = samples("dual-arch").iso
    code, out, err = _run(capsys, iso, "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert TOP_KEYS <= set(doc) and doc["source"] == iso and doc["kind"] == "iso"
    assert doc["label"] == "CCCOMA_TX86FRE_EN-US_DV9"
    assert [d["root"] for d in doc["distros"]] == ["x64", "x86"]
    for distro in doc["distros"]:
        assert DISTRO_KEYS <= set(distro)
        assert set(distro["boot_wim"]) >= {"path", "boot_index", "images"}
        assert set(distro["install"]) >= {"path", "format", "images"}
        assert all(BOOT_IMAGE_KEYS <= set(i) for i in distro["boot_wim"]["images"])
        assert all(INSTALL_IMAGE_KEYS <= set(i) for i in distro["install"]["images"])
    x86 = doc["distros"][1]
    assert (x86["arch"], x86["release"], x86["build"]) == ("i386", "10", 19045)
    assert x86["boot_wim"]["path"] == "x86/sources/boot.wim" and x86["boot_wim"]["boot_index"] == 2
    assert x86["install"]["path"] == "x86/sources/install.esd" and x86["install"]["format"] == "esd"
    assert x86["install"]["images"][0]["languages"] == ["en-US"]
    assert isinstance(x86["build"], int) and isinstance(x86["release"], str)


def test_tree_label_is_null(samples, capsys):
    code, out, _ = _run(capsys, samples("win7-x64").tree, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["kind"] == "tree" and doc["label"] is None
    assert doc["distros"][0]["release"] == "7"


def test_table(samples, capsys):
    code, out, _ = _run(capsys, samples("server2019").iso)
    assert code == 0
    assert "Windows 2019, x86_64, build 17763" in out
    assert "sources/install.swm (swm, 4 images)" in out
    assert "Windows Server 2019 SERVERDATACENTER" in out and "Server Core" in out


def _bad_media(tmp_path, samples):
    """Paths that are not readable Windows media, each for its own reason."""
    iso = open(samples("win10-x64").iso, "rb").read()
    out = {}
    for cut in (0, 2048, 40000, len(iso) // 2, len(iso) - 8192):
        out["cut%d" % cut] = iso[:cut]
    out["garbage"] = os.urandom(100000)
    paths = {}
    for name, data in out.items():
        paths[name] = tmp_path / (name + ".iso")
        paths[name].write_bytes(data)
    for name, patch in (("corrupt-wim", b"NOTAWIM!"), ("bomb", None)):
        tree = tmp_path / name
        shutil.copytree(samples("win10-x64").tree, tree)
        wim = tree / "sources" / "boot.wim"
        data = wim.read_bytes()
        wim.write_bytes(patch + data[8:] if patch else with_xml(data, utf16(BILLION_LAUGHS)))
        paths[name] = tree
    paths["missing"] = tmp_path / "no-such.iso"
    paths["empty-dir"] = tmp_path / "empty"
    paths["empty-dir"].mkdir()
    return paths


def test_bad_media_exit_1_one_line(samples, tmp_path, capsys):
    for name, path in _bad_media(tmp_path, samples).items():
        code, out, err = _run(capsys, str(path))
        assert (name, code) == (name, 1), err
        assert out == "" and err.count("\n") == 1 and err.startswith("cobbler-winpe: "), (name, err)
        assert "internal error" not in err


def test_usage_exit_2(capsys):
    with pytest.raises(SystemExit) as done:
        main(["inspect"])
    assert done.value.code == 2
    with pytest.raises(SystemExit) as done:
        main(["inspect", "a", "b"])
    assert done.value.code == 2


def test_console_script(samples):
    """The real entry point, as a program: JSON on stdout, exit 0."""
    done = subprocess.run([sys.executable, "-m", "cobbler_winpe", "inspect", samples("win11-arm64").iso, "--json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["distros"][0]["arch"] == "arm64"


def test_bare_winpe_wim_json_and_table(samples, capsys):
    wim = samples("adk-winpe").boot_wims[""]
    code, out, err = _run(capsys, wim, "--json")
    assert code == 0 and err == ""
    (distro,) = json.loads(out)["distros"]
    assert distro["kind"] == "winpe" and distro["install"] is None and distro["boot_wim"]["boot_index"] == 1
    code, out, err = _run(capsys, wim)
    assert code == 0 and out.splitlines()[0] == wim + ": wim, label -"
    assert "  install: none (a WinPE of its own: imported as one profile booting it as it is)" in out.splitlines()


def test_wim_that_is_no_winpe_is_one_line_exit_1(samples, capsys):
    code, out, err = _run(capsys, samples("win11-x64").installs[""])
    assert code == 1 and out == "" and len(err.splitlines()) == 1 and "is not a bootable WinPE image" in err


HOSTILE_LABEL = "EVIL\n\x1b[2J\x9b\x85"


def _hostile_iso(samples, tmp_path):
    """win10-x64's ISO with a volume label holding a newline, ESC, CSI and NEL (latin-1 bytes, as a PVD holds)."""
    data = bytearray(open(samples("win10-x64").iso, "rb").read())
    data[16 * 2048 + 40:16 * 2048 + 72] = HOSTILE_LABEL.encode("latin-1").ljust(32, b" ")
    path = tmp_path / "hostile.iso"
    path.write_bytes(bytes(data))
    return str(path)


def _tree_with_install_xml(samples, tmp_path, edit):
    """A copy of win11-x64's tree whose install.wim XML is edit(the real XML text)."""
    tree = tmp_path / "tree"
    shutil.copytree(samples("win11-x64").tree, tree)
    wim = tree / "sources" / "install.wim"
    wim.write_bytes(with_xml(wim.read_bytes(), utf16(edit(wiminfo_xml(str(wim))))))
    return str(tree)


def _raw_control(text):
    return CONTROL.findall(text.replace("\n", ""))


def test_table_escapes_control_characters(samples, tmp_path, capsys):
    iso = _hostile_iso(samples, tmp_path)
    code, out, err = _run(capsys, iso)
    assert code == 0 and err == ""
    assert _raw_control(out) == [] and r"label EVIL\n\x1b[2J\u009b\u0085" in out
    tree = _tree_with_install_xml(samples, tmp_path, lambda xml: xml.replace(
        "<NAME>Windows 11 Pro</NAME>", "<NAME>Pro&#10;\u009b2J\u0085x</NAME>").replace(
        "<EDITIONID>Core</EDITIONID>", "<EDITIONID>Co&#13;re\u009b</EDITIONID>"))
    code, out, err = _run(capsys, tree)
    assert code == 0 and err == "" and _raw_control(out) == []
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [row[1:3] for row in rows] == [["Windows", "11"], [r"Pro\n\u009b2J\u0085x", "Professional"]]
    assert r"Co\rre\u009b" in rows[0]


def test_json_carries_control_characters_as_escapes(samples, tmp_path, capsys):
    code, out, _ = _run(capsys, _hostile_iso(samples, tmp_path), "--json")
    assert code == 0 and _raw_control(out) == []
    assert json.loads(out)["label"] == HOSTILE_LABEL


def test_huge_build_number_is_one_line(samples, tmp_path, capsys):
    tree = _tree_with_install_xml(samples, tmp_path, lambda xml: xml.replace(
        "<BUILD>26100</BUILD>", "<BUILD>0x%s</BUILD>" % ("f" * 4000), 1))
    code, out, err = _run(capsys, tree)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "WINDOWS/VERSION/BUILD is a 4002-character number (at most 20 digits)" in err and "internal" not in err
