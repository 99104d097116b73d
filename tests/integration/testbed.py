"""A real Cobbler 3.3.10 on loopback: cobblerd from a virtualenv plus a private Apache/mod_wsgi web front.

Used by the integration tests (tests/integration/conftest.py) and by the README demo; it imports nothing of
pytest.  Cobbler keeps its data at fixed paths (/etc/cobbler, /var/lib/cobbler, /srv/tftpboot,
/var/www/cobbler, /var/log/cobbler).  The bed takes a path over only when it is absent or carries the bed's
marker file, rebuilds it fresh from the Cobbler wheel's bundled data at every start, and leaves it (still
marked) at stop so a failed run can be inspected; ``purge()`` removes the marked trees.  Every process the
bed starts is stopped by its PID, and stale ones from a crashed run are found through pid files under the
state directory.

    bed = CobblerBed()          # venv of the running interpreter, a free loopback port
    bed.start()
    rc, out, err = bed.cli("distro", "list")
    log = bed.task("sync")      # a background task through XML-RPC, bounded; returns its task log
    bed.stop()

Background tasks never go through the `cobbler` CLI: Cobbler 3.3's CLI follower (cli.py follow_task) busy-reads
cobbler.log for the task's "### TASK COMPLETE ###" line and can miss it, spinning until the caller's time-out.
``cli("sync")``, ``cli("import", ...)`` and the other task verbs therefore run through ``task()``.
"""

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xmlrpc.client
from pathlib import Path

import yaml

from cobbler_winpe.errors import ToolError
from cobbler_winpe.verify import lookup

MARKER_NAME = ".cobbler-winpe-testbed"
XMLRPC_PORT = 25151
DEFAULT_STATE_DIR = Path("/tmp/cobbler-winpe-testbed")
LOCK_PATH = Path("/tmp/cobbler-winpe-testbed.lock")  # machine-wide, whatever the state dir

ETC_DIR = Path("/etc/cobbler")
LIB_DIR = Path("/var/lib/cobbler")
TFTP_DIR = Path("/srv/tftpboot")
WEB_DIR = Path("/var/www/cobbler")
LOG_DIR = Path("/var/log/cobbler")

# Where each owned tree carries its marker.  `cobbler sync` deletes plain files at the top of the web
# directory, so that tree's marker sits in misc/, a whitelisted folder sync leaves alone.
MARKERS = {
    ETC_DIR: ETC_DIR / MARKER_NAME,
    LIB_DIR: LIB_DIR / MARKER_NAME,
    TFTP_DIR: TFTP_DIR / MARKER_NAME,
    WEB_DIR: WEB_DIR / "misc" / MARKER_NAME,
    LOG_DIR: LOG_DIR / MARKER_NAME,
}

APACHE_BIN = "/usr/sbin/apache2"
APACHE_MODULE_DIR = Path("/usr/lib/apache2/modules")
APACHE_MODULES = (
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("alias_module", "mod_alias.so"),
    ("mime_module", "mod_mime.so"),
    ("dir_module", "mod_dir.so"),
    ("autoindex_module", "mod_autoindex.so"),
    ("env_module", "mod_env.so"),
    ("proxy_module", "mod_proxy.so"),
    ("proxy_http_module", "mod_proxy_http.so"),
    ("wsgi_module", "mod_wsgi.so"),
)

# Boot loaders from Debian packages, as Cobbler's `mkloaders` would name them in /var/lib/cobbler/loaders.
BIOS_MODULES = Path("/usr/lib/syslinux/modules/bios")
LOADER_SOURCES = {
    "pxelinux.0": Path("/usr/lib/PXELINUX/pxelinux.0"),
    "ldlinux.c32": BIOS_MODULES / "ldlinux.c32",
    "menu.c32": BIOS_MODULES / "menu.c32",
    "pxechn.c32": BIOS_MODULES / "pxechn.c32",
    "libcom32.c32": BIOS_MODULES / "libcom32.c32",
    "libutil.c32": BIOS_MODULES / "libutil.c32",
    "linux.c32": BIOS_MODULES / "linux.c32",
    "memdisk": Path("/usr/lib/syslinux/memdisk"),
    "undionly.pxe": Path("/usr/lib/ipxe/undionly.kpxe"),
    "undionly.kpxe": Path("/usr/lib/ipxe/undionly.kpxe"),
    "ipxe.efi": Path("/usr/lib/ipxe/ipxe.efi"),
    "grub/grubx64.efi": Path("/usr/lib/grub/x86_64-efi/monolithic/grubnetx64.efi"),
}

