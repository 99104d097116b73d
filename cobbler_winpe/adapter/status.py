"""Install status on the Cobbler side: install/post and install/firstboot triggers record their stage per system."""
import os
import time
import xmlrpc.client

from cobbler_winpe.adapter import items
from cobbler_winpe.fsutil import write_atomic
from cobbler_winpe.gen import status

ANAMON_DIR = "/var/log/cobbler/anamon"   # where Cobbler's upload_log_data keeps each system's files (fixed in 3.3)


def system_log_dir(name, root=ANAMON_DIR):
    """The folder Cobbler keeps NAME's uploaded logs in; None for a name that is not one path component."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        return None
    return os.path.join(root, name)


def record(name, stage, detail="", root=ANAMON_DIR):
    """Write STAGE's report for system NAME the way WinPE's reporter would (same file, same fields)."""
    folder = system_log_dir(name, root)
    if folder is None:
        return None
    os.makedirs(folder, mode=0o755, exist_ok=True)
    path = os.path.join(folder, status.report_file(stage))
    report = status.Report(stage, "0", detail, time.strftime("%Y-%m-%d %H:%M:%S"))
    write_atomic(path, status.render_report(report).encode("utf-8"), mode=0o644)
    return path


def _windows_system(api, args):
    """The Windows system an install trigger names (args: objtype, name, ip), else None."""
    if len(args) < 2 or args[0] != "system":
        return None
    system = api.find_system(name=args[1])
    if system is None or isinstance(system, list):
        return None
    profile = api.find_profile(name=system.profile) if isinstance(system.profile, str) else system.profile
    distro = getattr(profile, "distro", None)
    return system if distro is not None and items.is_windows(distro) else None


def installed(api, args, cfg):
    """install/post (SetupComplete.cmd called /cblr/svc/op/trig/mode/post): the system finished installing."""
    system = _windows_system(api, args)
    if system is not None:
        record(system.name, "installed", "from %s" % (args[2] if len(args) > 2 and args[2] else "?"))


def first_boot(api, args, cfg):
    """install/firstboot (the first logon called /cblr/svc/op/trig/mode/firstboot): the system is in use."""
    system = _windows_system(api, args)
    if system is not None:
        record(system.name, "first-boot", "from %s" % (args[2] if len(args) > 2 and args[2] else "?"))


def read_reports(folder):
    """[(Report, mtime, path)] of the stage reports in one system's folder, in stage order; other files ignored."""
    found = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return found
    for name in names:
        if not status.REPORT_RE.match(name):
            continue
        path = os.path.join(folder, name)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                report = status.parse_report(handle.read(65536))
            mtime = os.stat(path).st_mtime
        except OSError:
            continue
        if report is not None:
            found.append((report, mtime, path))
    return found


def attachments(folder):
    """The log files a failure report sent along (winpe-setuperr.log, ...), by path."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names if n.startswith("winpe-") and not status.REPORT_RE.match(n)]


def latest(reports):
    """The newest report by Cobbler's clock (file time), the later stage on a tie; None when there is none."""
    if not reports:
        return None
    return max(reports, key=lambda entry: (entry[1], status.stage_number(entry[0].stage)))


class _Blob(bytes):
    """Uploaded bytes that also answer .data, as xmlrpc.client.Binary does."""

    @property
    def data(self):
        return bytes(self)


def accept_binary_uploads(interface_class):
    """Make Cobbler's upload_log_data take the base64 data every XML-RPC client sends.

    Cobbler 3.3 checks that the data is bytes, then reads data.data: no argument passes both, so every upload
    (anaconda's anamon too) is refused with "One of the parameters handed over had an invalid type"
    (cobbler/cobbler#3324).  The wrapper hands it bytes that also have .data; everything else is Cobbler's own.
    """
    original = interface_class.upload_log_data
    if getattr(original, "cobbler_winpe", False):
        return False

    def upload_log_data(self, sys_name, file, size, offset, data, token=None):
        if isinstance(data, xmlrpc.client.Binary):
            data = _Blob(data.data)
        return original(self, sys_name, file, size, offset, data, token)

    upload_log_data.cobbler_winpe = True
    upload_log_data.__doc__ = original.__doc__
    interface_class.upload_log_data = upload_log_data
    return True


def enable_status_uploads():
    """Called when cobblerd loads the status hooks: WinPE's stage reports arrive through upload_log_data."""
    from cobbler import remote   # the adapter is the one place that imports cobbler
    return accept_binary_uploads(remote.CobblerXMLRPCInterface)
