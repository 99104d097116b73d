"""Cobbler hook (delete/profile/post): remove a deleted Windows profile's staged files."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("delete/profile/post")
