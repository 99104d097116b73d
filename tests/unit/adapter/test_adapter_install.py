"""Tests of install-hooks/remove-hooks on a Cobbler laid out in a temp folder (no cobblerd needed)."""
import json
import os
import sys

import pytest
from Cheetah.Template import Template

from cobbler_winpe.adapter import install, signatures
from cobbler_winpe.cli import main as cli_main

SIGNATURES = {"breeds": {"windows": {"2022": {"version_file_regex": "^Name:.*2022.*$", "kernel_file": "x"},
                                     "10": {"version_file_regex": "10"}},
                         "redhat": {"rhel9": {}}}}
DHCP_STOCK = "subnet 10.0.0.0 netmask 255.0.0.0 {\n}\ngroup {\n    host $iface.name {\n        hardware ethernet $mac;\n    }\n}\n"
STOCK = "#if $breed == 'redhat'\nLABEL $menu_name\n#end if\nstock $menu_name\n"


@pytest.fixture
def fake_cobbler(tmp_path):
    templates = tmp_path / "boot_loader_conf"
    templates.mkdir()
    for fmt in install.MENU_FORMATS:
        (templates / (fmt + ".template")).write_text(STOCK)
    signatures = tmp_path / "distro_signatures.json"
    signatures.write_text(json.dumps(SIGNATURES))
    settings = tmp_path / "settings.yaml"
    settings.write_text("boot_loader_conf_template_dir: %s\nautoinstall_snippets_dir: %s\nsignature_path: %s\n"
                        % (templates, tmp_path / "snippets", signatures))
    (tmp_path / "dhcp.template").write_text(DHCP_STOCK)
    modules = tmp_path / "modules"
    modules.mkdir()
    return tmp_path, str(settings), str(modules)


def test_install_then_remove_restores_templates(fake_cobbler):
    root, settings, modules = fake_cobbler
    assert cli_main.main(["install-hooks", "--module-dir", modules, "--settings", settings]) == 0
    hooks = sorted(os.listdir(os.path.join(modules, "winpe")))
    assert "__init__.py" in hooks and "winpe_sync_post.py" in hooks and "winpe_import_pre.py" in hooks
    text = (root / "boot_loader_conf" / "pxe.template").read_text()
    assert text.count(install.BEGIN) == 1 and text.endswith(STOCK)
    assert (root / "snippets" / "cobbler_winpe").is_dir()
    # a second install changes nothing and never doubles the block
    assert cli_main.main(["install-hooks", "--module-dir", modules, "--settings", settings]) == 0
    assert (root / "boot_loader_conf" / "pxe.template").read_text() == text
    dhcp = (root / "dhcp.template").read_text()
    assert dhcp.startswith(install.BEGIN) and "option cobbler-winpe-bcd code 252 = text;" in dhcp
    assert cli_main.main(["remove-hooks", "--module-dir", modules, "--settings", settings]) == 0
    assert (root / "boot_loader_conf" / "pxe.template").read_text() == STOCK
    assert (root / "dhcp.template").read_text() == DHCP_STOCK
    assert not os.path.exists(os.path.join(modules, "winpe"))


def test_template_type_line_stays_first():
    text = install.with_block("#template=cheetah\n" + STOCK, "pxe")
    assert text.startswith("#template=cheetah\n" + install.BEGIN)
    assert install.without_block(text) == "#template=cheetah\n" + STOCK


def render(text, **values):
    values = dict(values, SNIPPET=lambda name: "SNIPPET " + name)
    return str(Template(text, searchList=[values]))


@pytest.mark.parametrize("values, expected", [
    ({"breed": "redhat", "menu_name": "rh"}, "LABEL rh\nstock rh\n"),
    ({"breed": "windows", "mgmt_parameters": {}, "menu_name": "up"}, "stock up\n"),
    ({"breed": "windows", "mgmt_parameters": {"winpe": "1"}, "menu_name": "w"}, "SNIPPET cobbler_winpe/menu_pxe\n"),
    ({"breed": "windows", "mgmt_parameters": {"winpe": "1"}, "menu_name": "s", "system_name": "s", "netboot_enabled": False},
     "stock s\n"),
    ({"breed": "windows", "mgmt_parameters": {"winpe": "1"}, "menu_name": "s", "system_name": "s", "netboot_enabled": True},
     "SNIPPET cobbler_winpe/menu_pxe\n"),
])
def test_block_takes_over_only_plugin_windows_items(values, expected):
    text = install.with_block(STOCK, "pxe")
    out = "\n".join(line for line in render(text, **values).splitlines() if line.strip()) + "\n"
    assert out == expected


def test_hook_modules_import_and_register():
    sys.path.insert(0, install.resources.data_dir("triggers"))
    try:
        import winpe_sync_post
        import winpe_sync_pre
        import winpe_import_pre
    finally:
        sys.path.pop(0)
    assert winpe_sync_post.register() == "/var/lib/cobbler/triggers/sync/post/*"
    assert winpe_sync_pre.register() == "/var/lib/cobbler/triggers/sync/pre/*"
    assert winpe_import_pre.register() == "/var/lib/cobbler/triggers/task/import/pre/*"


def test_signatures_gain_server_2025_once_and_keep_the_rest(fake_cobbler):
    root, settings, modules = fake_cobbler
    path = root / "distro_signatures.json"
    assert signatures.add_signatures(str(path)) == ["2025"]
    data = json.loads(path.read_text())
    assert data["breeds"]["windows"]["2025"] == {"version_file_regex": "^Name:.*Windows Server 2025.*$",
                                                 "kernel_file": "x"}
    assert data["breeds"]["windows"]["2022"] == SIGNATURES["breeds"]["windows"]["2022"]
    assert data["breeds"]["redhat"] == {"rhel9": {}}
    assert signatures.add_signatures(str(path)) == []
