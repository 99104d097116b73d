"""Windows os_versions Cobbler 3.3's signature file lacks: added at install-hooks and again after every
`cobbler signature update` (which rewrites the file from signature_url and would drop them)."""
import copy
import json

from cobbler_winpe.errors import ToolError
from cobbler_winpe.fsutil import write_atomic

# os_version -> (entry to copy, version regex).
EXTRA_WINDOWS_VERSIONS = {"2025": ("2022", "^Name:.*Windows Server 2025.*$")}


def add_signatures(path):
    """Add the missing Windows os_versions to Cobbler's signature file at PATH; existing entries are never
    changed. Returns the versions added."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as err:
        raise ToolError(path, "cannot read Cobbler's distro signatures: %s" % err,
                        "check signature_path in Cobbler's settings") from None
    windows = data.get("breeds", {}).get("windows", {})
    added = []
    for version, (template, regex) in EXTRA_WINDOWS_VERSIONS.items():
        if version not in windows and template in windows:
            windows[version] = dict(copy.deepcopy(windows[template]), version_file_regex=regex)
            added.append(version)
    if added:
        write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return added


def sigupdate_post(api, _args, _cfg):
    """task/sigupdate/post: put the versions back into the freshly downloaded file and into Cobbler's cache."""
    from cobbler import utils  # the adapter is the one place that may import cobbler
    path = api.settings().signature_path
    if add_signatures(path):
        utils.load_signatures(path)
