"""Cobbler hook (add/profile/pre): refuse to save a Windows profile whose winpe_* answer settings are not valid."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("add/profile/pre")
