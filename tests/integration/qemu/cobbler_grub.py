"""Build GRUB network images exactly as `cobbler mkloaders` does, from the settings install-hooks writes."""
import os
import shlex
import shutil

import yaml

from cobbler_winpe.adapter import install


def stock_settings():
    """Cobbler's shipped settings.yaml (inside the installed wheel)."""
    import cobbler
    return os.path.join(os.path.dirname(os.path.dirname(cobbler.__file__)), "etc", "cobbler", "settings.yaml")


def settings_after_install_hooks(tmp_path):
    """Cobbler's settings with install-hooks' settings.d file applied (as cobblerd reads them)."""
    etc = tmp_path / "etc"
    etc.mkdir(exist_ok=True)
    shutil.copyfile(stock_settings(), etc / "settings.yaml")
    install.install_grub_settings(str(etc / "settings.yaml"))
    extra = yaml.safe_load((etc / "settings.d" / install.GRUB_SETTINGS).read_text())
    settings = yaml.safe_load((etc / "settings.yaml").read_text())
    settings.update(extra)
    return settings


def build(tmp_path, image_format, mkimage_argv=None, tftp_root=None):
    """The image of IMAGE_FORMAT (i386-pc-pxe: grub.0, x86_64-efi: grubx64.efi) made by Cobbler's mkloaders.mkimage,
    with MKIMAGE_ARGV (default: Debian's grub-mkimage) standing in for `grub2-mkimage`; written to
    TFTP_ROOT/grub/<binary_name> (default tmp_path/tftp).  Returns (settings, path)."""
    from cobbler.actions import mkloaders
    settings = settings_after_install_hooks(tmp_path)
    fmt = settings["bootloaders_formats"][image_format]
    shim = tmp_path / ("bin-" + image_format)
    shim.mkdir(exist_ok=True)
    argv = mkimage_argv or [shutil.which("grub-mkimage")]
    (shim / "grub2-mkimage").write_text("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(shlex.quote(a) for a in argv))
    (shim / "grub2-mkimage").chmod(0o755)
    out = (tftp_root or tmp_path / "tftp") / "grub" / fmt["binary_name"]
    old_path = os.environ["PATH"]
    os.environ["PATH"] = "%s:%s" % (shim, old_path)
    try:
        mkloaders.mkimage(image_format, out, settings["bootloaders_modules"] + fmt.get("extra_modules", []))
    finally:
        os.environ["PATH"] = old_path
    return settings, out
