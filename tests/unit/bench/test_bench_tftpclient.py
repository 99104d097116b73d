"""bench/tftpclient.py: the TFTP options on the wire as the Windows boot manager sends them (RFC 2347/2348/2349/7440,
msftwindow as Wireshark's packet-tftp.c documents it) and what the client accepts back."""
import os
import struct
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), "bench"))
import tftpclient  # noqa: E402


def test_rrq_carries_the_boot_managers_options_in_its_order():
    options = tftpclient.request_options(blksize=1456, windowsize=64, msftwindow=True)
    packet = tftpclient.rrq_packet(r"\images\w10\boot.wim", options)
    assert packet == (b"\x00\x01" + b"\\images\\w10\\boot.wim\0octet\0" + b"tsize\x000\0blksize\x001456\0"
                      b"windowsize\x0064\0msftwindow\x0031416\0")


def test_upstreams_bcd_asks_only_for_the_size():
    packet = tftpclient.rrq_packet("boot.wim", tftpclient.request_options())
    assert packet == b"\x00\x01boot.wim\0octet\0tsize\x000\0"


def test_a_nul_in_a_name_is_refused():
    with pytest.raises(ValueError):
        tftpclient.rrq_packet("boot\0.wim", [])


def test_oack_is_read_without_case_and_defaults_fill_what_it_left_out():
    oack = b"\x00\x06BLKSIZE\x001456\0tsize\x00300000000\0"
    options = tftpclient.parse_oack(oack)
    assert options == {"blksize": "1456", "tsize": "300000000"}
    asked = tftpclient.request_options(blksize=1456, windowsize=64, msftwindow=True)
    assert tftpclient.granted(options, asked) == (1456, 1, False)   # no windowsize in OACK: RFC 7440 window 1
    assert tftpclient.granted({"windowsize": "64", "msftwindow": "27182"}, asked) == (512, 64, True)


@pytest.mark.parametrize("options", [{"blksize": "8192"}, {"windowsize": "65"}, {"windowsize": "0"}])
def test_a_server_granting_more_than_asked_is_an_error(options):
    with pytest.raises(tftpclient.TftpError):
        tftpclient.granted(options, tftpclient.request_options(blksize=1456, windowsize=64))


@pytest.mark.parametrize("packet", [b"\x00\x03\x00\x01data", b"\x00\x06blksize\x001456", b"\x00\x06blksize\0"])
def test_malformed_oacks_are_errors(packet):
    with pytest.raises(tftpclient.TftpError):
        tftpclient.parse_oack(packet)


def test_ack_numbers_wrap_and_carry_the_next_window_under_msftwindow():
    assert tftpclient.ack_packet(65536 + 7) == struct.pack("!HH", 4, 7)
    assert tftpclient.ack_packet(3, next_window=64) == b"\x00\x04\x00\x03\x40"
    with pytest.raises(ValueError):
        tftpclient.ack_packet(3, next_window=256)