COLLECTIONS = ("distros", "profiles", "systems", "images", "repos", "mgmtclasses", "packages", "files", "menus")
TRIGGER_DIRS = (
    "sync/pre", "sync/post", "change", "install/pre", "install/post", "install/firstboot",
    "task/sync/pre", "task/sync/post", "task/syncsystems/pre", "task/syncsystems/post",
    "task/import/pre", "task/import/post",
) + tuple("%s/%s/%s" % (verb, kind, when) for verb in ("add", "delete")
          for kind in ("distro", "profile", "system", "repo", "image", "mgmtclass", "package", "file", "menu")
          for when in ("pre", "post"))
WEB_SUBDIRS = ("misc", "images", "distro_mirror", "links", "localmirror", "repo_mirror", "rendered", "pub",
               "repo_profile", "repo_system")
TFTP_SUBDIRS = ("pxelinux.cfg", "grub", "images", "ipxe")

SETTINGS = {
    "server": "127.0.0.1",
    "next_server_v4": "127.0.0.1",
    "manage_dhcp": False,
    "manage_dhcp_v4": False,
    "manage_dhcp_v6": False,
    "manage_dns": False,
    "restart_dhcp": False,
    "restart_dns": False,
    "manage_rsync": False,
    "enable_ipxe": True,
    "xmlrpc_port": XMLRPC_PORT,
    "syslinux_dir": str(BIOS_MODULES),
    "syslinux_memdisk_folder": "/usr/lib/syslinux",
    "syslinux_pxelinux_folder": "/usr/lib/PXELINUX",
    "grub2_mod_dir": "/usr/lib/grub",
    "bootloaders_ipxe_folder": "/usr/lib/ipxe/",
}

LOCK_TIMEOUT = 900.0
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
CLI_TIMEOUT = 300.0
TASK_TIMEOUT = 300.0
TASK_POLL = 0.1
TASK_LOG_DIR = LOG_DIR / "tasks"
TASK_END = {"complete": "### TASK COMPLETE ###", "failed": "### TASK FAILED ###"}
# `cobbler ACTION --opt ...` that the CLI runs as a background task: ACTION -> XML-RPC verb (background_<verb>)
CLI_TASKS = {"sync": "sync", "import": "import", "mkloaders": "mkloaders", "hardlink": "hardlink",
             "reposync": "reposync", "validate-autoinstalls": "validate_autoinstall_files"}
CLI_FLAGS = ("verbose", "dhcp", "dns", "no-fail")        # CLI options of task verbs that take no value
CLI_DESTS = {"autoinstall": "autoinstall_file", "no-fail": "nofail"}   # where the CLI's optparse stores them


class BedUnavailable(ToolError):
    """This machine lacks something the bed needs (a program, a package file, root)."""


