"""`cobbler-winpe smb-account`: creates the read-only Unix and Samba account WinPE maps the share with."""
import pwd
import subprocess

from cobbler_winpe import config
from cobbler_winpe.host import samba as host_samba
from cobbler_winpe.cli import main
from cobbler_winpe.errors import ToolError
from cobbler_winpe.gen import samba, startnet


def ensure_unix_user(user):
    try:
        pwd.getpwnam(user)
        return False
    except KeyError:
        pass
    argv = ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", user]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ToolError(" ".join(argv), (done.stderr or "exit %d" % done.returncode).strip(), "run it as root")
    return True


def run(args):
    cfg = main.settings(args)
    if cfg.smb_guest:
        print("smb_guest is true: the share needs no account")
        return 0
    user = samba.user_name(cfg.smb_user)
    password = startnet.check_password(config.smb_password(cfg))   # WinPE's cmd.exe must carry it to net.exe
    created = ensure_unix_user(user)
    host_samba.create_smb_account(user, password, smb_conf=args.smb_conf)
    print("%s Unix account %s; Samba password set from %s" % ("created" if created else "kept", user,
                                                              cfg.smb_password_file))
    return 0


def register(subparsers):
    parser = subparsers.add_parser("smb-account", help="create the read-only account WinPE maps the share with")
    main.config_option(parser)
    parser.add_argument("--smb-conf", help="another smb.conf (default Samba's)")
    parser.set_defaults(func=run)
