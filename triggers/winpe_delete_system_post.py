"""Cobbler hook (delete/system/post): remove a deleted Windows system's files."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("delete/system/post")
