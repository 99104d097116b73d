"""Tests of the atomic writer, the create-once writer and the safe path join."""
import multiprocessing
import os

import pytest

from cobbler_winpe.errors import InputError
from cobbler_winpe.fsutil import create_once, safe_join, write_atomic


def test_write_atomic_reports_change_and_leaves_no_temp(tmp_path):
    target = tmp_path / "a" / "b.txt"
    assert write_atomic(str(target), "one") is True
    assert write_atomic(str(target), "one") is False
    assert write_atomic(str(target), b"two") is True
    assert target.read_bytes() == b"two"
    assert os.listdir(target.parent) == ["b.txt"]


def test_write_atomic_keeps_inode_when_unchanged(tmp_path):
    target = tmp_path / "f"
    write_atomic(str(target), "x")
    inode = target.stat().st_ino
    write_atomic(str(target), "x")
    assert target.stat().st_ino == inode


@pytest.mark.parametrize("bad", ["../etc/passwd", "/etc/passwd", "a/../../b", "a\\..\\b", "\\x", "a\0b"])
def test_safe_join_refuses_escapes(tmp_path, bad):
    with pytest.raises(InputError):
        safe_join(str(tmp_path), bad)


def test_safe_join_normalises_separators(tmp_path):
    assert safe_join("/r", "x64\\sources//boot.wim") == "/r/x64/sources/boot.wim"


def _create(args):
    path, text = args
    return create_once(path, text), open(path).read()


def test_create_once_has_one_winner_among_racing_processes(tmp_path):
    path = str(tmp_path / "secret")
    with multiprocessing.get_context("fork").Pool(8) as pool:
        results = pool.map(_create, [(path, "pw-%d\n" % n) for n in range(64)])
    winners = [n for n, (created, _text) in enumerate(results) if created]
    assert len(winners) == 1
    assert {text for _created, text in results} == {"pw-%d\n" % winners[0]}
    assert os.listdir(str(tmp_path)) == ["secret"]
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_dead_writers_temps_go_live_ones_stay(tmp_path):
    import subprocess
    from cobbler_winpe import fsutil
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / (".tmp-%d-abc" % dead.pid)).write_bytes(b"")
    (tmp_path / (".tmp-%d-def" % os.getpid())).write_bytes(b"")
    (tmp_path / ".tmp-notapid").write_bytes(b"")
    (tmp_path / "keep.conf").write_bytes(b"x")
    assert fsutil.remove_dead_temps(str(tmp_path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".tmp-%d-def" % os.getpid(), ".tmp-notapid", "keep.conf"])


def test_write_temp_names_its_writer(tmp_path):
    from cobbler_winpe import fsutil
    tmp = fsutil.write_temp(str(tmp_path / "f"), b"x", 0o600)
    assert os.path.basename(tmp).startswith(".tmp-%d-" % os.getpid())


def test_write_atomic_with_a_group_fixes_mode_and_group_of_unchanged_content(tmp_path):
    import grp
    import stat
    group = grp.getgrnam("nogroup").gr_gid if os.geteuid() == 0 else os.getegid()
    path = tmp_path / "answer.xml"
    path.write_text("secret")
    path.chmod(0o644)   # as an older version wrote it
    assert write_atomic(str(path), "secret", 0o640, group)
    st = os.stat(path)
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o640, group)
    assert not write_atomic(str(path), "secret", 0o640, group)   # now nothing to do
