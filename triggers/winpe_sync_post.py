"""Cobbler hook (sync/post): stage Windows boot files, BCD stores, shares and answer files after every sync, then
let a waiting import go on."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("sync/post")
