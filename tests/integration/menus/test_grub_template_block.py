"""Cobbler's stock grub.template with the plugin's block, rendered by Cobbler's Templar for a known Windows system:
GRUB's own parser accepts the file and it keeps Cobbler's `set system/timeout/default` (no 80 s wait on local)."""
import os
import shutil
import subprocess

import pytest

from cobbler_winpe.adapter import install

pytestmark = pytest.mark.integration
HERE = os.path.dirname(os.path.abspath(__file__))
SNIPPETS = os.path.join(HERE, "..", "..", "..", "snippets")


class DefaultSettingsApi:
    """What Templar needs of Cobbler's API: settings (Cobbler's defaults)."""
    def settings(self):
        from cobbler.settings import Settings
        return Settings()


def stock_grub_template():
    import cobbler
    path = os.path.join(os.path.dirname(os.path.dirname(cobbler.__file__)), "etc", "cobbler", "boot_loader_conf",
                        "grub.template")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def render_for_system(netboot_enabled):
    from cobbler.templar import Templar
    meta = {"system_name": "winbox", "netboot_enabled": netboot_enabled, "menu_name": "win10-x86_64-pro",
            "menu_label": "win10-x86_64-pro", "profile_name": "win10-x86_64-pro", "distro_name": "win10-x86_64",
            "breed": "windows", "os_version": "10", "kernel_path": "(tftp)/images/win10-x86_64/pxeboot.n12",
            "kernel_options": "", "initrd_path": "", "initrd": [], "img_path": "", "http_server": "192.0.2.5",
            "mgmt_parameters": {"winpe": "1"}, "autoinstall_snippets_dir": os.path.abspath(SNIPPETS)}
    return Templar(DefaultSettingsApi()).render(install.with_block(stock_grub_template(), "grub"), meta, None)


def set_statements(text):
    """{variable: value} of GRUB's top-level `set NAME=VALUE` lines (quotes removed)."""
    found = {}
    for line in text.splitlines():
        if line.startswith("set ") and "=" in line:
            name, value = line[4:].split("=", 1)
            found[name] = value.strip("'\"")
    return found


@pytest.mark.parametrize("netboot_enabled", [True, False])
def test_system_grub_file_keeps_cobblers_default_and_timeout(tmp_path, netboot_enabled):
    text = render_for_system(netboot_enabled)
    assert set_statements(text) == {"system": "winbox", "timeout": "1",
                                    "default": "win10-x86_64-pro" if netboot_enabled else "local"}
    if not shutil.which("grub-script-check"):
        pytest.fail("grub-script-check (grub-common) is not installed: ./scripts/setup.sh installs it")
    path = tmp_path / "grub.cfg"
    path.write_text(text)
    done = subprocess.run(["grub-script-check", str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


def test_windows_entry_follows_the_set_lines():
    """The Windows entry comes after Cobbler's header, so the default names an entry GRUB has when it boots."""
    text = render_for_system(True)
    lines = text.splitlines()
    default_at = next(i for i, line in enumerate(lines) if line.startswith("set default="))
    entry_at = next(i for i, line in enumerate(lines) if line.startswith("menuentry "))
    assert default_at < entry_at
    assert "--id 'win10-x86_64-pro'" in lines[entry_at]