class CobblerBed:
    """One real cobblerd + Apache pair on 127.0.0.1, with helpers to drive it from tests."""

    def __init__(self, venv=None, http_port=None, state_dir=None, settings=None, lock_timeout=LOCK_TIMEOUT):
        self.venv = Path(venv or sys.prefix)
        self.http_port = int(http_port or free_port())
        self.state_dir = Path(state_dir or DEFAULT_STATE_DIR)
        self.settings_overrides = dict(settings or {})
        self.tftproot = TFTP_DIR
        self.webdir = WEB_DIR
        self.log_path = LOG_DIR / "cobbler.log"
        self.site_packages = None
        self.modules_dir = None
        self.lock_timeout = lock_timeout
        self.timings = {}
        self._lock = None
        self._cobblerd = None
        self._apache = None

    # ---- life cycle -------------------------------------------------------------------------------------

    def start(self):
        """Lay out Cobbler's paths, start cobblerd and Apache, and wait until both answer."""
        began = time.monotonic()
        check_prerequisites(self.venv)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state_dir, 0o755)
        self._lock = take_lock(LOCK_PATH, self.lock_timeout)
        try:
            check_ownership()   # under the lock: another bed may be laying the trees out right now
            stop_stale(self.state_dir)
            check_port_free(XMLRPC_PORT)
            check_port_free(self.http_port)
            self._find_site_packages()
            self._timed("layout", self._lay_out)
            self._timed("cobblerd", self._start_cobblerd)
            self._timed("apache", self._start_apache)
        except BaseException:
            self.stop()
            raise
        self.timings["start_total"] = time.monotonic() - began
        return self

    def stop(self):
        """Stop Apache and cobblerd by PID (bounded waits); the marked trees stay for inspection."""
        self._stop_apache()
        self._stop_cobblerd()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def purge(self):
        """Remove the marked trees (only after stop(); a no-op for trees the bed does not own)."""
        for root in MARKERS:
            if MARKERS[root].exists():
                shutil.rmtree(root)

    def restart_cobblerd(self):
        """Restart cobblerd, e.g. after hook modules were added under cobbler/modules/ (read only at start)."""
        self._stop_cobblerd()
        self._timed("cobblerd", self._start_cobblerd)

    def kill_cobblerd(self):
        """SIGKILL cobblerd and the programs it runs (its session, as a service manager ends a crashed unit's
        processes), as a crash would; restart_cobblerd() starts it again."""
        if self._cobblerd is not None and self._cobblerd.poll() is None:
            os.killpg(self._cobblerd.pid, signal.SIGKILL)
            self._cobblerd.wait(timeout=STOP_TIMEOUT)

    def set_settings(self, values):
        """Merge values into settings.yaml and restart cobblerd so it reads them."""
        self.settings_overrides.update(values)
        self._write_settings()
        self.restart_cobblerd()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- helpers for tests ------------------------------------------------------------------------------

    def cli(self, *args, timeout=CLI_TIMEOUT):
        """Run the venv's `cobbler` CLI; return (returncode, stdout, stderr).

        A task action (sync, import, ...) runs through task() instead: returncode 0 when the task completed,
        1 when it failed, stdout its task log; AssertionError when it did not end in time."""
        if args and str(args[0]) in CLI_TASKS:
            verb, options = task_options(args)
            state, text = self.run_task(verb, timeout, options)
            if state not in TASK_END:
                raise AssertionError(task_failure(verb, options, state, text))
            return (0 if state == "complete" else 1), text, ""
        argv = [str(self.venv / "bin" / "python"), str(self.venv / "bin" / "cobbler")] + [str(a) for a in args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd="/")
        return done.returncode, done.stdout, done.stderr

    def xmlrpc(self, timeout=60.0):
        """A ServerProxy talking straight to cobblerd on 127.0.0.1:25151."""
        return lookup.connect("http://127.0.0.1:%d/" % XMLRPC_PORT, timeout)

    def task(self, verb, timeout=TASK_TIMEOUT, **options):
        """Run Cobbler's background task VERB (XML-RPC background_<verb>(options, token)) and wait for its end.

        Returns the task's lines of its log /var/log/cobbler/tasks/<id>.log; raises AssertionError with the log's
        tail when the task failed or did not end within TIMEOUT seconds."""
        state, text = self.run_task(verb, timeout, options)
        if state != "complete":
            raise AssertionError(task_failure(verb, options, state, text))
        return text

    def run_task(self, verb, timeout, options):
        """Start background_<verb>; poll its state and log until both show its end; return (state, log text).

        The state turns to complete/failed just before the thread logs the matching "### TASK ... ###" line,
        so both are awaited.  State is "timed out after N s" when TIMEOUT passes first."""
        server = self.xmlrpc()
        task_id = getattr(server, "background_" + verb)(dict(options), self.token())
        deadline = time.monotonic() + timeout
        while True:
            state = server.get_task_status(task_id)[2]
            text = task_log(task_id)
            if state in TASK_END and TASK_END[state] in text:
                return state, text
            if time.monotonic() >= deadline:
                return "timed out after %.0f s (state %s)" % (timeout, state), text
            time.sleep(TASK_POLL)

    def token(self):
        """An admin token, from the shared secret cobblerd writes to web.ss at start."""
        secret = (LIB_DIR / "web.ss").read_text(encoding="utf-8")
        return self.xmlrpc().login("", secret)

    def http_get(self, path, timeout=30.0):
        """GET http://127.0.0.1:PORT/path through Apache; return (status, body bytes), also for 4xx/5xx."""
        url = "http://127.0.0.1:%d/%s" % (self.http_port, path.lstrip("/"))
        try:
            with urllib.request.urlopen(url, timeout=timeout) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def reset(self):
        """Remove every system, profile, image and distro (in that order) so the next test starts empty."""
        server, token = self.xmlrpc(), self.token()
        for kind in ("system", "profile", "image", "distro"):
            for item in server.get_item_names(kind):
                if server.has_item(kind, item):
                    server.remove_item(kind, item, token, True)

    def log_text(self):
        """Everything cobblerd logged to /var/log/cobbler/cobbler.log so far."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    # ---- layout ---------------------------------------------------------------------------------------

    def _find_site_packages(self):
        code = ("import os, sys, cobbler; print(os.path.dirname(os.path.dirname(cobbler.__file__))); "
                "print('%d.%d' % sys.version_info[:2])")
        done = subprocess.run([str(self.venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
                              timeout=60)
        if done.returncode != 0:
            raise BedUnavailable(self.venv, "cannot import cobbler: %s" % last_line(done.stderr),
                                 "pip install --no-deps cobbler==3.3.10 into this venv")
        site, version = done.stdout.split()
        self.site_packages = Path(site)
        check_wsgi_python(version)
        self.modules_dir = self.site_packages / "cobbler" / "modules"
        if not (self.site_packages / "etc" / "cobbler" / "settings.yaml").is_file():
            raise BedUnavailable(self.site_packages, "has no etc/cobbler data beside the cobbler package",
                                 "use Cobbler's PyPI wheel (pip install --no-deps cobbler==3.3.10)")

    def _lay_out(self):
        for root in MARKERS:
            if root.exists():
                shutil.rmtree(root)
        data = self.site_packages
        shutil.copytree(data / "etc" / "cobbler", ETC_DIR)
        self._write_settings()
        shutil.copytree(data / "var" / "lib" / "cobbler", LIB_DIR)
        make_dirs(LIB_DIR / "collections", COLLECTIONS)
        make_dirs(LIB_DIR / "triggers", TRIGGER_DIRS)
        shutil.copytree(data / "var" / "www" / "cobbler", WEB_DIR,
                        ignore=shutil.ignore_patterns("__pycache__"))
        make_dirs(WEB_DIR, WEB_SUBDIRS)
        make_dirs(TFTP_DIR, TFTP_SUBDIRS)
        make_dirs(LOG_DIR, ("tasks", "anamon"))
        install_loaders(LIB_DIR / "loaders", TFTP_DIR)
        for marker in MARKERS.values():
            marker.write_text("made by tests/integration/testbed.py; safe to delete\n", encoding="utf-8")

    def _write_settings(self):
        source = self.site_packages / "etc" / "cobbler" / "settings.yaml"
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        data.update(SETTINGS)
        data["http_port"] = self.http_port
        data.update(self.settings_overrides)
        write_atomic(ETC_DIR / "settings.yaml", yaml.safe_dump(data, default_flow_style=False))

    # ---- cobblerd -------------------------------------------------------------------------------------

    def _start_cobblerd(self):
        argv = [str(self.venv / "bin" / "python"), str(self.venv / "bin" / "cobblerd"), "-F"]
        out_path = self.state_dir / "cobblerd.out"
        self._cobblerd = spawn(argv, out_path)
        write_atomic(self.state_dir / "cobblerd.pid", "%d\n" % self._cobblerd.pid)
        wait_until(lambda: self._xmlrpc_answers(), self._cobblerd, "cobblerd", out_path)

    def _xmlrpc_answers(self):
        try:
            return bool(self.xmlrpc(timeout=2.0).version())
        except (OSError, xmlrpc.client.Error):
            return False

    def _stop_cobblerd(self):
        stop_process(self._cobblerd)
        self._cobblerd = None
        remove_file(self.state_dir / "cobblerd.pid")

    # ---- Apache ---------------------------------------------------------------------------------------

    def _start_apache(self):
        for name in ("run", "htdocs"):
            (self.state_dir / name).mkdir(exist_ok=True)
            os.chmod(self.state_dir / name, 0o755)
        conf = self.state_dir / "apache2.conf"
        write_atomic(conf, apache_config(self.state_dir, self.http_port, self.venv))
        out_path = self.state_dir / "apache2.out"
        for log in ("apache-error.log", "apache-access.log"):
            remove_file(self.state_dir / log)
        self._apache = spawn([APACHE_BIN, "-f", str(conf), "-DFOREGROUND"], out_path)
        write_atomic(self.state_dir / "apache2.parent.pid", "%d\n" % self._apache.pid)
        wait_until(self._api_answers_through_apache, self._apache, "apache2", self.state_dir / "apache-error.log")

    def _api_answers_through_apache(self):
        proxy = lookup.connect("http://127.0.0.1:%d/cobbler_api" % self.http_port, 2.0)
        try:
            return bool(proxy.version())
        except (OSError, xmlrpc.client.Error):
            return False

    def _stop_apache(self):
        children = child_pids(self._apache.pid) if self._apache else []
        stop_process(self._apache)
        for pid in children:
            kill_pid(pid)
        self._apache = None
        remove_file(self.state_dir / "apache2.parent.pid")

    def _timed(self, name, step):
        began = time.monotonic()
        step()
        self.timings[name] = time.monotonic() - began


# ---- checks ---------------------------------------------------------------------------------------------

def check_prerequisites(venv):
    """Raise BedUnavailable naming the first missing program, module or loader file."""
    if os.geteuid() != 0:
        raise BedUnavailable("cobbler test bed", "must run as root (cobblerd logs and the CLI waits on its log "
                             "only as root; Apache binds and drops to www-data)", "run the tests as root")
    needed = [Path(APACHE_BIN), venv / "bin" / "cobblerd", venv / "bin" / "cobbler"]
    needed += [APACHE_MODULE_DIR / name for _, name in APACHE_MODULES]
    needed += list(LOADER_SOURCES.values())
    for path in needed:
        if not path.exists():
            raise BedUnavailable(path, "missing", "run scripts/setup.sh (apt: apache2 libapache2-mod-wsgi-py3 "
                                 "pxelinux syslinux-common ipxe grub-efi-amd64-bin rsync)")
    if shutil.which("rsync") is None:
        raise BedUnavailable("rsync", "not on PATH (cobbler sync copies loaders with it)", "apt-get install rsync")


def check_wsgi_python(version):
    """mod_wsgi runs services.py with the venv as python-home: both must be the same Python X.Y."""
    built_for = sorted(p.name.rsplit("-", 1)[1] for p in APACHE_MODULE_DIR.glob("mod_wsgi.so-*"))
    if built_for and version not in built_for:
        raise ToolError("mod_wsgi", "is built for Python %s but the venv runs Python %s"
                        % (", ".join(built_for), version), "make the venv from the system python3")


def check_ownership():
    """Refuse to touch any Cobbler path that exists without the bed's marker (a real Cobbler lives here)."""
    for root, marker in MARKERS.items():
        if root.exists() and not marker.exists():
            raise ToolError(root, "exists and is not the test bed's (no %s): this machine has a real Cobbler "
                            "installation, which the bed will not touch" % marker,
                            "run the integration tests on a machine or container without Cobbler")


