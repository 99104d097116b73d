"""Trigger handlers that keep the TFTP and web trees in step with Cobbler's Windows items."""
import fcntl
import logging
import os
import shutil
import time
from contextlib import contextmanager

from cobbler_winpe import config as winpe_config
from cobbler_winpe.adapter import items, winpe
from cobbler_winpe.errors import MediaError, WinpeError
from cobbler_winpe.gen import layout, staging, startnet

LOG = logging.getLogger("cobbler_winpe")
IMPORTING = ".importing"   # in a distro's cache folder while `cobbler import` registers the distro
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
    wim = winpe.winpe_wim(distro, media_file(distro, distro.boot_wim), cache, server, cfg, password)
    inject = {p.name: startnet.winpe_files(distro, server, cfg, password, p) for p in profiles}
    return staging.distro_plan(distro, profiles, cache, os.path.join(cache, "boot.sdi"), wim, cfg, server, inject,
                               systems)


def full_plan(distros, profiles, systems, server, cfg, password):
    """The plan of every Windows distro that can be planned; a broken one is logged and keeps its old files."""
    plan, broken = {}, []
    for distro in distros:
        mine = [p for p in profiles if p.distro == distro.name]
        names = {p.name for p in mine}
        try:
            plan.update(plan_distro(distro, mine, [s for s in systems if s.profile in names], server, cfg, password))
        except WinpeError as err:
            LOG.error("cobbler-winpe: skipping distro %s: %s", distro.name, err)
            broken.append(layout.distro_dir(distro.name))
    return plan, broken


def stage(api, cfg):
    """Bring both trees to the full plan (folders of broken distros are left as they were), then the
    service files (Samba, TFTP remap, DHCP)."""
    distros, profiles, systems = items.windows_inventory(api)
    server = items.server_of(api, cfg)
    with locked(cfg):
        password = winpe_config.smb_password(cfg)
        plan, broken = full_plan(distros, profiles, systems, server, cfg, password)
        blobs = os.path.join(cfg.cache_dir, BLOBS)
        for root in (server.tftproot, server.webdir):
            scope = [d for d in staging.owned_dirs(root) if d not in broken]
            changed, removed = staging.apply_plan(root, plan, scope, blobs)
            LOG.info("cobbler-winpe: %s: %d files changed, %d removed", root, len(changed), len(removed))
        staging.prune_blobs(blobs)
        winpe.write_service_files(distros, profiles, systems, server, cfg)
        winpe.write_loaders(server, cfg)
        prune_cache(cfg, {d.name for d in distros})


def prune_cache(cfg, keep):
    """Drop the cached boot files of distros Cobbler no longer has (the cache holds one folder per distro)."""
    for name in os.listdir(cfg.cache_dir):
        path = os.path.join(cfg.cache_dir, name)
        cached_distro = os.path.isdir(path) and os.path.exists(os.path.join(path, "boot.sdi"))
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
