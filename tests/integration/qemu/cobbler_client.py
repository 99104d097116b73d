"""A QEMU BIOS client booting the menu a real cobblerd wrote: used by the QEMU tests and the README demo."""
import dataclasses
import os
import re
import shutil

import harness

from cobbler_winpe.sample import media as sample


def standin_media(workdir, preset, distro_name):
    """Sample media whose boot.wim carries a stand-in pxeboot.n12 that names itself DISTRO_NAME when it runs."""
    builder = harness.load_standins_builder()
    nbp = builder.build_nbp(distro_name, os.path.join(workdir, "standin-%s.n12" % distro_name))
    with open(nbp, "rb") as handle:
        data = handle.read()
    spec = dataclasses.replace(sample.preset(preset, boot_files={"Windows/Boot/PXE/pxeboot.n12": data}),
                               name=distro_name + "-media")
    return sample.build_sample_media(workdir, spec)


def client_tree(tftproot, workdir, choose, config="default"):
    """A copy of Cobbler's TFTP tree whose pxelinux CONFIG (default, or a system's 01-<mac>) also prints on COM1,
    with a short menu timeout and, unless CHOOSE is None, CHOOSE picked at that timeout.

    QEMU's built-in TFTP serves a folder, so the client boots a copy; only the lines a serial console and an
    unattended choice need are changed, every other byte is what cobblerd wrote.
    """
    root = os.path.join(workdir, "tftp")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(tftproot, root, symlinks=False)
    path = os.path.join(root, "pxelinux.cfg", config)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if choose is not None:
        text = re.sub(r"(?m)^ONTIMEOUT .*$", "ONTIMEOUT " + choose, text)
    text = re.sub(r"(?m)^TIMEOUT .*$", "TIMEOUT 20", text)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(harness.with_serial_console(text))
    return root


def boot_menu_entry(tftproot, workdir, label, timeout=60):
    """Boot the BIOS client on a copy of TFTPROOT with LABEL chosen; returns harness.Boot."""
    root = client_tree(tftproot, workdir, label)
    return harness.boot("bios", tftp_root=root, bootfile="pxelinux.0", timeout=timeout)
