"""Tests for cobbler_winpe.wim.xmlinfo and wim.info: real metadata against wiminfo, and hostile XML refused."""
import io
import time

import pytest

from cobbler_winpe.errors import MediaError
from cobbler_winpe.wim import xmlinfo
from cobbler_winpe.wim.info import read_wim_info, read_wim_info_path
from media_fixtures import samples, utf16, wiminfo_xml, with_xml  # noqa: F401

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<WIM><IMAGE INDEX="1"><NAME>&lol9;</NAME></IMAGE></WIM>"""

EXTERNAL_ENTITY = """<!DOCTYPE WIM [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<WIM><IMAGE INDEX="1"><NAME>&xxe;</NAME></IMAGE></WIM>"""

ONE_IMAGE = """<WIM><IMAGE INDEX="1"><NAME>Windows 10 Pro</NAME><WINDOWS><ARCH>12</ARCH>
<INSTALLATIONTYPE>Client</INSTALLATIONTYPE><VERSION><MAJOR>10</MAJOR><BUILD>0x4A65</BUILD></VERSION>
<LANGUAGES><LANGUAGE>en-US</LANGUAGE><LANGUAGE>de-DE</LANGUAGE><DEFAULT>de-DE</DEFAULT></LANGUAGES>
</WINDOWS></IMAGE></WIM>"""


@pytest.fixture(scope="module")
def win10(samples):
    return samples("win10-x64")


def test_install_images_match_wiminfo(win10):
    """Our parse agrees with wimlib's own XML dump, field by field."""
    path = win10.installs[""]
    info = read_wim_info_path(path)
    oracle = xmlinfo.parse_images(utf16(wiminfo_xml(path)), "oracle")
    assert info.images == oracle
    pro = info.image(2)
    assert (pro.name, pro.edition_id, pro.installation_type, pro.arch, pro.build) == \
        ("Windows 10 Pro", "Professional", "Client", "x86_64", 19045)
    assert (pro.major, pro.minor, pro.spbuild) == (10, 0, 1)
    assert pro.languages == ("en-US",) and pro.default_language == "en-US"
    assert pro.display_name == "Windows 10 Pro" and pro.flags == "Professional"
    assert pro.total_bytes > 0 and pro.file_count >= 2 and not pro.is_server


def test_server_core_and_desktop(samples):
    info = read_wim_info_path(samples("server2022").installs[""])
    kinds = [(i.installation_type, i.is_server) for i in info.images]
    assert kinds == [("Server Core", True), ("Server", True)] * 2
    assert info.image(2).display_name == "Windows Server 2022 Standard (Desktop Experience)"


def test_boot_wim_images(win10):
    info = read_wim_info_path(win10.boot_wims[""])
    assert info.boot_index == 2
    assert [i.name for i in info.images] == ["Microsoft Windows PE (x64)", "Microsoft Windows Setup (x64)"]
    assert info.image(2).installation_type == "WindowsPE"


def test_values_hex_and_languages():
    image = xmlinfo.parse_images(utf16(ONE_IMAGE), "x")[0]
    assert image.build == 0x4A65 and image.arch == "arm64"
    assert image.languages == ("en-US", "de-DE") and image.default_language == "de-DE"
    assert image.minor is None and image.edition_id == ""


@pytest.mark.parametrize("code,arch", [(0, "i386"), (9, "x86_64"), (12, "arm64"), (77, None)])
def test_arch_codes(code, arch):
    assert xmlinfo.WimImage(index=1, arch_code=code).arch == arch


def test_product_type_decides_without_installation_type():
    assert xmlinfo.WimImage(index=1, product_type="ServerNT").is_server
    assert not xmlinfo.WimImage(index=1, product_type="WinNT").is_server


def test_billion_laughs_refused_fast():
    start = time.monotonic()
    with pytest.raises(MediaError, match="DTD or entity"):
        xmlinfo.parse_images(utf16(BILLION_LAUGHS), "bomb.wim")
    assert time.monotonic() - start < 0.5


@pytest.mark.parametrize("text", [EXTERNAL_ENTITY, "<!DOCTYPE WIM><WIM></WIM>"])
def test_any_dtd_refused(text):
    with pytest.raises(MediaError, match="DTD or entity"):
        xmlinfo.parse_images(utf16(text), "x.wim")


@pytest.mark.parametrize("text,message", [
    ("<WIM><IMAGE INDEX='1'></WIM>", "not well-formed"),
    ("<WIM>&undefined;</WIM>", "not well-formed"),
    ("<FOO/>", "expected <WIM>"),
    ("<WIM><IMAGE/></WIM>", "without a valid INDEX"),
    ("<WIM><IMAGE INDEX='1'/><IMAGE INDEX='1'/></WIM>", "index twice"),
    ("<WIM>" + "<A>" * 100 + "</A>" * 100 + "</WIM>", "too deep"),
    ("", "not well-formed"),
])
def test_bad_xml(text, message):
    with pytest.raises(MediaError, match=message):
        xmlinfo.parse_images(utf16(text), "x.wim")


def test_not_utf16():
    with pytest.raises(MediaError, match="UTF-16LE"):
        xmlinfo.parse_images(b"\xff\xfe\x00\xd8", "x.wim")   # a lone surrogate


def test_bomb_inside_a_real_wim(win10):
    data = with_xml(open(win10.boot_wims[""], "rb").read(), utf16(BILLION_LAUGHS))
    with pytest.raises(MediaError, match="DTD or entity"):
        read_wim_info(io.BytesIO(data), "bomb.wim")


def test_xml_size_cap(win10, monkeypatch):
    data = with_xml(open(win10.boot_wims[""], "rb").read(), utf16(ONE_IMAGE))
    monkeypatch.setattr(xmlinfo, "MAX_XML_BYTES", 100)
    with pytest.raises(MediaError, match="too large"):
        read_wim_info(io.BytesIO(data), "big.wim")


def test_compressed_xml_refused(win10):
    data = with_xml(open(win10.boot_wims[""], "rb").read(), utf16(ONE_IMAGE), flags=0x04)
    with pytest.raises(MediaError, match="compressed"):
        read_wim_info(io.BytesIO(data), "x.wim")


def test_truncated_wim_xml_beyond_end(win10):
    data = open(win10.boot_wims[""], "rb").read()
    with pytest.raises(MediaError, match="beyond the end|truncated"):
        read_wim_info(io.BytesIO(data[:-50]), "cut.wim")


def test_image_count_mismatch(win10):
    data = with_xml(open(win10.boot_wims[""], "rb").read(), utf16(ONE_IMAGE))
    with pytest.raises(MediaError, match="counts 2 images but its XML describes 1"):
        read_wim_info(io.BytesIO(data), "x.wim")
