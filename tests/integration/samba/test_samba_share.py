"""A private smbd on loopback serving the generated include: authenticated reads work, writes and guests are refused."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET

import pytest

from cobbler_winpe import config as winpe_config
from cobbler_winpe.gen import samba, startnet
from cobbler_winpe.host import samba as host_samba
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile, WinSystem
from cobbler_winpe.snippets import Templates

pytestmark = pytest.mark.integration
PROGRAMS = ("smbd", "smbclient", "testparm", "smbpasswd", "useradd", "userdel")
PASSWORD = "S3cret&%^|<>;'x"


def _need_programs():
    missing = [name for name in PROGRAMS if not shutil.which(name) and not os.path.exists("/usr/sbin/" + name)]
    if missing:
        pytest.skip("needs %s" % ", ".join(missing))
    if os.geteuid() != 0:
        pytest.skip("needs root: smbd and the test account")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _global_conf(root, port, include):
    state = os.path.join(root, "state")
    os.makedirs(state, exist_ok=True)
    lines = ["[global]", "smb ports = %d" % port, "interfaces = 127.0.0.1", "bind interfaces only = yes",
             "disable netbios = yes", "passdb backend = tdbsam:%s/passdb.tdb" % state,
             "rpc start on demand helpers = no", "log file = %s/log.%%m" % state, "map to guest = Bad User",
             "server signing = mandatory", "server min protocol = SMB2_10", "load printers = no",
             "printing = bsd", "printcap name = /dev/null", "disable spoolss = yes"]
    for key in ("private dir", "lock directory", "state directory", "cache directory", "pid directory",
                "ncalrpc dir", "binddns dir"):
        lines.append("%s = %s" % (key, state))
    lines.append("include = %s" % include)
    return "\n".join(lines) + "\n"


@pytest.fixture
def samba_tree():
    """A world-traversable temp tree (pytest's tmp_path is 0700, smbd reads as the test account)."""
    root = tempfile.mkdtemp(prefix="cwpe-smb-")
    os.chmod(root, 0o755)
    user = "cwpe%s" % uuid.uuid4().hex[:8]
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user], check=True)
    try:
        yield root, user
    finally:
        subprocess.run(["userdel", user], check=False)
        shutil.rmtree(root, ignore_errors=True)


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def _build(root, user, guest=False):
    mirror = os.path.join(root, "mirror", "win10 x64")   # a space in the path, as admins do
    _write(os.path.join(mirror, "setup.exe"), b"MZ fake setup " + os.urandom(64))
    _write(os.path.join(mirror, "sources", "install.wim"), b"MSWIM\0\0\0")
    config = winpe_config.validate({"smb_share": "winpe", "smb_user": user, "smb_guest": guest,
                                    "smb_data_dir": os.path.join(root, "data")})
    distro = WinDistro("win10-x64", "x86_64", "10", mirror)
    profile = WinProfile("win10-pro", "win10-x64", image_index=2)
    system = WinSystem("pc1", "win10-pro", hostname="pc1.example.com", macs=("52:54:00:12:34:56",),
                       meta={"winpe_admin_password": "Adm<in>&"})
    server = Server("127.0.0.1")
    for rel, text in startnet.data_tree([distro], [profile], [system], server,
                                        Templates()).items():
        _write(os.path.join(config["smb_data_dir"], rel), text)
    include = os.path.join(root, "cobbler-winpe.conf")
    _write(include, samba.render_smb_include([distro], server, config))
    port = _free_port()
    conf = os.path.join(root, "smb.conf")
    _write(conf, _global_conf(root, port, include))
    subprocess.run(["chmod", "-R", "a+rX", root], check=True)
    return conf, port, mirror


