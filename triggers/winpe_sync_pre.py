"""Cobbler hook (sync/pre): wait until an import has saved its items, then hold Cobbler's boot trees for this sync."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("sync/pre")
