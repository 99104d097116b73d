"""Cobbler hook (task/sigupdate/post): keep the Windows os_versions the plugin adds after `cobbler signature update`."""
from cobbler_winpe.adapter.hookbase import bind

register, run = bind("task/sigupdate/post")
