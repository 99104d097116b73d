"""SELinux and firewalld rows of `cobbler-winpe check`: booleans, file contexts and open services, each with its fix."""
import os
import re
import shutil
import subprocess

from cobbler_winpe.checks import Check

TIMEOUT = 20
SAMBA_TYPES = {"samba_share_t", "public_content_t", "public_content_rw_t"}
TFTP_TYPES = {"tftpdir_t", "tftpdir_rw_t", "public_content_t", "public_content_rw_t", "cobbler_var_lib_t"}
COBBLER_BOOLEANS = ("cobbler_can_network_connect", "httpd_can_network_connect_cobbler")
SERVICES = (("tftp", True), ("http", True), ("samba", True), ("proxy-dhcp", False))   # (service, needed)


def run_tool(argv):
    """(exit code, stdout, stderr) of a short query; (None, "", why) when it cannot run."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.SubprocessError) as err:
        return None, "", str(err)
    return done.returncode, done.stdout, done.stderr


def boolean(name):
    """'on', 'off' or None (unknown boolean, or SELinux disabled) from `getsebool NAME` ("NAME --> on")."""
    code, out, _ = run_tool(["getsebool", name])
    found = re.match(r"^(\S+) --> (on|off)\b", out) if code == 0 else None
    return found.group(2) if found and found.group(1) == name else None


def selinux_enabled():
    """False when getsebool says "SELinux is disabled" (it then exits 1 for any boolean)."""
    code, _, err = run_tool(["getsebool", "-a"])
    return not (code != 0 and "disabled" in err.lower())


def context_type(path):
    """The SELinux type of PATH (samba_share_t of system_u:object_r:samba_share_t:s0), or None."""
    try:
        label = os.getxattr(path, "security.selinux").rstrip(b"\0").decode("ascii", "replace")
    except OSError:
        return None
    parts = label.split(":")
    return parts[2] if len(parts) >= 3 else None


def share_paths(include):
    """The `path =` folders of the plugin's Samba include file (the share sections it wrote)."""
    try:
        with open(include, encoding="utf-8", errors="replace") as handle:
            return [m.group(1).strip() for m in (re.match(r"\s*path\s*=\s*(.+)", l) for l in handle) if m]
    except OSError:
        return []


def relabel(path, kind):
    return 'semanage fcontext -a -t %s "%s(/.*)?" && restorecon -Rv %s' % (kind, path.rstrip("/"), path)


def samba_share(cfg):
    """WinPE reads the shares through smbd: samba_export_all_ro on, or every share folder labelled samba_share_t."""
    if boolean("samba_export_all_ro") == "on":
        return Check("selinux samba share", True, "samba_export_all_ro --> on")
    paths = share_paths(cfg["smb_include"])
    wrong = [p for p in paths if context_type(p) not in SAMBA_TYPES]
    if paths and not wrong:
        return Check("selinux samba share", True, "every share folder is samba_share_t: " + ", ".join(paths))
    why = "samba_export_all_ro --> off and " + ("%s not samba_share_t (%s)" % (
        ", ".join(wrong), ", ".join(str(context_type(p)) for p in wrong)) if wrong else
        "no share folders found in " + cfg["smb_include"])
    fixes = ["setsebool -P samba_export_all_ro on"] + ["or " + relabel(p, "samba_share_t") for p in wrong]
    return Check("selinux samba share", False, why, "; ".join(fixes))


def tftp_root(tftproot):
    kind = context_type(tftproot)
    ok = kind in TFTP_TYPES
    return Check("selinux tftp root", ok, "%s is %s" % (tftproot, kind or "unlabelled"),
                 relabel(tftproot, "tftpdir_rw_t"))


def cobbler_booleans():
    rows = []
    for name in COBBLER_BOOLEANS:
        value = boolean(name)
        rows.append(Check("selinux " + name, value == "on", "%s --> %s" % (name, value or "unknown to this policy"),
                          "setsebool -P %s on" % name, value is not None))
    return rows


def selinux_rows(cfg, tftproot):
    if not selinux_enabled():
        return [Check("selinux", True, "getsebool: SELinux is disabled on this host")]
    return [samba_share(cfg), tftp_root(tftproot)] + cobbler_booleans()


def firewalld_rows():
    code, out, err = run_tool(["firewall-cmd", "--state"])
    if code != 0 or out.strip() != "running":
        return [Check("firewalld", True, "firewall-cmd --state: %s" % (out.strip() or err.strip() or "not running"))]
    code, out, err = run_tool(["firewall-cmd", "--list-services"])
    open_services = set(out.split()) if code == 0 else set()
    return [Check("firewalld " + name, name in open_services,
                  "%s %s in the default zone" % (name, "open" if name in open_services else "not open"),
                  "firewall-cmd --permanent --add-service=%s && firewall-cmd --reload" % name, needed)
            for name, needed in SERVICES]


def security_rows(cfg, tftproot):
    """SELinux rows where getsebool exists, firewalld rows where firewall-cmd exists, else one skipped line."""
    rows = []
    if shutil.which("getsebool"):
        rows += selinux_rows(cfg, tftproot)
    if shutil.which("firewall-cmd"):
        rows += firewalld_rows()
    return rows or [Check("selinux/firewalld", True, "skipped: no SELinux/firewalld on this host")]
