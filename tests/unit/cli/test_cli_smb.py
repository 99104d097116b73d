"""`cobbler-winpe smb-account` refuses, before any account is touched, a password WinPE's cmd.exe cannot carry."""
import os

import pytest

from cobbler_winpe.cli import main as cli_main
from cobbler_winpe.cli import smb


@pytest.mark.parametrize("password", ["pässwort", "/user:x", "*", "euro€", 'quo"te', "end\\"])
def test_password_cmd_cannot_carry_is_refused_before_any_account(tmp_path, monkeypatch, capsys, password):
    secret = tmp_path / "winpe.secret"
    secret.write_text(password + "\n", encoding="utf-8")
    os.chmod(secret, 0o600)
    conf = tmp_path / "winpe.yaml"
    conf.write_text("smb_password_file: %s\n" % secret, encoding="utf-8")
    touched = []
    monkeypatch.setattr(smb, "ensure_unix_user", lambda user: touched.append(user))
    monkeypatch.setattr(smb.host_samba, "create_smb_account", lambda *a, **k: touched.append(a))
    assert cli_main.main(["smb-account", "--config", str(conf)]) != 0
    out = capsys.readouterr()
    lines = out.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cobbler-winpe: smb password: "), out.err
    assert len(password) == 1 or password not in out.err + out.out   # the secret never reaches the terminal
    assert touched == []
