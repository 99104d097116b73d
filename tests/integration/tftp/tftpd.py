"""A private tftpd-hpa on 127.0.0.1 serving a tree with remap rules, stopped by PID (shared by the TFTP tests)."""
import contextlib
import os
import socket
import subprocess
import time

import pytest

TFTPD = "/usr/sbin/in.tftpd"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(tree, rules):
    """Yield the port of an in.tftpd serving TREE (world-readable) with the remap file RULES."""
    if not os.path.exists(TFTPD):
        pytest.skip("needs tftpd-hpa (%s)" % TFTPD)
    subprocess.run(["chmod", "-R", "a+rX", os.path.dirname(tree)], check=True)
    port = free_udp_port()
    proc = subprocess.Popen([TFTPD, "-L", "-a", "127.0.0.1:%d" % port, "-s", tree, "-m", rules, "-u", "nobody"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    assert proc.poll() is None, "in.tftpd exited at start"
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
