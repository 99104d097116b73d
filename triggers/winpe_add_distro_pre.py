"""Cobbler hook (add/distro/pre): refuse to save a Windows distro whose winpe_* answer settings are not valid."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("add/distro/pre")
