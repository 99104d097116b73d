"""bench/tftpclient.py against the real servers the delivery benchmark uses: what each grants and whole files."""
import hashlib
import json
import os
import subprocess
import sys

import pytest

from test_atftpd_pcre import ATFTPD
from test_tftpd_remap import TFTPD, running_server

pytestmark = pytest.mark.integration
CLIENT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench", "tftpclient.py")
SIZE = 3 * 1456 * 64 + 100       # three full windows of 64 and a short last block
DATA = (hashlib.sha256(b"seed").digest() * (SIZE // 32 + 1))[:SIZE]


def big_file(_distros):
    return ""   # no rules: the file is asked for by its own name


def fetch(port, *options):
    done = subprocess.run([sys.executable, CLIENT, "127.0.0.1:%d" % port, "Boot/BCD", "--sha256"] + list(options),
                          capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout)


@pytest.fixture
def servers(monkeypatch):
    if not (os.path.exists(TFTPD) and os.access(ATFTPD, os.X_OK)):
        pytest.skip("needs tftpd-hpa and atftpd (scripts/setup.sh as root)")
    import test_tftpd_remap
    monkeypatch.setitem(test_tftpd_remap.FILES, "Boot/BCD", DATA)
    hpa = running_server("cwpe-hpa-", big_file, lambda port, tree, rules: [
        TFTPD, "-L", "-a", "127.0.0.1:%d" % port, "-s", tree, "-u", "nobody"])
    atftp = running_server("cwpe-atftp-", big_file, lambda port, tree, rules: [
        ATFTPD, "--daemon", "--no-fork", "--bind-address", "127.0.0.1", "--port", str(port), "--user", "nobody",
        "--group", "nogroup", "--logfile", "/dev/null", tree])
    with hpa as hpa_port, atftp as atftp_port:
        yield {"tftpd-hpa": hpa_port, "atftpd": atftp_port}


def test_atftpd_grants_the_window_and_the_whole_file_arrives(servers):
    result = fetch(servers["atftpd"], "--blksize", "1456", "--windowsize", "64", "--msftwindow")
    assert (result["blksize"], result["windowsize"], result["msftwindow"]) == (1456, 64, False)
    assert result["tsize"] == SIZE and result["bytes"] == SIZE
    assert result["sha256"] == hashlib.sha256(DATA).hexdigest()


def test_tftpd_hpa_ignores_the_window_and_the_whole_file_arrives(servers):
    result = fetch(servers["tftpd-hpa"], "--blksize", "1456", "--windowsize", "64")
    assert (result["blksize"], result["windowsize"]) == (1456, 1)
    assert result["sha256"] == hashlib.sha256(DATA).hexdigest()


def test_upstreams_request_gets_512_byte_blocks(servers):
    result = fetch(servers["tftpd-hpa"])
    assert (result["blksize"], result["windowsize"], result["bytes"]) == (512, 1, SIZE)
    assert result["sha256"] == hashlib.sha256(DATA).hexdigest()
