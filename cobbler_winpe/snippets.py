"""Finds and reads the plugin's templates the way Cobbler 3.3 finds a snippet: per system, per profile, per distro,
then the admin's snippet folder (Cobbler's autoinstall_snippets_dir), then the copy shipped with the plugin."""
import os
import re

from cobbler_winpe.errors import InputError, ToolError
from cobbler_winpe.fsutil import safe_join
from cobbler_winpe.resources import data_dir

MAX_TEMPLATE = 1 << 20
# Cobbler 3.3's item names (cobbler/items/item.py RE_OBJECT_NAME), less the empty name and the dot names: a name
# that passes is one plain path component, so no level of the lookup can leave its folder.
ITEM_NAME = re.compile(r"[A-Za-z0-9_\-.:]+")
# (level folder, which item's name picks the file); the order of cobbler/template_api.py read_snippet()
LEVELS = (("per_system", "system"), ("per_profile", "profile"), ("per_distro", "distro"))


def item_name(kind, name):
    """NAME when it can be one file name under a per_<kind> folder; InputError otherwise."""
    if not ITEM_NAME.fullmatch(name) or name in (".", ".."):
        raise InputError("%s name %r" % (kind, name), "not a Cobbler object name, so no template override can be "
                         "looked up for it", "rename it (letters, digits, _ - . :)")
    return name


class Templates:
    """The templates of one sync: SNIPPET_DIR (Cobbler's autoinstall_snippets_dir; None: the shipped files only)
    searched as Cobbler searches it, then SHIPPED (the plugin's snippets/ folder).  Each file is read once."""

    def __init__(self, snippet_dir=None, shipped=None):
        self.snippet_dir = snippet_dir or None
        self.shipped = shipped or data_dir("snippets")
        self._read, self._levels = {}, {}

    def candidates(self, template, distro="", profile="", system=""):
        """Every path tried for TEMPLATE (e.g. windows/startnet.cmd.tmpl), first match wins:
        <snippet_dir>/per_system/<template>/<system>, per_profile/<template>/<profile>,
        per_distro/<template>/<distro>, <snippet_dir>/<template>, <shipped>/<template>.  A per_* level whose
        <template> folder does not exist is left out (looked at once per Templates: one sync)."""
        names = {"system": system, "profile": profile, "distro": distro}
        found = []
        if self.snippet_dir:
            for level, kind in LEVELS:
                folder = self._level_folder(level, template)
                name = item_name(kind, names[kind]) if names[kind] else None
                if folder and name:
                    found.append(os.path.join(folder, name))
            found.append(safe_join(self.snippet_dir, template))
        return found + [safe_join(self.shipped, template)]

    def _level_folder(self, level, template):
        """<snippet_dir>/LEVEL/TEMPLATE if that folder exists, else None."""
        if (level, template) not in self._levels:
            folder = safe_join(self.snippet_dir, level + "/" + template)
            self._levels[(level, template)] = folder if os.path.isdir(folder) else None
        return self._levels[(level, template)]

    def find(self, template, distro="", profile="", system=""):
        """The path of the file that serves TEMPLATE for these items; InputError when there is none."""
        tried = self.candidates(template, distro, profile, system)
        for path in tried:
            if os.path.isfile(path):
                return path
        raise InputError("template %s" % template, "not found (tried %s)" % ", ".join(tried),
                         "reinstall cobbler-winpe or put the file in %s" % (self.snippet_dir or self.shipped))

    def source(self, template, distro="", profile="", system=""):
        """The text of TEMPLATE for these items (see candidates)."""
        path = self.find(template, distro, profile, system)
        if path not in self._read:
            self._read[path] = read_template(path)
        return self._read[path]


def read_template(path):
    """PATH's text (UTF-8, at most MAX_TEMPLATE characters)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_TEMPLATE + 1)
    except (OSError, UnicodeDecodeError) as err:
        raise ToolError(path, "cannot read the template: %s" % err, "check the file") from None
    if len(text) > MAX_TEMPLATE:
        raise InputError(path, "template larger than 1 MiB", "split it")
    return text
