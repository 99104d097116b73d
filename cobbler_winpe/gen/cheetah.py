"""Renders one of the plugin's Cheetah templates from a context dict; the template's text comes from a loader the
caller hands in (cobbler_winpe.snippets.Templates), so no generator reads a file."""
import posixpath
import re

from Cheetah.Filters import Filter
from Cheetah.Template import Template

from cobbler_winpe.errors import InputError, WinpeError
from cobbler_winpe.gen import values

MAX_DEPTH = 8
WINDOWS_DIR = "windows/"   # snippets/windows/: the templates of every file a Windows client reads
SNIPPET_NAME = re.compile(r"[A-Za-z0-9_\-]+")


class Safe(str):
    """Text a filter passes through unchanged: rendered sub-templates and values escaped in Python already."""


class ScriptFilter(Filter):
    """Batch and VBScript templates: values arrive escaped for their place (Safe); anything else is checked to be
    one line of text, so a template cannot slip a line break (a new command) into a script."""

    def filter(self, val, **kwargs):
        if isinstance(val, Safe):
            return str(val)
        if val is None:
            return ""
        return values.text("script template value", val)


def crlf(text):
    """TEXT with CRLF line ends: cmd.exe mis-parses labels in LF-only batch files."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def suffix(template):
    """The extensions of a template path: windows/unattend.xml.tmpl -> .xml.tmpl."""
    name = posixpath.basename(template)
    return name[name.index("."):] if "." in name else ""


def render(templates, template, context, names, filter_class=None, depth=0):
    """TEMPLATE (a path under snippets/: windows/startnet.cmd.tmpl) as TEMPLATES finds it for NAMES ((distro,
    profile, system) names, "" for none), rendered with CONTEXT.  $snippet("name") renders the sibling template
    name<same extensions> the same way (found by the same lookup, so it can be overridden on its own)."""

    def snippet(name):
        name = str(name)
        if not SNIPPET_NAME.fullmatch(name):
            raise InputError("snippet %r in template %s" % (name, template), "not a plain name", "use letters, "
                             "digits, - and _")
        if depth >= MAX_DEPTH:
            raise InputError("template %s" % template, "snippets nest deeper than %d" % MAX_DEPTH,
                             "look for a snippet loop")
        sibling = posixpath.join(posixpath.dirname(template), name + suffix(template))
        return Safe(render(templates, sibling, context, names, filter_class, depth + 1).rstrip("\n"))

    source = templates.source(template, *names)
    options = {"filter": filter_class} if filter_class else {}
    try:
        compiled = Template.compile(source=source)        # Cheetah keeps one compiled class per text
        return str(compiled(searchList=[dict(context, snippet=snippet)], **options))
    except WinpeError:
        raise
    except Exception as err:  # Cheetah syntax or a NameMapper miss in an admin's override
        first = str(err).splitlines()[0] if str(err) else ""
        raise InputError(templates.find(template, *names), "template failed: %s: %s" % (type(err).__name__, first),
                         "fix the template") from None


def names_of(distro=None, profile=None, system=None):
    """The (distro, profile, system) names the lookup of a template's overrides uses; "" for an absent item."""
    return tuple(item.name if item else "" for item in (distro, profile, system))


def render_script(templates, template, context, distro=None, profile=None, system=None):
    """A batch file or VBScript: TEMPLATE for these items rendered through ScriptFilter, with CRLF line ends."""
    return crlf(render(templates, template, context, names_of(distro, profile, system), ScriptFilter))
