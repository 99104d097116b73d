"""`cobbler import` for Windows media: takes the import task over when its path is a Windows tree, ISO or WinPE .wim."""
import contextlib
import logging
import os
import shutil
import threading

from cobbler_winpe import names
from cobbler_winpe.adapter import items, staging, synclock
from cobbler_winpe.errors import InputError, MediaError, WinpeError
from cobbler_winpe.fsutil import write_atomic
from cobbler_winpe.gen import menus, schema
from cobbler_winpe.host.tree import index_tree
from cobbler_winpe.media.source import open_media
from cobbler_winpe.media.detect import detect
from cobbler_winpe.wim import bootfiles, extract

LOG = logging.getLogger("cobbler_winpe")
UEFI_KERNEL = names.BOOTMGFW.rsplit(".", 1)[0] + ".kernel"
MIRROR_MARK = ".cobbler-winpe-mirror"   # in every mirror folder the plugin made
MEDIA_SDI = "boot/" + names.BOOT_SDI      # where setup media keep boot.sdi, below their root
WINDOWS_MARKERS = tuple(root + "sources/" + names.BOOT_WIM for root in ("", "x64/", "x86/", "arm64/"))


def claims(path):
    """True when the plugin (not Cobbler's signature import) should import PATH: a file (ISO or boot .wim) or a
    Windows tree."""
    if not path or "://" in path:
        return False
    if os.path.isfile(path):
        return True
    if not os.path.isdir(path):
        return False
    try:
        with open_media(path) as media:
            return any(_has(media, marker) for marker in WINDOWS_MARKERS)
    except WinpeError:
        return False


def _has(media, marker):
    """True when MARKER is on the media, or when looking it up was refused (a hostile entry where a Windows
    file should be): the plugin then owns the import and refuses it in one line."""
    try:
        return bool(media.find(marker))
    except MediaError:
        return True


def import_pre(api, args, cfg):
    """task/import/pre: for Windows media, replace the task's runner (upstream's import) with ours."""
    task = threading.current_thread()
    options = getattr(task, "options", None)
    if not isinstance(options, dict) or not claims(options.get("path")):
        return
    LOG.info("cobbler-winpe: importing Windows media from %s", options.get("path"))

    def runner(_task):
        try:
            imported = import_media(api, cfg, options)
        except WinpeError as err:
            LOG.error("cobbler-winpe import failed: %s", err)
            return False
        except (ValueError, TypeError) as err:   # Cobbler refused a value (its item setters raise these)
            LOG.error("cobbler-winpe import failed: Cobbler refused the item: %s", err)
            return False
        LOG.info("cobbler-winpe: imported %s", ", ".join(imported))
        return True

    task._run = runner


@contextlib.contextmanager
def importing(cache):
    """Mark CACHE as being imported, so a sync running meanwhile does not prune it as a deleted distro's."""
    marker = os.path.join(cache, staging.IMPORTING)
    staging.mark_importing(cache)
    try:
        yield
    finally:
        os.unlink(marker)


def mirror_dir(api, name):
    return os.path.join(api.settings().webdir, "distro_mirror", name)


def refuse_foreign_mirror(api, dest):
    """A non-empty DEST the plugin did not make (no mark, and no distro of the plugin's recording it as its own
    mirror) ends the import with one line, before anything is written."""
    recorded = any(items.made_by_plugin(d) and items.meta(d).get("winpe_mirror") == dest
                   and items.meta(d).get(schema.MIRROR_OWNED) == "1" for d in api.distros())
    if os.path.isdir(dest) and os.listdir(dest) and not os.path.exists(os.path.join(dest, MIRROR_MARK)) \
            and not recorded:
        raise InputError(dest, "exists and was not made by cobbler-winpe; nothing was changed",
                         "import under another --name")


