"""Tests of the plugin configuration file: defaults, unknown keys, wrong types, bad YAML, secrets kept out of repr."""
import pytest

from cobbler_winpe import config
from cobbler_winpe.errors import InputError


def test_absent_file_gives_every_default(tmp_path):
    cfg = config.load(str(tmp_path / "none.yaml"))
    assert cfg == {key: default for key, (default, _) in config.DEFAULTS.items()}
    assert cfg.cache_dir == "/var/lib/cobbler/winpe"


def test_values_override_defaults(tmp_path):
    path = tmp_path / "winpe.yaml"
    path.write_text("tftp_blocksize: 8192\nboot_method: wimboot\nsmb_guest: true\n")
    cfg = config.load(str(path))
    assert (cfg.tftp_blocksize, cfg.boot_method, cfg.smb_guest) == (8192, "wimboot", True)


@pytest.mark.parametrize("text, words", [
    ("bogus: 1\n", "unknown key bogus"),
    ("tftp_blocksize: big\n", "expected int"),
    ("tftp_blocksize: true\n", "expected int"),
    ("enabled: 'yes'\n", "expected bool"),
    ("boot_method: memdisk\n", "must be 'wds' or 'wimboot'"),
    ("tftp_windowsize: -1\n", "out of range"),
    ("uefi_menu: true\nuefi_ipxe_menu: true\n", "turn one of them off"),
    ("[1, 2]\n", "must hold a mapping"),
    ("a: [\n", "not valid YAML"),
])
def test_bad_files_are_refused_with_one_line(tmp_path, text, words):
    path = tmp_path / "winpe.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        config.load(str(path))
    assert words in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_environment_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "other.yaml"
    path.write_text("locale: de-DE\n")
    monkeypatch.setenv(config.ENV_PATH, str(path))
    assert config.load().locale == "de-DE"


def test_secret_is_read_from_its_own_file(tmp_path):
    secret = tmp_path / "winpe.secret"
    secret.write_text("s3cr3t\n")
    assert config.read_secret(str(secret)) == "s3cr3t"
    assert config.read_secret(str(tmp_path / "absent")) is None


def test_configuration_doc_lists_every_key_and_default():
    import pathlib
    doc = pathlib.Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
    assert doc.read_text() == config.describe(), "regenerate docs/configuration.md from config.describe()"
