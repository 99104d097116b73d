"""Build PXE ramdisk BCD stores (BIOS winload.exe / UEFI winload.efi): boot manager, loaders, ramdisk options."""
import uuid
from dataclasses import dataclass
from typing import Optional

from cobbler_winpe import names
from cobbler_winpe.bcd.device import boot_device, ramdisk_device
from cobbler_winpe.bcd.elements import (
    BOOTMGR, DEFAULT, DESCRIPTION, DETECTHAL, DEVICE, DISPLAYORDER, FONTPATH, LOADOPTIONS, LOCALE, OSDEVICE, PATH,
    RAMDISKOPTIONS, SDIDEVICE, SDIPATH, SYSTEMROOT, TFTP_BLOCKSIZE, TFTP_VARWINDOW, TFTP_WINDOWSIZE, TIMEOUT, WINPE)
from cobbler_winpe.bcd.store import BcdObject, Store
from cobbler_winpe.errors import CONTROL, InputError

TYPE_BOOTMGR = 0x10100002
TYPE_OSLOADER = 0x10200003
TYPE_DEVICE_OPTIONS = 0x30000000

LOADERS = {fw.name: r"\windows\system32\boot\winload" + fw.winload_ext for fw in names.FIRMWARE.values()}
# Namespace for the loader GUIDs: the same entries always get the same GUIDs.
LOADER_NAMESPACE = uuid.UUID("2f6b1c52-3a7e-4d4e-9d0c-7c1c0b8e6a51")
MAX_ENTRIES = 100


def client_path(path, what):
    """A client-side Windows path: forward slashes turned to backslashes, a leading backslash ensured."""
    if not isinstance(path, str) or not path.strip("\\/") or "\0" in path:
        raise InputError(what, "%r is not a file path" % (path,), "give a path like \\images\\win10\\" + names.BOOT_WIM)
    path = path.replace("/", "\\")
    return path if path.startswith("\\") else "\\" + path


def _number(value, what, low, high):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(what, "%r is not a whole number from %d to %d" % (value, low, high),
                         "pick a value in range")
    return value


def _title(title):
    if not isinstance(title, str) or not title.strip() or CONTROL.search(title) or len(title) > 255:
        raise InputError("BCD entry title", "%a is empty or not plain text" % (title,),
                         "give each entry a title of printable characters")
    return title


def loader_guid(index, title, wim_path):
    return "{%s}" % uuid.uuid5(LOADER_NAMESPACE, "%d\0%s\0%s" % (index, title, wim_path.lower()))


def ramdisk_options(sdi_path, blocksize=None, windowsize=None, varwindow=False, guid=RAMDISKOPTIONS):
    """{ramdiskoptions} (or another device options object GUID): SDI on the boot device, plus the TFTP tuning
    elements when asked."""
    options = BcdObject(guid, TYPE_DEVICE_OPTIONS)
    options.set(DESCRIPTION, "Ramdisk Options").set(SDIDEVICE, boot_device())
    options.set(SDIPATH, client_path(sdi_path, "SDI path"))
    if blocksize is not None:
        options.set(TFTP_BLOCKSIZE, _number(blocksize, "TFTP block size", 512, 65464))
    if windowsize is not None:
        options.set(TFTP_WINDOWSIZE, _number(windowsize, "TFTP window size", 1, 65535))
    if varwindow:
        options.set(TFTP_VARWINDOW, True)
    return options


def os_loader(guid, title, wim_path, loader, locale=None, loadoptions=None, options=RAMDISKOPTIONS):
    """A Windows PE loader entry booting ``wim_path`` as a RAM disk (its SDI named by the OPTIONS object)."""
    device = ramdisk_device(client_path(wim_path, "WIM path for %r" % title), options)
    entry = BcdObject(guid, TYPE_OSLOADER)
    entry.set(DESCRIPTION, _title(title)).set(DEVICE, device).set(OSDEVICE, device)
    entry.set(PATH, loader).set(SYSTEMROOT, "\\windows").set(DETECTHAL, True).set(WINPE, True)
    if locale:
        entry.set(LOCALE, locale)
    if loadoptions:
        entry.set(LOADOPTIONS, loadoptions)
    return entry


def boot_manager(order, default, timeout, fontpath=None, locale=None):
    bootmgr = BcdObject(BOOTMGR, TYPE_BOOTMGR)
    bootmgr.set(DESCRIPTION, "Windows Boot Manager").set(DISPLAYORDER, order).set(DEFAULT, order[default])
    bootmgr.set(TIMEOUT, timeout)
    if fontpath:
        bootmgr.set(FONTPATH, client_path(fontpath, "font path"))
    if locale:
        bootmgr.set(LOCALE, locale)
    return bootmgr