def take_lock(path, timeout):
    """Hold an exclusive flock on path: one bed per machine, since Cobbler's paths and port are fixed.

    A crashed holder's lock dies with its process, so getting the lock also means its leftovers are stale.
    """
    handle = open(path, "a+")
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            handle.seek(0)
            handle.truncate()
            handle.write("%d\n" % os.getpid())
            handle.flush()
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise ToolError(path, "another cobbler test bed still runs after %.0f s" % timeout,
                                "wait for the other test run to finish") from None
            if not told:
                print("cobbler test bed: waiting for %s (held by another test run)" % path, file=sys.stderr)
                told = True
            time.sleep(0.5)


def check_port_free(port):
    """Raise ToolError when something already listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise ToolError("127.0.0.1:%d" % port, "already in use (another cobblerd or web server?)",
                            "stop that program first")


def free_port():
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- files ----------------------------------------------------------------------------------------------

def make_dirs(root, names):
    for name in names:
        (root / name).mkdir(parents=True, exist_ok=True)


def install_loaders(loaders_dir, tftp_dir):
    """Copy the Debian boot loaders into Cobbler's loaders/ and, for boots before the first sync, tftpboot/."""
    for name, source in LOADER_SOURCES.items():
        for dest in (loaders_dir / name, tftp_dir / name):
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            os.chmod(dest, 0o644)