def copy_media(api, media, dest):
    """Stream the whole medium into the plugin's distro_mirror folder, logging progress every 10%; what an
    earlier import left there and this medium does not list goes (e.g. the old install image).  The folder
    is marked as the plugin's once the copy is known to fit, before its first file."""
    refuse_foreign_mirror(api, dest)
    plan = media.copy_plan(dest)
    os.makedirs(dest, exist_ok=True)
    write_atomic(os.path.join(dest, MIRROR_MARK),
                 "made by cobbler-winpe: files the medium does not list are deleted on re-import\n")
    total = sum(entry.size for _rel, entry in plan if not entry.is_dir) or 1
    state = {"next": 10, "done": 0}

    def progress(_relpath, size):
        state["done"] += size
        percent = 100 * state["done"] // total
        if percent >= state["next"]:
            LOG.info("cobbler-winpe: copied %d%% of %.1f MiB", percent, total / 1048576)
            state["next"] = percent - percent % 10 + 10

    media.copy_tree(dest, progress=progress, prune_keeping={MIRROR_MARK}, plan=plan)


def build_cache(cfg, media, found, distro_name, mirror):
    """Extract the boot image's WDS files and boot.sdi once into a new cache work folder; returns (that folder,
    the boot files found) for import_distro to swap in.

    The WIM is read from the mirror copy when there is one, so an ISO's boot.wim is never written out twice."""
    tmp = staging.new_cache(cfg, distro_name)
    root = found.root + "/" if found.root else ""
    index = found.boot_wim.boot_index or None
    local = os.path.join(mirror, found.boot_wim.path)
    if os.path.isfile(local):
        boot = extract.extract_boot_files(local, index, tmp)
    else:
        boot = extract.extract_from_media(media, found.boot_wim.path, index, tmp)
    place_sdi(media, root, boot, tmp)
    return tmp, boot


def place_sdi(media, root, boot, cache):
    """cache/boot.sdi: the media's boot/boot.sdi, else the one the boot image carries (a bare WinPE .wim)."""
    sdi, target = media.find(root + MEDIA_SDI), os.path.join(cache, names.BOOT_SDI)
    if sdi:
        with media.open(sdi) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    elif boot.sdi:
        os.link(os.path.join(cache, boot.sdi[0]), target)
    else:
        raise MediaError(media.where(root + MEDIA_SDI), "missing, and the boot image holds no "
                         "Windows/Boot/DVD/PCAT/%s either" % names.BOOT_SDI, "use complete Windows or WinPE media")


def kernel_and_initrd(cache):
    """Cobbler requires a kernel and an initrd file per distro: the NBP (or bootmgfw.efi) and boot.sdi."""
    index = {staged: os.path.join(cache, rel)   # staged name -> cached file, from the one boot-file list
             for rel, staged in bootfiles.select(index_tree(cache).values()).items()}
    sdi = os.path.join(cache, names.BOOT_SDI)
    if names.PXEBOOT in index:
        return index[names.PXEBOOT], sdi
    if names.BOOTMGFW not in index:
        raise MediaError(cache, "the boot image holds neither %s nor %s" % (names.PXEBOOT, names.BOOTMGFW),
                         "use Windows setup media (its %s carries Windows/Boot/PXE and EFI)" % names.BOOT_WIM)
    # UEFI-only media (arm64): Cobbler accepts only kernel names like *.kernel, so link bootmgfw.efi under one
    kernel = os.path.join(cache, UEFI_KERNEL)
    if not os.path.exists(kernel):
        os.link(index[names.BOOTMGFW], kernel)
    return kernel, sdi


def save_distro(api, name, found, cache, boot, mirror, owned):
    kernel, initrd = kernel_and_initrd(cache)
    distro = api.find_distro(name=name) or api.new_distro()
    distro.name = name
    distro.arch = items.COBBLER_ARCH.get(found.arch, found.arch)
    distro.breed = "windows"
    distro.os_version = found.release   # Cobbler's windows os_versions are the release names
    distro.kernel = kernel
    distro.initrd = initrd
    distro.autoinstall_meta = schema.distro_meta(found, mirror, boot.winload, owned)
    api.add_distro(distro, save=True)
    return distro


