"""Tests of the host checks: each reports ok or the fix, and only needed pieces fail `cobbler-winpe check`."""
from cobbler_winpe import checks, config
from cobbler_winpe.cli import main as cli_main


def cfg_with(tmp_path, **values):
    return config.validate(dict({"wimboot": str(tmp_path / "wimboot"), "ipxe_efi": str(tmp_path / "ipxe.efi"),
                                 "smb_include": str(tmp_path / "winpe.conf"),
                                 "tftpd_rules": str(tmp_path / "rules")}, **values))


def test_wimboot_version_is_read_from_the_binary(tmp_path):
    (tmp_path / "wimboot").write_bytes(b"\0" * 100 + b"wimboot v2.8.0 -- Windows Imaging Format" + b"\0" * 10)
    check = checks.wimboot(cfg_with(tmp_path, boot_method="wimboot"))
    assert check.ok and "v2.8.0" in check.detail


def test_missing_wimboot_is_needed_only_for_the_wimboot_method(tmp_path):
    assert checks.wimboot(cfg_with(tmp_path)).needed is False
    check = checks.wimboot(cfg_with(tmp_path, boot_method="wimboot"))
    assert not check.ok and check.needed and "missing" in check.detail
    (tmp_path / "wimboot").write_bytes(b"MZ not it")
    assert "is not wimboot" in checks.wimboot(cfg_with(tmp_path, boot_method="wimboot")).detail


def test_samba_include_line_is_found(tmp_path):
    cfg = cfg_with(tmp_path)
    smb = tmp_path / "smb.conf"
    smb.write_text("[global]\n   workgroup = X\n")
    assert not checks.samba_include(cfg, str(smb)).ok
    smb.write_text("[global]\n   include = %s\n" % cfg.smb_include)
    assert checks.samba_include(cfg, str(smb)).ok


def test_tftpd_remap_option_is_found(tmp_path):
    cfg = cfg_with(tmp_path)
    defaults = tmp_path / "tftpd-hpa"
    defaults.write_text('TFTP_OPTIONS="--secure"\n')
    check = checks.tftpd_remap(cfg, str(defaults))
    assert not check.ok and "-m %s" % cfg.tftpd_rules in check.fix
    defaults.write_text('TFTP_OPTIONS="--secure -m %s"\n' % cfg.tftpd_rules)
    assert checks.tftpd_remap(cfg, str(defaults)).ok


def test_loaders_are_looked_for_in_the_tftproot(tmp_path):
    (tmp_path / "pxechn.c32").write_bytes(b"x")
    found = {c.name: c.ok for c in checks.loaders(str(tmp_path))}
    assert found["pxechn (BIOS Windows entries)"] and not found["pxelinux"]


def test_check_command_exits_non_zero_when_something_needed_is_missing(tmp_path, capsys):
    path = tmp_path / "winpe.yaml"
    path.write_text("ipxe_efi: %s\n" % (tmp_path / "absent.efi"))
    assert cli_main.main(["check", "--config", str(path), "--tftproot", str(tmp_path),
                          "--module-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "MISSING  iPXE for UEFI hand-over" in out and "fix: apt-get install ipxe" in out
    assert "MISSING  cobbler hooks" in out and "fix: cobbler-winpe install-hooks" in out


def test_atftpd_pcre_option_is_found_and_needed_only_with_atftpd(tmp_path):
    cfg = cfg_with(tmp_path, atftpd_rules=str(tmp_path / "atftpd.pcre"))
    defaults = tmp_path / "atftpd"
    absent = checks.atftpd_remap(cfg, str(defaults))
    assert not absent.ok and not absent.needed
    defaults.write_text('USE_INETD=false\nOPTIONS="--daemon --port 69 /srv/tftp"\n')
    check = checks.atftpd_remap(cfg, str(defaults))
    assert not check.ok and check.needed and "--pcre %s" % cfg.atftpd_rules in check.fix
    defaults.write_text('OPTIONS="--daemon --pcre %s.old /srv/tftp"\n' % cfg.atftpd_rules)
    assert not checks.atftpd_remap(cfg, str(defaults)).ok
    defaults.write_text('OPTIONS="--daemon --pcre %s /srv/tftp"\n' % cfg.atftpd_rules)
    assert checks.atftpd_remap(cfg, str(defaults)).ok


def test_nopxe_with_triggers_off_is_warned(tmp_path):
    from cobbler_winpe.cli.check import nopxe_check
    settings = tmp_path / "settings.yaml"
    settings.write_text("nopxe_with_triggers: true\nserver: 127.0.0.1\n")
    assert nopxe_check(str(settings)).ok
    (tmp_path / "settings.d").mkdir()
    (tmp_path / "settings.d" / "site.settings").write_text("nopxe_with_triggers: false\n")   # cobblerd's last word
    row = nopxe_check(str(settings))
    assert not row.ok and not row.needed and "stay on the data share" in row.detail
    assert row.fix == "set nopxe_with_triggers: true in %s and restart cobblerd" % settings
    settings.write_text("nopxe_with_triggers: [unclosed\n")
    assert not nopxe_check(str(settings)).ok
