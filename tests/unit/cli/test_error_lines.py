"""The one-line errors users and cobbler.log see: no secrets in them, and no control or non-characters."""
import pytest

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import unattend, values
from cobbler_winpe.gen.model import WinDistro, WinProfile

DISTRO = WinDistro("win11-x64", "x86_64", "11", "/m", meta={})
KEY = "ABCDE-FGHIJ-KLMNO-PQRST-UVWX!"


def test_a_malformed_product_key_never_reaches_the_error_line():
    profile = WinProfile("pro", "win11-x64", image_index=6, meta={"winpe_product_key": KEY})
    with pytest.raises(InputError) as caught:
        unattend.unattend_context(DISTRO, profile)
    line = str(caught.value)
    assert line.startswith("metadata winpe_product_key: ")
    for piece in KEY.split("-"):
        assert piece not in line, line


@pytest.mark.parametrize("bad", ["\x1b[31m", "\x85", "\x9b", "\ud800", "\ufffe", "\uffff", "\n"])
def test_error_lines_carry_no_control_surrogate_or_non_character(bad):
    line = str(InputError("name %s" % bad, "why"))
    assert bad not in line and "\n" not in line
    line.encode("utf-8")   # a lone surrogate would make this raise


@pytest.mark.parametrize("bad", ["\x85", "\ud800", "\ufffe", "\uffff"])
def test_embedded_text_refuses_what_xml_and_utf8_cannot_carry(bad):
    with pytest.raises(InputError):
        values.text("label", "a%sb" % bad)