def _start_smbd(conf, port):
    # Own session: at exit smbd signals its whole process group, which must not be pytest's.
    proc = subprocess.Popen(["smbd", "--foreground", "--no-process-group", "--debug-stdout", "-s", conf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise AssertionError("smbd did not listen on %d" % port)


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _smbclient(conf, port, share, command, user=None, password=None, cwd=None):
    argv = ["smbclient", "-s", conf, "-p", str(port), "//127.0.0.1/%s" % share, "-m", "SMB3",
            "--client-protection=sign", "-c", command]
    env = dict(os.environ)
    if user:
        argv += ["-U", user]
        env["PASSWD"] = password
    else:
        argv.append("-N")
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=cwd)


def test_testparm_accepts_generated_include(samba_tree):
    _need_programs()
    root, user = samba_tree
    conf, _, _ = _build(root, user)
    done = subprocess.run(["testparm", "-s", conf], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Unknown parameter" not in done.stderr and "Ignoring unknown" not in done.stderr, done.stderr
    assert "[winpe-win10-x64]" in done.stdout and "[winpe]" in done.stdout
    assert "valid users = %s" % user in done.stdout


def test_authenticated_read_only_share(samba_tree):
    _need_programs()
    root, user = samba_tree
    conf, port, mirror = _build(root, user)
    host_samba.create_smb_account(user, PASSWORD, smb_conf=conf)
    proc = _start_smbd(conf, port)
    try:
        out = os.path.join(root, "out")
        os.makedirs(out)
        got = _smbclient(conf, port, "winpe-win10-x64", "get setup.exe", user, PASSWORD, cwd=out)
        assert got.returncode == 0, got.stdout + got.stderr
        with open(os.path.join(out, "setup.exe"), "rb") as fetched, \
                open(os.path.join(mirror, "setup.exe"), "rb") as original:
            assert fetched.read() == original.read()
        answer = "systems/52-54-00-12-34-56/unattend-uefi.xml".replace("/", "\\")
        got = _smbclient(conf, port, "winpe", 'get "%s" answer.xml' % answer, user, PASSWORD, cwd=out)
        assert got.returncode == 0, got.stdout + got.stderr
        tree = ET.parse(os.path.join(out, "answer.xml"))
        ns = {"u": "urn:schemas-microsoft-com:unattend"}
        assert tree.find(".//u:ComputerName", ns).text == "pc1"
        put = _smbclient(conf, port, "winpe-win10-x64", "put answer.xml evil.xml", user, PASSWORD, cwd=out)
        assert "NT_STATUS_ACCESS_DENIED" in put.stdout + put.stderr
        assert not os.path.exists(os.path.join(mirror, "evil.xml"))
        wrong = _smbclient(conf, port, "winpe-win10-x64", "ls", user, PASSWORD + "x", cwd=out)
        assert wrong.returncode != 0 and "NT_STATUS_LOGON_FAILURE" in wrong.stdout + wrong.stderr
        anonymous = _smbclient(conf, port, "winpe-win10-x64", "ls", cwd=out)
        assert anonymous.returncode != 0
    finally:
        _stop(proc)


def test_guest_mode_reads_without_credentials(samba_tree):
    _need_programs()
    root, user = samba_tree
    conf, port, _ = _build(root, user, guest=True)
    # guest sessions cannot sign: this share must be reachable with signing merely allowed
    with open(conf) as handle:
        text = handle.read().replace("server signing = mandatory", "server signing = auto")
    _write(conf, text)
    proc = _start_smbd(conf, port)
    try:
        done = subprocess.run(["smbclient", "-s", conf, "-p", str(port), "//127.0.0.1/winpe-win10-x64", "-N",
                               "-c", "ls"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "setup.exe" in done.stdout
    finally:
        _stop(proc)


def _as_nobody(*argv):
    """Run ARGV as the local account nobody (uid and groups dropped), as any other local user would."""
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + list(argv),
                          capture_output=True, text=True, timeout=30)


def test_data_share_is_readable_by_the_share_account_only(samba_tree):
    """The data share as the plugin writes it (adapter.winpe.sync_folder): files 0640 and folders 0750 in the share
    account's group; smbd (as that account) serves the answer file, another local uid reads nothing."""
    _need_programs()
    import pwd
    import stat
    import types
    from cobbler_winpe.adapter import winpe
    root, user = samba_tree
    conf, port, _mirror = _build(root, user)
    data = os.path.join(root, "data")
    files = {rel: open(os.path.join(data, rel), encoding="utf-8").read()
             for rel in (os.path.relpath(os.path.join(d, n), data) for d, _s, names in os.walk(data) for n in names)}
    group = winpe.share_group(types.SimpleNamespace(smb_guest=False, smb_user=user))
    assert group == pwd.getpwnam(user).pw_gid != 0
    winpe.sync_folder(data, files, group=group)
    answer = os.path.join(data, "systems", "52-54-00-12-34-56", "unattend-uefi.xml")
    for folder, _dirs, names in os.walk(data):
        st = os.stat(folder)
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o750, group), folder
        for name in names:
            st = os.stat(os.path.join(folder, name))
            assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o640, group), name
    denied = _as_nobody("cat", answer)
    assert denied.returncode != 0 and "Permission denied" in denied.stderr and "Adm" not in denied.stdout
    assert _as_nobody("ls", data).returncode != 0
    host_samba.create_smb_account(user, PASSWORD, smb_conf=conf)
    proc = _start_smbd(conf, port)
    try:
        out = os.path.join(root, "out")
        os.makedirs(out)
        got = _smbclient(conf, port, "winpe", r'get "systems\52-54-00-12-34-56\unattend-uefi.xml" answer.xml',
                         user, PASSWORD, cwd=out)
        assert got.returncode == 0, got.stdout + got.stderr
        with open(os.path.join(out, "answer.xml"), "rb") as fetched, open(answer, "rb") as original:
            assert fetched.read() == original.read()
    finally:
        _stop(proc)
