"""Tests of the lock that keeps a Cobbler sync and an import's item saves apart: exclusion, reentry, dead holders."""
import threading
import time

from cobbler_winpe.adapter import synclock


def in_thread(target):
    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_a_second_thread_waits_until_the_holder_releases():
    lock, events = synclock.TreeLock(), []
    lock.acquire("a sync")

    def importer():
        assert lock.acquire("an import", wait=30)
        events.append("import in")
        lock.release()

    thread = in_thread(importer)
    time.sleep(0.3)
    events.append("sync out")
    lock.release()
    thread.join(30)
    assert events == ["sync out", "import in"]


def test_reentry_and_a_block_drops_what_a_failed_inner_sync_left():
    lock = synclock.TreeLock()
    with lock.held("an import"):
        assert lock.acquire("its systems' sync")   # sync/pre inside a profile save, same thread
        assert lock.depth() == 2                   # its sync failed: no sync/post released it
    assert lock.depth() == 0
    got = []
    in_thread(lambda: got.append(lock.acquire("a sync", wait=0))).join(30)
    assert got == [True]


def test_a_holder_that_ended_without_release_holds_no_more():
    lock = synclock.TreeLock()
    in_thread(lambda: lock.acquire("a sync that failed before sync/post")).join(30)
    began = time.monotonic()
    assert lock.acquire("an import", wait=30)
    assert time.monotonic() - began < 3 * synclock.POLL


def test_the_wait_is_bounded_and_a_thread_not_holding_releases_nothing():
    lock, done = synclock.TreeLock(), threading.Event()
    holder = in_thread(lambda: (lock.acquire("a long sync"), done.wait(30), lock.release()))
    time.sleep(0.2)
    began = time.monotonic()
    assert lock.acquire("an import", wait=0.5) is False
    assert 0.5 <= time.monotonic() - began < 3
    lock.release()                          # not the holder: no effect
    got = []
    in_thread(lambda: got.append(lock.acquire("another", wait=0.2))).join(30)
    assert got == [False]
    done.set()
    holder.join(30)
    assert lock.acquire("an import", wait=0)


def test_sync_post_releases_what_sync_pre_took_even_when_staging_fails(monkeypatch):
    def broken_staging(*_args):
        raise RuntimeError("staging bug")

    monkeypatch.setattr(synclock.staging, "sync_post", broken_staging)
    synclock.sync_pre(None, [], None)
    assert synclock.TREES.depth() == 1
    try:
        synclock.sync_post(None, [], None)
    except RuntimeError:
        pass
    assert synclock.TREES.depth() == 0
