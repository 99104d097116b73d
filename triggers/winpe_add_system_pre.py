"""Cobbler hook (add/system/pre): refuse to save a Windows system whose winpe_* answer settings are not valid."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("add/system/pre")