def write_atomic(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def remove_file(path):
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def apache_config(state_dir, port, venv):
    """The private Apache's whole configuration: Cobbler's cobbler.conf aliases on 127.0.0.1:port."""
    modules = "\n".join("LoadModule %s %s" % (name, APACHE_MODULE_DIR / so) for name, so in APACHE_MODULES)
    return APACHE_TEMPLATE.format(state=state_dir, port=port, venv=venv, modules=modules, web=WEB_DIR,
                                  tftp=TFTP_DIR, xmlrpc=XMLRPC_PORT)


APACHE_TEMPLATE = """# Private Apache for the cobbler-winpe test bed (generated; do not edit).
ServerRoot "{state}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {state}/apache2.pid
DefaultRuntimeDir {state}/run
Mutex file:{state}/run default
ErrorLog {state}/apache-error.log
LogLevel warn
User www-data
Group www-data
{modules}
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 4
MaxSpareThreads 32
TypesConfig /etc/mime.types
LogFormat "%h \\"%r\\" %>s %b %D" bed
CustomLog {state}/apache-access.log bed
<Directory />
    AllowOverride None
    Require all denied
</Directory>
# An empty, readable document root: mod_wsgi's PATH_TRANSLATED look-ups land here quietly.
DocumentRoot {state}/htdocs
<Directory "{state}/htdocs">
    Require all granted
</Directory>

WSGISocketPrefix {state}/run/wsgi
WSGIDaemonProcess cobbler python-home={venv} processes=1 threads=8 display-name=%{{GROUP}}
WSGIProcessGroup cobbler
WSGIApplicationGroup %{{GLOBAL}}

# From Cobbler's own cobbler.conf
AliasMatch ^/cblr(?!/svc/)(.*)?$ "{web}$1"
AliasMatch ^/cobbler_track(.*)?$ "{web}$1"
Alias /cobbler {web}
Alias /httpboot {tftp}/grub
Alias /images {tftp}/grub/images
WSGIScriptAliasMatch ^/cblr/svc/([^/]*) {web}/svc/services.py
<Directory "{web}">
    Options Indexes FollowSymLinks
    Require all granted
</Directory>
<Directory "{tftp}/grub">
    Options Indexes FollowSymLinks
    Require all granted
</Directory>
ProxyRequests off
ProxyPass /cobbler_api http://127.0.0.1:{xmlrpc}/
ProxyPassReverse /cobbler_api http://127.0.0.1:{xmlrpc}/
"""


# ---- processes ------------------------------------------------------------------------------------------

def spawn(argv, out_path):
    """Start argv in its own session with stdout+stderr to out_path."""
    with open(out_path, "wb") as out:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                cwd="/", start_new_session=True)