def pxe_store(firmware, sdi_path, entries, loader=None, default=0, timeout=None, tftp_blocksize=None,
              tftp_windowsize=None, tftp_varwindow=False, fontpath=None, locale=None, loadoptions=None):
    """The Store of a PXE ramdisk boot; see build_pxe_store."""
    if firmware not in LOADERS:
        raise InputError("firmware", "%r is not bios or uefi" % (firmware,), "pass bios or uefi")
    entries = list(entries)
    if not 1 <= len(entries) <= MAX_ENTRIES:
        raise InputError("BCD entries", "%d given" % len(entries), "give 1 to %d title/WIM pairs" % MAX_ENTRIES)
    _number(default, "default entry", 0, len(entries) - 1)
    if timeout is None:
        timeout = 30 if len(entries) > 1 else 0
    _number(timeout, "timeout", 0, 86400)
    loader = client_path(loader, "loader path") if loader else LOADERS[firmware]
    loaders = [os_loader(loader_guid(index, title, wim), title, wim, loader, locale, loadoptions)
               for index, (title, wim) in enumerate(entries)]
    order = [entry.guid for entry in loaders]
    objects = [boot_manager(order, default, timeout, fontpath, locale)] + loaders + \
        [ramdisk_options(sdi_path, tftp_blocksize, tftp_windowsize, tftp_varwindow)]
    return Store(objects=objects)


def build_pxe_store(firmware, sdi_path, entries, loader=None, default=0, timeout=None, tftp_blocksize=None,
                    tftp_windowsize=None, tftp_varwindow=False, fontpath=None, locale=None, loadoptions=None,
                    timestamp=None):
    """Hive bytes of a PXE ramdisk BCD store.

    firmware: "bios" or "uefi" (default loader \\windows\\system32\\boot\\winload.exe or .efi); sdi_path and
    the WIM paths in ``entries`` (a list of (title, wim_path)) are client-side paths, forward slashes
    converted.  Several entries make a boot menu; ``default`` is an index into them and ``timeout``
    (seconds) defaults to 0 for one entry and 30 for several.  tftp_* tune the RAM disk download (WDS
    element ids).  ``timestamp`` (FILETIME int or datetime) makes the output byte-for-byte reproducible.
    """
    store = pxe_store(firmware, sdi_path, entries, loader, default, timeout, tftp_blocksize, tftp_windowsize,
                      tftp_varwindow, fontpath, locale, loadoptions)
    return store.record(timestamp)


@dataclass(frozen=True)
class MenuEntry:
    """One entry of a boot menu across distros: its title, WIM, SDI and winload (client paths), load options."""
    title: str
    wim: str
    sdi: str
    loader: str
    loadoptions: Optional[str] = None


def _options_guid(index, sdi_path):
    """{ramdiskoptions} for the first SDI, a stable GUID of its own for each further one."""
    return RAMDISKOPTIONS if index == 0 else "{%s}" % uuid.uuid5(LOADER_NAMESPACE, "sdi\0" + sdi_path.lower())


def build_menu_store(entries, timeout=30, fontpath=None, tftp_blocksize=None, tftp_windowsize=None,
                     tftp_varwindow=False, timestamp=None):
    """Hive bytes of a boot-manager menu: one osloader per MenuEntry (its own WIM, loader and load options),
    in order in {bootmgr} displayorder, the first the default; one device options object per distinct SDI."""
    entries = list(entries)
    if not 1 <= len(entries) <= MAX_ENTRIES:
        raise InputError("BCD menu entries", "%d given" % len(entries), "offer 1 to %d profiles" % MAX_ENTRIES)
    _number(timeout, "timeout", 0, 86400)
    sdis = list(dict.fromkeys(client_path(entry.sdi, "SDI path") for entry in entries))
    options = {sdi: _options_guid(index, sdi) for index, sdi in enumerate(sdis)}
    loaders = [os_loader(loader_guid(index, entry.title, entry.wim), entry.title, entry.wim,
                         client_path(entry.loader, "loader path"), loadoptions=entry.loadoptions,
                         options=options[client_path(entry.sdi, "SDI path")])
               for index, entry in enumerate(entries)]
    order = [entry.guid for entry in loaders]
    objects = [boot_manager(order, 0, timeout, fontpath)] + loaders + \
        [ramdisk_options(sdi, tftp_blocksize, tftp_windowsize, tftp_varwindow, guid) for sdi, guid in options.items()]
    return Store(objects=objects).record(timestamp)
