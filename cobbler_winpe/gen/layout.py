"""Where every staged file lives: one place that names paths in the TFTP/web trees and as Windows sees them."""
import posixpath

IMAGES = "images"


def distro_dir(distro_name):
    """The distro's folder relative to tftproot (and to webdir): images/<distro>."""
    return posixpath.join(IMAGES, distro_name)


def distro_file(distro_name, name):
    """A staged file of a distro, relative to tftproot: images/<distro>/<name>."""
    return posixpath.join(distro_dir(distro_name), name)


def bcd_file(distro_name, profile_name, firmware):
    """The BCD store of one profile for one firmware, relative to tftproot."""
    suffix = "" if firmware == "bios" else "." + firmware
    return posixpath.join(distro_dir(distro_name), "bcd", profile_name + suffix)


def windows_path(relpath):
    r"""A tftproot-relative path as the Windows boot manager asks for it: \images\win10\boot.wim."""
    return "\\" + relpath.strip("/").replace("/", "\\")
