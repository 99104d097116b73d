"""Cobbler hook (task/import/pre): take over `cobbler import` when the path is Windows media (tree or ISO)."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("task/import/pre")
