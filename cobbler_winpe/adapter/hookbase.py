"""What every Cobbler hook module calls: binds a trigger category to its handler and contains its failures."""
import importlib
import logging

from cobbler_winpe import config as winpe_config
from cobbler_winpe.errors import InputError, WinpeError

TRIGGER_ROOT = "/var/lib/cobbler/triggers/"
LOG = logging.getLogger("cobbler_winpe")

# category -> "module:function" under cobbler_winpe.adapter; each handler is handler(api, args, cfg) -> None.
HANDLERS = {
    "task/import/pre": "importer:import_pre",
    "task/sigupdate/post": "signatures:sigupdate_post",
    "sync/pre": "synclock:sync_pre",
    "sync/post": "synclock:sync_post",
    "add/distro/post": "staging:distro_changed",
    "add/profile/post": "staging:profile_changed",
    "add/system/post": "staging:system_changed",
    "delete/distro/post": "staging:distro_deleted",
    "delete/profile/post": "staging:profile_deleted",
    "delete/system/post": "staging:system_deleted",
    "install/post": "status:installed",
    "install/firstboot": "status:first_boot",
    "add/distro/pre": "validate:distro_pre",
    "add/profile/pre": "validate:profile_pre",
    "add/system/pre": "validate:system_pre",
}
# categories whose handler may refuse Cobbler's operation: an InputError there aborts the save with its line
REFUSING = ("add/distro/pre", "add/profile/pre", "add/system/pre")


def handler_for(category):
    module_name, function_name = HANDLERS[category].split(":")
    module = importlib.import_module("cobbler_winpe.adapter." + module_name)
    return getattr(module, function_name)


def dispatch(category, api, args):
    """Run the handler; a failure is logged as one line and never aborts Cobbler's own operation, except a bad
    value found by a pre-save check (REFUSING): Cobbler then refuses the save and shows the line to whoever
    saved.  A broken winpe.yaml or a bug never refuses anything."""
    refused = None
    try:
        cfg = winpe_config.load()
        if not cfg.enabled:
            return 0
        handler = handler_for(category)
        try:
            handler(api, list(args or ()), cfg)
        except InputError as err:
            if category not in REFUSING:
                raise
            refused = err
    except WinpeError as err:
        LOG.error("cobbler-winpe %s: %s", category, err)
    except Exception:  # a bug here must not break Cobbler's sync of everything else
        LOG.exception("cobbler-winpe %s: internal error (Linux items are unaffected; please report)", category)
    if refused is not None:
        LOG.error("cobbler-winpe %s: refused: %s", category, refused)
        from cobbler.cexceptions import CX   # the adapter is the one package that imports cobbler
        raise CX("cobbler-winpe: %s" % refused)
    return 0


def bind(category):
    """The (register, run) pair a Cobbler module needs for CATEGORY, e.g. "sync/post"."""
    if category not in HANDLERS:
        raise KeyError(category)

    def register():
        return TRIGGER_ROOT + category + "/*"

    def run(api, args):
        return dispatch(category, api, args)

    return register, run
