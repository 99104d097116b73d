"""Cobbler hook (add/system/post): write a Windows system's answer file when it is added or edited."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("add/system/post")