def wait_until(ready, proc, name, log_path, timeout=START_TIMEOUT):
    """Poll ready() until true; raise ToolError with the log's tail if proc dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if proc.poll() is not None:
            raise ToolError(name, "exited with code %s before answering; log %s ends: %s"
                            % (proc.returncode, log_path, tail(log_path)), "read the log")
        time.sleep(0.1)
    raise ToolError(name, "did not answer within %.0f s; log %s ends: %s" % (timeout, log_path, tail(log_path)),
                    "read the log")


def tail(path, lines=5):
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return " | ".join(text.splitlines()[-lines:]) or "(empty)"


def stop_process(proc):
    """SIGTERM, wait a bounded time, then SIGKILL; proc is a Popen or None."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT)


def child_pids(pid):
    """PIDs whose parent is pid (Apache's workers and its mod_wsgi daemon)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and proc_field(entry.name, "PPid") == str(pid):
            found.append(int(entry.name))
    return found


def proc_field(pid, field):
    try:
        for line in Path("/proc/%s/status" % pid).read_text().splitlines():
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cmdline(pid):
    try:
        return Path("/proc/%s/cmdline" % pid).read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def kill_pid(pid, timeout=STOP_TIMEOUT):
    """SIGTERM pid, wait until it is gone (bounded), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (proc_field(pid, "State") or "Z").startswith("Z"):
                return
            time.sleep(0.05)