def save_profile(api, name, distro_name, meta):
    profile = api.find_profile(name=name) or api.new_profile()
    profile.name = name
    profile.distro = distro_name
    profile.autoinstall_meta = dict(meta, **{schema.MADE_BY[0]: schema.MADE_BY[1]})
    api.add_profile(profile, save=True)


def profile_names(distro_name, images):
    """One readable, unique profile name per edition: <distro>-<edition slug>."""
    chosen, seen = [], set()
    for image in images:
        base = "%s-%s" % (distro_name, items.slug(image.name or image.edition_id or str(image.index)))
        name = base if base not in seen else "%s-%d" % (base, image.index)
        seen.add(name)
        chosen.append(name)
    return chosen


def distro_name(base_name, found):
    return "%s-%s" % (base_name, items.COBBLER_ARCH.get(found.arch, found.arch))


def refuse_foreign(api, base_name, info):
    """Before anything is copied or saved: every distro and profile the import would write either does not exist
    or was made by the plugin; an item of someone else's ends the import with one line and changes nothing."""
    for found in info.distros:
        name = distro_name(base_name, found)
        targets = [("distro", name, api.find_distro(name=name)), ("profile", name, api.find_profile(name=name))]
        targets += [("profile", p, api.find_profile(name=p)) for p in profile_names(name, found.install_images)]
        for kind, item_name, item in targets:
            if item is not None and not items.made_by_plugin(item):
                raise InputError("cobbler import --name=%s" % base_name,
                                 "the %s %s exists and was not made by cobbler-winpe; nothing was changed"
                                 % (kind, item_name), "import under another --name")


def import_distro(api, cfg, media, found, base_name, mirror, owned):
    name = distro_name(base_name, found)
    if not found.release:
        raise MediaError(media.where(found.boot_wim.path), "unknown Windows build %s" % found.build,
                         "report it; meanwhile import with --breed=windows --os-version=<e.g. 11 or 2025>")
    tmp, boot = build_cache(cfg, media, found, name, mirror)
    cache = os.path.join(cfg.cache_dir, name)
    # a sync running meanwhile would link the kernel files of the cache being swapped, and Cobbler's lite syncs
    # inside the saves copy the files a full sync copies: synclock keeps the two apart
    with synclock.TREES.held("the import of %s" % name):
        staging.swap_cache(cfg, tmp, cache)
        with importing(cache):
            save_and_profile(api, name, found, cache, boot, mirror, owned)
    return name


def save_and_profile(api, name, found, cache, boot, mirror, owned):
    """Register the distro, one profile per edition and the default profile (named as the distro); a WinPE of
    its own gets that one profile only, booting its image."""
    save_distro(api, name, found, cache, boot, mirror, owned)
    images = found.install_images
    for image, profile in zip(images, profile_names(name, images)):
        save_profile(api, profile, name, schema.profile_meta(image))
    if images:
        save_profile(api, name, name, schema.profile_meta(images[0]))
    else:
        save_profile(api, name, name, {schema.IMAGE_NAME: found.boot_image.name})


def import_media(api, cfg, options):
    """Import every distro on the medium at options['path']; returns the distro names."""
    path, base_name = options.get("path"), options.get("name")
    if not base_name:
        raise InputError("cobbler import", "no --name given", "cobbler import --path=... --name=win10")
    menus.safe_name("import --name", base_name)   # it becomes part of paths, menus and option 252
    with open_media(path) as media:
        info = detect(media)
        if options.get("os_version"):   # the admin's word wins, e.g. for a build this plugin does not know yet
            for found in info.distros:
                found.release = options["os_version"]
        refuse_foreign(api, base_name, info)
        mirror = options.get("available_as") and os.path.isdir(path) and path or mirror_dir(api, base_name)
        owned = mirror != path
        if owned:
            copy_media(api, media, mirror)
        return [import_distro(api, cfg, media, found, base_name, mirror, owned) for found in info.distros]
