"""Checks and escapes for admin-supplied values embedded in generated text (XML, batch, smb.conf, URLs)."""
import re
import urllib.parse

import netaddr

from cobbler_winpe.errors import CONTROL as _CONTROL   # never meaningful in a name, a path or a password we embed
from cobbler_winpe.errors import InputError

MAX_TEXT = 1024


def text(what, value, max_len=MAX_TEXT, forbidden=""):
    """VALUE as a str with no control characters (newlines included), at most MAX_LEN long, none of FORBIDDEN."""
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(what, "expected text, got %s" % type(value).__name__)
    value = str(value)
    if len(value) > max_len:
        raise InputError(what, "longer than %d characters" % max_len, "shorten it")
    found = _CONTROL.search(value)
    if found:
        raise InputError(what, "contains the control character %r" % found.group(), "remove it (newlines included)")
    bad = sorted(set(ch for ch in value if ch in forbidden))
    if bad:
        raise InputError(what, "contains %s" % " ".join(repr(ch) for ch in bad),
                         "these characters cannot be used here")
    return value


def number(what, value, low, high):
    """VALUE (an int or its decimal text) as an int from LOW to HIGH."""
    text_value = text(what, value, 20).strip()
    if not re.fullmatch(r"[0-9]+", text_value) or not low <= int(text_value) <= high:
        raise InputError("%s %r" % (what, text_value), "not a whole number from %d to %d" % (low, high),
                         "set a number in that range")
    return int(text_value)


def flag(value):
    """A metadata switch as a bool: true/yes/on/1 (any case) are true, everything else false."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "y")


def xml(what, value, max_len=MAX_TEXT):
    """VALUE checked and escaped for XML text or a double- or single-quoted attribute."""
    value = text(what, value, max_len)
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))


def batch_value(what, value, max_len=MAX_TEXT):
    """VALUE escaped for the inside of a cmd.exe line `set "NAME=value"`, which then stores it literally when
    delayed expansion is off.

    Inside the quotes & | < > ^ are literal; % is doubled; a double quote or a newline cannot be made safe
    and is refused.  Scripts read the variable back only as !NAME! (delayed expansion), never as %NAME%.
    """
    return text(what, value, max_len, forbidden='"').replace("%", "%%")


def url_segment(what, value):
    """VALUE percent-encoded as one URL path segment (no / left), after the usual text checks."""
    value = text(what, value, 255)
    if value in ("", ".", ".."):
        raise InputError(what, "empty or a dot segment", "give a real name")
    return urllib.parse.quote(value, safe="")


HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?")


def is_ip(value):
    """True for an IPv4 address in dotted-quad form or an IPv6 address (netaddr, strict: no '10.1' shorthand)."""
    try:
        netaddr.IPAddress(value, flags=netaddr.INET_PTON)
        return True
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return False


def host(what, value):
    """A host name or IP address usable in a URL and a UNC path: an address netaddr accepts (IPv6 also in
    brackets), or a DNS name of letters, digits, dots and dashes that is not an address gone wrong."""
    value = text(what, value, 253)
    bare = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    if is_ip(bare) or (bare == value and HOST_NAME.fullmatch(value) and not re.fullmatch(r"[0-9.]+", value)):
        return value
    raise InputError(what, "not a host name or IP address: %r" % value, "use the address clients reach")


def http_base(address, port):
    """http://ADDRESS[:PORT] (no port for 80): the one way a URL of the Cobbler server starts."""
    address = host("server address", address)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise InputError("server http_port %r" % (port,), "not a TCP port", "use 1-65535")
    return "http://%s%s" % (address, "" if port == 80 else ":%d" % port)


def mac(what, value):
    """VALUE as a 48-bit MAC (netaddr parses the colon, dash, dot and bare forms); 12 hex digits required, so
    netaddr's reading of a bare number ("1") as an address is refused too."""
    value = text(what, value, 32)
    try:
        eui = netaddr.EUI(value)
    except (netaddr.AddrFormatError, TypeError, ValueError):
        eui = None
    if eui is None or eui.version != 48 or len(re.sub(r"[^0-9A-Fa-f]", "", value)) != 12:
        raise InputError("%s %r" % (what, value), "not 6 bytes of hex", "use the form 52:54:00:ab:cd:ef")
    return eui
