"""`cobbler signature update` in a real cobblerd: the plugin's task/sigupdate/post hook puts Server 2025 back."""
import functools
import http.server
import json
import pathlib
import threading
import time

import pytest

pytestmark = pytest.mark.integration

SIGNATURES = pathlib.Path("/var/lib/cobbler/distro_signatures.json")
HOOK_WAIT = 30.0     # the post trigger runs after the task is marked complete


def serve(folder):
    """A loopback HTTP server for FOLDER on a free port; returns (server, thread)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def windows_versions(bed):
    return bed.xmlrpc().get_valid_os_versions_for_breed("windows")


def test_signature_update_keeps_server_2025(winpe_bed, tmp_path):
    bed = winpe_bed
    upstream = json.loads(SIGNATURES.read_text())
    assert "2025" in upstream["breeds"]["windows"], "install-hooks did not add Server 2025"
    del upstream["breeds"]["windows"]["2025"]                 # what signature_url serves: Cobbler's own file
    (tmp_path / "distro_signatures.json").write_text(json.dumps(upstream))
    server, thread = serve(tmp_path)
    saved = dict(bed.settings_overrides)
    try:
        bed.set_settings({"signature_url": "http://127.0.0.1:%d/distro_signatures.json" % server.server_port})
        bed.task("signature_update")
        deadline = time.monotonic() + HOOK_WAIT
        while "2025" not in windows_versions(bed) and time.monotonic() < deadline:
            time.sleep(0.5)
        on_disk = json.loads(SIGNATURES.read_text())["breeds"]["windows"]
    finally:
        server.shutdown()
        thread.join(10)
        bed.settings_overrides.clear()
        bed.settings_overrides.update(saved)
        bed.set_settings({})
    assert "2025" in on_disk and on_disk["2025"]["version_file_regex"] == "^Name:.*Windows Server 2025.*$"
    assert "2025" in windows_versions(bed), "Cobbler's signature cache was not reloaded"
    assert set(upstream["breeds"]["windows"]) <= set(on_disk)  # nothing of the download was dropped
