"""Error types that say whose fault a failure is, and render as one line: what: why (fix)."""
import re

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")   # C0, DEL, C1, surrogates, non-characters


def escape(text):
    """``text`` with every CONTROL character written as a visible escape (\\n, \\x1b, \\u009b) for a terminal."""
    return CONTROL.sub(lambda match: _escaped(match.group()), str(text))


def _escaped(char):
    return repr(char)[1:-1] if char < "\x80" else "\\u%04x" % ord(char)   # repr keeps C1 raw, so spell it


class WinpeError(Exception):
    """Base of every error this package raises on purpose.

    ``what`` names the thing (a file, a field, an option), ``why`` what is wrong with it and
    ``fix`` what the admin can do about it.  ``str(err)`` is the one line a user sees.
    """

    exit_code = 1

    def __init__(self, what, why, fix=None):
        super().__init__(what, why, fix)
        self.what = str(what)
        self.why = str(why)
        self.fix = fix

    def __str__(self):
        line = "%s: %s" % (self.what, self.why)
        if self.fix:
            line += " (%s)" % self.fix
        return CONTROL.sub("?", line)   # one line, and no escape codes from hostile names


class MediaError(WinpeError):
    """The medium (ISO, tree, WIM, hive) is not readable Windows media or is damaged."""


class InputError(WinpeError):
    """The admin asked for something invalid (a bad name, option or configuration value)."""

    exit_code = 2


class ToolError(WinpeError):
    """The host lacks something (a program, a library, a directory) or it failed."""


class InternalError(WinpeError):
    """A bug in cobbler-winpe: an invariant did not hold."""
