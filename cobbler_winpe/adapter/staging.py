"""Trigger handlers that keep the TFTP and web trees in step with Cobbler's Windows items."""
import fcntl
import logging
import os
import shutil
import time
from contextlib import contextmanager

from cobbler_winpe import config as winpe_config
from cobbler_winpe import names
from cobbler_winpe.adapter import items, winpe
from cobbler_winpe.errors import InputError, MediaError, WinpeError
from cobbler_winpe.host import drivers as host_drivers, tree
from cobbler_winpe.gen import layout, staging, startnet, uefimenu
from cobbler_winpe.gen.model import SETUP

LOG = logging.getLogger("cobbler_winpe")
IMPORTING = ".importing"   # in a distro's cache folder while `cobbler import` fills and registers it
NEW, OLD = ".new", ".old"   # cache_dir/<distro>.new: an import's work folder; <distro>.old: the one it replaces
BLOBS = ".blobs"       # cache_dir/.blobs: generated files (BCDs, scripts) stored once, hard-linked into the trees


@contextmanager
def locked(cfg):
    """One staging at a time (two syncs may run at once); the lock file lives in the plugin's cache."""
    os.makedirs(cfg.cache_dir, exist_ok=True)
    with open(os.path.join(cfg.cache_dir, ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def media_file(distro, relpath):
    """A file of the distro's media tree (case-insensitive below the mirror), or MediaError."""
    folder = current = distro.mirror
    for part in relpath.split("/"):
        try:
            names = {n.lower(): n for n in os.listdir(current)}
        except OSError:
            names = {}
        if part.lower() not in names:
            raise MediaError(os.path.join(folder, relpath), "missing from the distro's media tree",
                             "re-import the media with `cobbler import`")
        current = os.path.join(current, names[part.lower()])
    return current


def plan_distro(distro, profiles, systems, server, cfg, password):
    cache = os.path.join(cfg.cache_dir, distro.name)
    if not os.path.isdir(cache):
        raise MediaError(cache, "boot files of distro %s are not cached" % distro.name,
                         "re-import the media with `cobbler import`")
    boot_wim = media_file(distro, distro.boot_wim)
    if distro.boots_as_is:    # a WinPE of its own, kept as it is: its boot.wim staged unchanged, nothing injected
        wim, inject = winpe.own_image(distro, boot_wim, cache), {}
    else:
        wim = winpe.winpe_wim(distro, boot_wim, cache, server, cfg, password)
        templates = winpe.templates(server)
        inject = {p.name: startnet.winpe_files(distro, server, cfg, password, p, templates=templates,
                                               scan=host_drivers.scan) for p in profiles}
    return staging.distro_plan(distro, profiles, (cache, tree.index_tree(cache)), os.path.join(cache, names.BOOT_SDI),
                               wim, cfg, server, inject,
                               systems)


def check_source(distro, kinds):
    """InputError when a WinPE's winpe_install_from names no Windows setup distro (KINDS: {name: kind})."""
    if distro.install_from and kinds.get(distro.install_from) != SETUP:
        raise InputError("distro %s %s %r" % (distro.name, items.INSTALL_FROM, distro.install_from),
                         "names no Windows setup distro this plugin imported",
                         "name one listed by `cobbler distro list` that was imported from Windows media")


def full_plan(distros, profiles, systems, server, cfg, password):
    """The plan of every Windows distro that can be planned; a broken one is logged and keeps its old files."""
    plan, broken = {}, []
    kinds = {d.name: d.kind for d in distros}
    for distro in distros:
        mine = [p for p in profiles if p.distro == distro.name]
        names = {p.name for p in mine}
        try:
            check_source(distro, kinds)
            plan.update(plan_distro(distro, mine, [s for s in systems if s.profile in names], server, cfg, password))
        except WinpeError as err:
            items.skip("distro", distro.name, err)
            broken.append(layout.distro_dir(distro.name))
    return plan, broken


def stage(api, cfg):
    """Bring both trees to the full plan (folders of broken or refused distros are left as they were, and their
    cache kept), then the service files (Samba, TFTP remap, DHCP)."""
    with locked(cfg):   # the inventory is read under the lock: an import swaps its cache in under it too
        distros, profiles, systems, windows = items.windows_inventory(api, cfg)
        server = items.server_of(api, cfg)
        restore_swaps(cfg)
        password = winpe_config.smb_password(cfg)
        plan, broken = full_plan(distros, profiles, systems, server, cfg, password)
        broken += [layout.distro_dir(name) for name in windows - {d.name for d in distros}]
        blobs = os.path.join(cfg.cache_dir, BLOBS)
        for root in (server.tftproot, server.webdir):
            scope = [d for d in tree.owned_dirs(root) if d not in broken]
            changed, removed = tree.apply_plan(root, plan, scope, blobs)
            LOG.info("cobbler-winpe: %s: %d files changed, %d removed", root, len(changed), len(removed))
        stage_menu(distros, profiles, plan, server, cfg, blobs)
        tree.prune_blobs(blobs)
        winpe.write_service_files(distros, profiles, systems, server, cfg)
        winpe.write_loaders(server, cfg)
        prune_cache(cfg, windows)


def stage_menu(distros, profiles, plan, server, cfg, blobs=None):
    """The UEFI boot-manager menu (gen/uefimenu.py) into the TFTP tree when uefi_menu is on; its folder goes when
    it is off.  A menu that cannot be built is logged and the old one kept."""
    try:
        menu = uefimenu.menu_plan(distros, profiles, plan, cfg)
    except WinpeError as err:
        LOG.error("cobbler-winpe: UEFI menu not updated: %s", err)
        return
    scope = [layout.MENU_DIR] if os.path.isdir(os.path.join(server.tftproot, layout.MENU_DIR)) else []
    tree.apply_plan(server.tftproot, menu, scope, blobs)


def new_cache(cfg, distro_name):
    """An empty, marked work folder (cache_dir/<distro>.new) for an import to fill, then swap_cache() it in.

    The marker goes in first, so a sync running meanwhile never prunes the folder as a deleted distro's."""
    tmp = os.path.join(cfg.cache_dir, distro_name + NEW)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    mark_importing(tmp)
    return tmp


def mark_importing(cache):
    with open(os.path.join(cache, IMPORTING), "w"):
        pass


def swap_cache(cfg, tmp, cache):
    """Replace CACHE by TMP under the staging lock: old aside, new in, old deleted.  A kill in between leaves
    the old folder aside, which the next staging puts back (restore_swaps)."""
    aside = cache + OLD
    with locked(cfg):
        shutil.rmtree(aside, ignore_errors=True)
        if os.path.isdir(cache):
            os.rename(cache, aside)
        os.rename(tmp, cache)
        shutil.rmtree(aside, ignore_errors=True)


def restore_swaps(cfg):
    """Put back a cache folder that a killed swap_cache() left aside (called under the staging lock)."""
    for name in os.listdir(cfg.cache_dir):
        cache = os.path.join(cfg.cache_dir, name[:-len(OLD)])
        if name.endswith(OLD) and not os.path.exists(cache):
            os.rename(os.path.join(cfg.cache_dir, name), cache)
            LOG.info("cobbler-winpe: restored the cached boot files of %s after an interrupted import", cache)


def prune_cache(cfg, keep):
    """Drop the cached boot files of distros Cobbler no longer has (the cache holds one folder per distro)."""
    for name in os.listdir(cfg.cache_dir):
        path = os.path.join(cfg.cache_dir, name)
        cached_distro = os.path.isdir(path) and os.path.exists(os.path.join(path, names.BOOT_SDI))
        if name not in keep and name != BLOBS and cached_distro and not being_imported(path):
            shutil.rmtree(path, ignore_errors=True)
            LOG.info("cobbler-winpe: removed the cached boot files of %s", name)


def being_imported(cache, stale=3600):
    """True while `cobbler import` is registering this distro (a marker younger than STALE seconds)."""
    try:
        return time.time() - os.stat(os.path.join(cache, IMPORTING)).st_mtime < stale
    except FileNotFoundError:
        return False


def sync_post(api, args, cfg):
    stage(api, cfg)


distro_changed = profile_changed = system_changed = sync_post
distro_deleted = profile_deleted = system_deleted = sync_post
