"""Finds the project's non-Python files (triggers/, snippets/) in a source checkout or an installed prefix."""
import os
import sys
import sysconfig

from cobbler_winpe.errors import InternalError

SHARE = os.path.join("share", "cobbler-winpe")


def data_dir(name):
    """The folder NAME (e.g. "triggers", "snippets") shipped with this installation."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = [os.path.join(here, name),
                  os.path.join(sys.prefix, SHARE, name),
                  os.path.join(sysconfig.get_path("data"), SHARE, name)]
    for candidate in candidates:
        if os.path.isdir(candidate):
            return candidate
    raise InternalError(name, "not found in %s" % ", ".join(candidates), "reinstall cobbler-winpe")
