"""Cobbler's own grub.0 (its mkloaders mkimage, stock i386-pc-pxe modules + the linux16 install-hooks adds) boots
the generated Windows GRUB entry in QEMU SeaBIOS: iPXE (ipxe.lkrn) runs the profile script and reaches pxeboot.n12."""
import os
import shutil

import pytest
import yaml

import cobbler_grub
import harness
from cobbler_winpe.adapter import install
from cobbler_winpe.gen import layout, menus, model
from cobbler_winpe.snippets import Templates

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DISTRO = model.WinDistro("win10-x64", "x86_64", "10", "/unused")
PROFILE = model.WinProfile("win10-x64-pro", "win10-x64")


def build_grub0(tmp_path):
    """grub.0 exactly as `cobbler mkloaders` builds it from the settings install-hooks writes."""
    return cobbler_grub.build(tmp_path, "i386-pc-pxe")


def test_install_hooks_adds_linux16_and_keeps_every_format(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    shutil.copyfile(cobbler_grub.stock_settings(), etc / "settings.yaml")
    stock = yaml.safe_load((etc / "settings.yaml").read_text())["bootloaders_formats"]
    install.install_grub_settings(str(etc / "settings.yaml"))
    written = yaml.safe_load((etc / "settings.d" / install.GRUB_SETTINGS).read_text())["bootloaders_formats"]
    assert set(written) == set(stock)
    assert written["i386-pc-pxe"]["extra_modules"] == stock["i386-pc-pxe"]["extra_modules"] + ["linux16"]
    assert written["x86_64-efi"] == stock["x86_64-efi"]
    assert install.grub_formats(str(etc / "settings.yaml")) is not None   # our own file is not read back


def test_cobblers_grub0_boots_windows_entry_through_ipxe_lkrn(tmp_path):
    missing = [p for p in ("grub-mkimage", "nasm", harness.QEMU) if not shutil.which(p)]
    missing += [p for p in ("/usr/lib/grub/i386-pc/linux16.mod", os.path.join(harness.IPXE_DIR, "ipxe.lkrn"))
                if not os.path.exists(p)]
    if missing:
        pytest.fail("missing: %s (./scripts/setup.sh installs them)" % ", ".join(missing))
    _settings, grub0 = build_grub0(tmp_path)
    root = str(grub0.parent.parent)
    harness.place_standins(harness.load_standins_builder(), root, [DISTRO.name], "bios", None)
    harness.add_ipxe(root, "ipxe.lkrn", layout.IPXE_LKRN)
    harness.put_file(root, layout.ipxe_script_file(DISTRO.name, PROFILE.name),
                     menus.ipxe_script(menus.ipxe_chain_lines(DISTRO, PROFILE)))
    head = ("serial --speed=115200 --unit=0\nterminal_input serial console\nterminal_output serial console\n"
            "set system='winbox'\nset timeout=1\nset default='%s'\n" % PROFILE.name)   # as Cobbler's system file
    harness.put_file(root, "grub/grub.cfg", head + menus.grub_entry(DISTRO, PROFILE, templates=Templates()))
    result = harness.boot("bios", tftp_root=root, bootfile="grub/grub.0", timeout=90)
    assert "GNU GRUB" in result.text, result.text[-3000:]
    prefix = "STANDIN-NBP %s " % DISTRO.name
    expected = "siaddr=%s file=%s opt252=%s" % (harness.SLIRP_SERVER, layout.nbp_file(DISTRO.name, "bios"),
                                                menus.bcd_option(DISTRO, PROFILE, "bios"))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    assert result.lines(prefix + "pkt=2") == [prefix + "pkt=2 " + expected]
    assert result.lines(prefix + "pkt=3") == [prefix + "pkt=3 " + expected]
