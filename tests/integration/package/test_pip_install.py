"""`pip install .` into a fresh virtualenv gives a working cobbler-winpe that finds its hooks and snippets."""
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def run(argv, **kwargs):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def test_fresh_venv_install(tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", ROOT], cwd=str(tmp_path))
    out = run([str(venv / "bin" / "cobbler-winpe"), "--version"], cwd=str(tmp_path))
    assert out.startswith("cobbler-winpe ")
    code = "from cobbler_winpe.resources import data_dir; print(data_dir('triggers')); print(data_dir('snippets'))"
    triggers, snippets = run([str(venv / "bin" / "python"), "-c", code], cwd=str(tmp_path)).split()
    assert triggers.startswith(str(venv)) and snippets.startswith(str(venv))
    assert "winpe_sync_post.py" in os.listdir(triggers)
    assert {"menu_pxe", "menu_grub", "menu_ipxe"} <= set(os.listdir(os.path.join(snippets, "cobbler_winpe")))
    assert os.listdir(os.path.join(snippets, "windows"))
