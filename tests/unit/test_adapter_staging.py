"""Tests of the adapter's cache pruning: a deleted distro's cache goes, one being imported right now stays."""
import os
import time

from cobbler_winpe import config
from cobbler_winpe.adapter import staging


def distro_cache(root, name):
    folder = root / name
    folder.mkdir()
    (folder / "boot.sdi").write_bytes(b"SDI")
    return folder


def test_prune_keeps_known_and_importing_distros(tmp_path):
    cfg = config.validate({"cache_dir": str(tmp_path)})
    distro_cache(tmp_path, "kept")
    distro_cache(tmp_path, "gone")
    busy = distro_cache(tmp_path, "busy")
    (busy / staging.IMPORTING).write_text("")
    stale = distro_cache(tmp_path, "stale")
    (stale / staging.IMPORTING).write_text("")
    old = time.time() - 7200
    os.utime(stale / staging.IMPORTING, (old, old))
    (tmp_path / staging.BLOBS).mkdir()
    staging.prune_cache(cfg, {"kept"})
    assert sorted(os.listdir(tmp_path)) == sorted([staging.BLOBS, "busy", "kept"])