def stop_stale(state_dir):
    """Stop processes a crashed earlier run left behind, found by its pid files and checked by command line."""
    expected = {"cobblerd.pid": "cobblerd", "apache2.parent.pid": str(state_dir / "apache2.conf"),
                "apache2.pid": str(state_dir / "apache2.conf")}
    for name, needle in expected.items():
        pid_file = state_dir / name
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        if needle in cmdline(pid):
            children = child_pids(pid)
            kill_pid(pid)
            for child in children:
                kill_pid(child)
        remove_file(pid_file)


def task_log(task_id):
    """The lines task TASK_ID wrote to its task log (with their continuation lines, e.g. a traceback).

    Cobbler attaches each task's log file to the root logger, so a task running meanwhile writes there too;
    each line starts with "[<thread name>]", which is the task id for the task's own thread."""
    try:
        text = (TASK_LOG_DIR / ("%s.log" % task_id)).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    mine, keep = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            keep = line.startswith("[%s]" % task_id)
        if keep:
            mine.append(line)
    return "".join(mine)


def task_failure(verb, options, state, text, lines=30):
    return "cobbler task %s %r %s; its log ends:\n%s" % (verb, options, state, "\n".join(text.splitlines()[-lines:]))


def task_options(args):
    """("import", "--path", P, "--name=N") -> ("import", {"path": P, "name": "N"}) as the CLI would send them."""
    action, rest, options = str(args[0]), [str(a) for a in args[1:]], {}
    while rest:
        word = rest.pop(0)
        if not word.startswith("--"):
            raise ValueError("cobbler %s: unexpected argument %r" % (action, word))
        key, has_value, value = word[2:].partition("=")
        if not has_value:
            value = True if key in CLI_FLAGS else rest.pop(0)
        options[CLI_DESTS.get(key, key.replace("-", "_"))] = value
    if action == "import" and "path" in options and "://" not in options["path"]:
        options["path"] = os.path.abspath(options["path"])
    if action == "sync" and "systems" in options:
        options["systems"] = [name for name in options["systems"].split(",") if name]
        return "syncsystems", options
    return CLI_TASKS[action], options


def run_ok(bed, *args):
    """Run the `cobbler` CLI (task actions through bed.task) on BED and return its stdout; any failure fails
    the calling test with the output."""
    rc, out, err = bed.cli(*args)
    assert rc == 0, "cobbler %s failed (%d): %s %s" % (" ".join(map(str, args)), rc, out, err)
    return out
