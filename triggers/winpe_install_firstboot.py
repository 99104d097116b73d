"""Cobbler hook (install/firstboot): record the 'first-boot' stage of a Windows system for `cobbler-winpe status`."""
from cobbler_winpe.adapter.hookbase import bind
from cobbler_winpe.adapter.status import enable_status_uploads

register, run = bind("install/firstboot")
enable_status_uploads()   # cobblerd imports this module at start: WinPE's reports go through upload_log_data
