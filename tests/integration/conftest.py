"""Pytest fixtures for integration tests: the session-wide real Cobbler bed (cobblerd + Apache on loopback)."""

import os
import pathlib
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from testbed import BedUnavailable, CobblerBed  # noqa: E402  (needs the path above)

VENV_ENV = "COBBLER_WINPE_BED_VENV"


@pytest.fixture(scope="session")
def cobbler_bed():
    """A started CobblerBed for the whole session; stopped by PID at the end, even after failures.

    The venv is $COBBLER_WINPE_BED_VENV or the running interpreter's.  Skips only when a program or package
    file the bed needs is absent (or not root); a machine with a real Cobbler is an error, not a skip.
    """
    bed = CobblerBed(venv=os.environ.get(VENV_ENV) or None)
    try:
        bed.start()
    except BedUnavailable as err:
        pytest.skip("cobbler test bed unavailable: %s" % err)
    try:
        yield bed
    finally:
        bed.stop()


@pytest.fixture
def clean_cobbler_bed(cobbler_bed):
    """The session bed with every distro, profile, image and system removed before the test."""
    cobbler_bed.reset()
    return cobbler_bed


def install_plugin(bed):
    """Install the plugin's hooks into the bed's Cobbler (modules, snippets, template branch) and restart cobblerd."""
    import subprocess
    argv = [str(bed.venv / "bin" / "cobbler-winpe"), "install-hooks", "--module-dir", str(bed.modules_dir)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    bed.restart_cobblerd()
    return bed


# The plugin's configuration on the bed: every file it writes stays inside the trees the bed owns.
BED_CONFIG_PATH = pathlib.Path("/etc/cobbler/winpe.yaml")
BED_CONFIG = """smb_include: /etc/cobbler/winpe/smb-winpe.conf
tftpd_rules: /etc/cobbler/winpe/tftpd.rules
atftpd_rules: /etc/cobbler/winpe/atftpd.pcre
dhcp_snippets_dir: /etc/cobbler/winpe
smb_password_file: /etc/cobbler/winpe/smb.secret
"""


def write_bed_config(extra=""):
    BED_CONFIG_PATH.write_text(BED_CONFIG + extra)


@pytest.fixture(scope="session")
def winpe_bed(cobbler_bed):
    """The session bed with cobbler-winpe installed (hooks loaded by a cobblerd restart)."""
    write_bed_config()
    install_plugin(cobbler_bed)
    yield cobbler_bed


@pytest.fixture
def clean_winpe_bed(winpe_bed):
    """The plugin bed emptied of items, with the bed's plugin configuration."""
    winpe_bed.reset()
    write_bed_config()
    return winpe_bed


@pytest.fixture(scope="session")
def sample_media(tmp_path_factory):
    """Sample Windows-like media built once per session: {preset name: SampleMedia} (trees and ISOs)."""
    from cobbler_winpe.sample import media as sample
    work = tmp_path_factory.mktemp("sample-media")
    built = {}
    for name in ("win10-x64", "dual-arch", "win11-arm64"):
        built[name] = sample.build_sample_media(str(work), sample.preset(name))
    return built
