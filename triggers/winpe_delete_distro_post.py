"""Cobbler hook (delete/distro/post): remove a deleted Windows distro's staged files."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("delete/distro/post")
