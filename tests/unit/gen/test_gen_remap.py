"""Unit tests of gen.remap: rule order, escaping of distro names and refusals (the real tftpd test is integration)."""
import pytest

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen.model import WinDistro
from cobbler_winpe.gen.remap import render_tftpd_remap


def _rules(text):
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_rule_order():
    rules = _rules(render_tftpd_remap([WinDistro("win10-x64", "x86_64", "10", "/m")]))
    assert rules[0] == "rg \\\\ /"
    assert rules.index("a /\\.\\.(/|$)") < rules.index("ri ^/boot/bcd$ /Boot/BCD")
    assert "ri ^/images/win10-x64/ /images/win10-x64/" in rules
    assert all(len(rule.split()) in (2, 3) for rule in rules)


def test_distro_names_are_regex_literals():
    rules = _rules(render_tftpd_remap([WinDistro("w.11+x", "x86_64", "11", "/m")]))
    assert "ri ^/images/w\\.11\\+x/ /images/w.11+x/" in rules


@pytest.mark.parametrize("name", ["a b", "a/b", "a\\b", "a\nb", "..", "a#b"])
def test_bad_distro_names_refused(name):
    with pytest.raises(InputError):
        render_tftpd_remap([WinDistro(name, "x86_64", "10", "/m")])


def test_bad_locale_refused():
    with pytest.raises(InputError):
        render_tftpd_remap([], locales=("en US",))
