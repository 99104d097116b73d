"""The Samba account WinPE maps the shares with: created or updated through smbpasswd, the secret on stdin only."""
import os
import subprocess

from cobbler_winpe.errors import InputError, ToolError
from cobbler_winpe.gen import samba, values


def create_smb_account(user, password, smb_conf=None, run=subprocess.run):
    """Create or update the Samba account USER with PASSWORD, enabled, without a prompt or a log of the secret.

    The Unix account must exist (tdbsam maps to it); the password goes to `smbpasswd -s -a` on stdin only.
    SMB_CONF selects another smb.conf (tests use a private one).
    """
    user = samba.user_name(user)
    password = values.text("smb password", password, 127)
    if not password:
        raise InputError("smb password", "empty", "put a password in smb_password_file")
    argv = ["smbpasswd", "-s", "-a"]
    if smb_conf:
        argv += ["-c", smb_conf]
    argv.append(user)
    try:
        done = run(argv, input="%s\n%s\n" % (password, password), capture_output=True, text=True, timeout=30,
                   env=dict(os.environ, LC_ALL="C"))
    except FileNotFoundError:
        raise ToolError("smbpasswd", "not installed", "install the samba package") from None
    except subprocess.TimeoutExpired:
        raise ToolError("smbpasswd", "did not finish in 30 s", "check the Samba passdb backend") from None
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).replace(password, "***").strip().splitlines()
        raise ToolError("smbpasswd -a %s" % user, reason[-1] if reason else "exit %d" % done.returncode,
                        "the Unix account %s must exist (useradd --system %s)" % (user, user))
    return user
