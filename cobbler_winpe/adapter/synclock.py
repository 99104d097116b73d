"""Keeps a Cobbler sync and an import's item saves from writing Cobbler's boot trees at once (inside cobblerd).

Why (Cobbler 3.3.10): saving a distro or profile with with_sync=True runs a lite sync (actions/sync.py
add_single_distro: tftpgen.copy_single_distro_files links the kernel and initrd into tftpboot/images/<distro> and
webdir/images/<distro>, then make_pxe_menu), while a full sync empties those folders (clean_trees) and links
every distro's files again.  Both go through utils.linkfile, which checks, then links, then falls back to
utils.copyfile; run at once they fail on each other's files (SameFileError when the other thread linked the same
inode in between, FileNotFoundError when clean_trees removed the folder).  Cobbler takes no lock for either, so
the plugin holds this one from sync/pre to the end of its sync/post staging, and around the import's cache swap
and item saves.  Every Cobbler task runs as a thread of cobblerd, so a lock of this process is enough.
"""
import contextlib
import logging
import threading
import time

from cobbler_winpe.adapter import staging

LOG = logging.getLogger("cobbler_winpe")
WAIT = 600.0   # seconds a sync or an import waits for the other before going ahead (with one warning line)
POLL = 1.0     # a holder thread that died never wakes the waiters: look again this often


class TreeLock:
    """Held by one thread at a time, reentrant for that thread; a holder thread that has ended holds it no more
    (a sync that failed between sync/pre and sync/post never runs its release)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._owner = None
        self._depth = 0
        self._what = ""

    def _free(self, me):
        return self._owner is None or self._owner is me or not self._owner.is_alive()

    def acquire(self, what, wait=WAIT):
        """Take the lock for WHAT (a phrase for the log); False when WAIT seconds passed first (then not held)."""
        me = threading.current_thread()
        deadline = time.monotonic() + wait
        with self._cond:
            if not self._free(me):
                LOG.info("cobbler-winpe: %s waits for %s to finish writing Cobbler's boot trees", what, self._what)
            while not self._free(me):
                left = deadline - time.monotonic()
                if left <= 0:
                    LOG.warning("cobbler-winpe: %s goes ahead after waiting %.0f s for %s", what, wait, self._what)
                    return False
                self._cond.wait(min(left, POLL))
            if self._owner is not me:
                self._owner, self._depth, self._what = me, 0, what
            self._depth += 1
            return True

    def depth(self):
        """How many times the calling thread holds the lock now."""
        with self._cond:
            return self._depth if self._owner is threading.current_thread() else 0

    def release(self, to_depth=None):
        """Release once, or down to TO_DEPTH holds; a thread that does not hold the lock releases nothing."""
        with self._cond:
            if self._owner is not threading.current_thread():
                return
            self._depth = self._depth - 1 if to_depth is None else min(self._depth, to_depth)
            if self._depth <= 0:
                self._owner, self._depth, self._what = None, 0, ""
                self._cond.notify_all()

    @contextlib.contextmanager
    def held(self, what, wait=WAIT):
        """Hold the lock for a block; on leaving, also drop holds a sync/pre inside it left (its sync failed)."""
        before = self.depth()
        self.acquire(what, wait)
        try:
            yield
        finally:
            self.release(to_depth=before)


TREES = TreeLock()


def sync_pre(_api, _args, _cfg):
    TREES.acquire("a sync")


def sync_post(api, args, cfg):
    """Stage the Windows items, then let a waiting import or sync go on."""
    try:
        staging.sync_post(api, args, cfg)
    finally:
        TREES.release()
