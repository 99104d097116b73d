"""Cobbler hook (add/profile/post): stage a Windows profile's BCD stores when it is added or edited."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("add/profile/post")
