"""Unit tests of gen.values: text checks and the XML, batch and URL escapes."""
import pytest

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import values


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b", "tab\there", "\x7f", "\x85"])
def test_text_refuses_control_characters(bad):
    with pytest.raises(InputError):
        values.text("field", bad)


def test_xml_escapes_markup():
    assert values.xml("f", "a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;"


def test_batch_value_doubles_percent_and_refuses_quotes_and_line_breaks():
    assert values.batch_value("f", "50%&|<>^;!") == "50%%&|<>^;!"
    for bad in ('a"b', "a\r\nb"):
        with pytest.raises(InputError):
            values.batch_value("f", bad)


def test_url_segment_encodes_separators():
    assert values.url_segment("f", "a b/c?d") == "a%20b%2Fc%3Fd"
    with pytest.raises(InputError):
        values.url_segment("f", "..")


@pytest.mark.parametrize("good", ["10.0.0.1", "cobbler.example.com", "::1"])
def test_host_accepts_addresses(good):
    assert values.host("f", good) == good


@pytest.mark.parametrize("bad", ["a b", "x&y", "host/share", "", "a;b"])
def test_host_refuses_junk(bad):
    with pytest.raises(InputError):
        values.host("f", bad)
