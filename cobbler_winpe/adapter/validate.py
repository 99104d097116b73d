"""Cobbler add/<type>/pre: refuse to save a Windows distro, profile or system whose answer settings (winpe_*
metadata) are not valid, with one line, leaving the item as it was saved; other items are never looked at."""
import logging
import sys

from cobbler_winpe.adapter import items
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import answer_meta, unattend

LOG = logging.getLogger("cobbler_winpe")


def item_being_saved(api, kind, name):
    """The object Cobbler is about to save.  Cobbler 3.3 passes a pre trigger only the name
    (utils.run_triggers(api, ref, globber) calls run(api, [ref.name]); collection.add calls it before the item
    joins the collection), so a new item is found in run_triggers' own frame; else the stored item by name."""
    frame = sys._getframe(1)
    while frame is not None:
        ref = frame.f_locals.get("ref") if frame.f_code.co_name == "run_triggers" else None
        if ref is not None and getattr(ref, "name", None) == name:
            return ref
        frame = frame.f_back
    return api.find_items(kind, name=name, return_list=False, no_errors=True)


def check_item(kind, ref, cfg):
    """Raise InputError when REF's blended metadata would not make a valid answer file."""
    if kind == "distro":
        answer_meta.read(items.meta(ref), cfg.locale, cfg.timezone)
        return
    profile = ref if kind == "profile" else ref.api.find_profile(name=ref.profile, return_list=False)
    distro = profile.distro if profile else None
    if distro is None:
        return   # a sub-profile or an image system: the plugin stages neither (items.windows_inventory)
    system = items.to_system(ref) if kind == "system" else None
    unattend.unattend_context(items.to_distro(distro), items.to_profile(profile), system, cfg)


def restore_saved_meta(api, kind, ref):
    """Put back the saved metadata of an existing item that XML-RPC modify_* already changed in memory (Cobbler
    edits the live object before save_*), so the refused values do not linger until cobblerd restarts."""
    if api.find_items(kind, name=ref.name, return_list=False, no_errors=True) is not ref:
        return   # a new item: refusing it is enough
    try:
        saved = api._collection_mgr.deserialize_one_item(ref)   # pylint: disable=protected-access
        ref.autoinstall_meta = saved.get("autoinstall_meta", {})
    except Exception as err:   # the refusal stands either way
        LOG.warning("cobbler-winpe: could not reload the saved metadata of %s %s: %s", kind, ref.name,
                    type(err).__name__)


def refuse_bad_answer_settings(kind, api, args, cfg):
    name = args[0] if args else ""
    ref = item_being_saved(api, kind, name)
    if ref is None or not items.is_windows(ref):
        return
    try:
        check_item(kind, ref, cfg)
    except InputError as err:
        restore_saved_meta(api, kind, ref)
        raise InputError("%s %s: %s" % (kind, name, err.what), err.why, err.fix) from None


def distro_pre(api, args, cfg):
    refuse_bad_answer_settings("distro", api, args, cfg)


def profile_pre(api, args, cfg):
    refuse_bad_answer_settings("profile", api, args, cfg)


def system_pre(api, args, cfg):
    refuse_bad_answer_settings("system", api, args, cfg)
