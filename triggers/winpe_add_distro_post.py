"""Cobbler hook (add/distro/post): stage a Windows distro when it is added or edited."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("add/distro/post")
