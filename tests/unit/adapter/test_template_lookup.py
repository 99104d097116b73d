"""Template overrides found as Cobbler 3.3 finds snippets: each level wins over the next (checked against Cobbler's
own read_snippet), hostile names stay inside the snippet folder, and the adapter takes the folder from Cobbler."""
import os
import types

import pytest

from cobbler_winpe.adapter import items, winpe
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import cheetah, menus
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile, WinSystem
from cobbler_winpe.snippets import Templates

TEMPLATE = "windows/startnet.cmd.tmpl"
NAMES = {"system": "pc1", "profile": "pro", "distro": "win10-x64"}
# Most specific first, as read_snippet() in cobbler/template_api.py (3.3.10) tries them.
LEVELS = ("per_system", "per_profile", "per_distro", "plain", "shipped")


def _put(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _tree(root, template=TEMPLATE):
    """A snippet folder with TEMPLATE at every level (each file says its level) and a shipped folder."""
    snippets, shipped = str(root / "snippets"), str(root / "shipped")
    paths = {"per_system": os.path.join(snippets, "per_system", template, NAMES["system"]),
             "per_profile": os.path.join(snippets, "per_profile", template, NAMES["profile"]),
             "per_distro": os.path.join(snippets, "per_distro", template, NAMES["distro"]),
             "plain": os.path.join(snippets, template), "shipped": os.path.join(shipped, template)}
    for level, path in paths.items():
        _put(path, "level %s\n" % level)
    return snippets, shipped, paths


def _cobbler_reads(snippets, template, names):
    """What Cobbler 3.3's own $SNIPPET lookup (template_api.Template.read_snippet) reads for TEMPLATE."""
    from cobbler import template_api     # the reference: the installed Cobbler
    table = {"autoinstall_snippets_dir": snippets}
    table.update(("%s_name" % kind, name) for kind, name in names.items() if name)
    compiled = template_api.CobblerTemplate.compile(source="x", baseclass=template_api.CobblerTemplate)  # templar.py
    text = compiled(searchList=[table]).read_snippet(template)
    return text and text.replace("#errorCatcher ListErrors\n", "", 1)


def test_each_level_wins_over_the_next_as_in_cobbler(tmp_path):
    snippets, shipped, paths = _tree(tmp_path)
    templates = Templates(snippets, shipped)
    for level in LEVELS:
        found = Templates(snippets, shipped).source(TEMPLATE, NAMES["distro"], NAMES["profile"], NAMES["system"])
        assert found == "level %s\n" % level
        if level != "shipped":      # Cobbler itself reads the same file from its snippet folder
            assert _cobbler_reads(snippets, TEMPLATE, NAMES) == found
        os.unlink(paths[level])
    with pytest.raises(InputError, match="startnet.cmd.tmpl"):
        templates.find(TEMPLATE, NAMES["distro"], NAMES["profile"], NAMES["system"])


@pytest.mark.parametrize("absent", ["system", "profile", "distro"])
def test_a_level_is_skipped_for_an_item_that_is_not_there(tmp_path, absent):
    """A profile's file has no system: its per_system override of the same name does not apply."""
    snippets, shipped, _paths = _tree(tmp_path)
    names = dict(NAMES, **{absent: ""})
    found = Templates(snippets, shipped).source(TEMPLATE, names["distro"], names["profile"], names["system"])
    assert found == "level %s\n" % next(level for level in LEVELS if level != "per_" + absent)
    assert _cobbler_reads(snippets, TEMPLATE, names) == found


def test_without_a_snippet_folder_only_the_shipped_files_serve(tmp_path):
    _snippets, shipped, _paths = _tree(tmp_path)
    assert Templates(None, shipped).source(TEMPLATE, "win10-x64", "pro", "pc1") == "level shipped\n"
    assert Templates().find(TEMPLATE).endswith(os.path.join("snippets", "windows", "startnet.cmd.tmpl"))


HOSTILE = ["..", ".", "../../secret", "a/b", "a\\b", "/etc/passwd", "a b", "a\nb", "a\x00b", "*", "x$y"]


@pytest.mark.parametrize("kind", ["system", "profile", "distro"])
@pytest.mark.parametrize("name", HOSTILE, ids=repr)
def test_hostile_item_names_cannot_leave_the_folder(tmp_path, kind, name):
    """A name that is not one plain file name is refused before any file is looked at, so no name reaches a file
    above its per_<kind>/<template>/ folder (here: a secret three levels up, where ../../secret would lead)."""
    snippets, shipped, _paths = _tree(tmp_path)
    _put(os.path.join(snippets, "per_" + kind, "windows", "secret"), "SECRET\n")
    _put(os.path.join(snippets, "secret"), "SECRET\n")
    names = dict(NAMES, **{kind: name})
    with pytest.raises(InputError, match="%s name" % kind):
        Templates(snippets, shipped).source(TEMPLATE, names["distro"], names["profile"], names["system"])


@pytest.mark.parametrize("template", ["../secret", "/etc/passwd", "windows/../../secret", "windows/x\x00"])
def test_template_paths_stay_in_the_folders(tmp_path, template):
    snippets, shipped, _paths = _tree(tmp_path)
    _put(str(tmp_path / "secret"), "SECRET\n")
    with pytest.raises(InputError):
        Templates(snippets, shipped).source(template, "win10-x64", "pro", "pc1")


@pytest.mark.parametrize("name", ["../startnet", "a/b", "", "x.y"])
def test_a_snippet_call_names_a_sibling_only(tmp_path, name):
    """$snippet("...") in an admin's template renders a sibling template: no path, no other extension."""
    snippets, shipped, _paths = _tree(tmp_path)
    _put(os.path.join(snippets, "windows", "a.vbs.tmpl"), '$snippet("%s")\n' % name)
    with pytest.raises(InputError, match="snippet"):
        cheetah.render(Templates(snippets, shipped), "windows/a.vbs.tmpl", {}, ("", "", ""))


def test_snippets_nest_only_so_deep(tmp_path):
    snippets, shipped, _paths = _tree(tmp_path)
    _put(os.path.join(snippets, "windows", "loop.vbs.tmpl"), '$snippet("loop")\n')
    with pytest.raises(InputError, match="nest"):
        cheetah.render(Templates(snippets, shipped), "windows/loop.vbs.tmpl", {}, ("", "", ""))


def test_script_values_cannot_carry_a_line_break(tmp_path):
    """A value a template places in a batch file passes ScriptFilter: escaped ones (Safe) as they are, any other
    one only as one line of text."""
    snippets, shipped, _paths = _tree(tmp_path)
    _put(os.path.join(snippets, "windows", "v.cmd.tmpl"), 'set "X=$v"\n')
    templates = Templates(snippets, shipped)
    assert cheetah.render_script(templates, "windows/v.cmd.tmpl", {"v": "a&b"}) == 'set "X=a&b"\r\n'
    with pytest.raises(InputError):
        cheetah.render_script(templates, "windows/v.cmd.tmpl", {"v": "a\r\ncalc.exe"})


def test_the_adapter_reads_the_snippet_folder_from_cobblers_settings(tmp_path):
    """items.server_of takes autoinstall_snippets_dir from Cobbler's settings; winpe.templates searches it, so a
    per-system override of the menu snippet serves that system's pxelinux file (as Cobbler's $SNIPPET would)."""
    snippets = str(tmp_path / "cobbler-snippets")
    shipped = Templates().source("cobbler_winpe/menu_pxe")
    _put(os.path.join(snippets, "per_system", "cobbler_winpe", "menu_pxe", "box1"),
         shipped.replace("\tMENU LABEL $menu_label", "\tMENU LABEL $menu_label (site)"))
    settings = types.SimpleNamespace(server="10.0.0.1", tftpboot_location="/srv/tftpboot", webdir="/var/www/cobbler",
                                     http_port=80, next_server_v4="", autoinstall_snippets_dir=snippets)
    server = items.server_of(types.SimpleNamespace(settings=lambda: settings), types.SimpleNamespace(smb_share="w"))
    assert server.snippet_dir == snippets
    distro, profile = WinDistro("win10-x64", "x86_64", "10", "/m"), WinProfile("pro", "win10-x64")
    labels = {name: [line.strip() for line in menus.pxelinux_system_config(
        distro, profile, WinSystem(name, "pro"), templates=winpe.templates(server)).splitlines()
        if "MENU LABEL" in line] for name in ("box1", "box2")}
    assert labels == {"box1": ["MENU LABEL pro (site)"], "box2": ["MENU LABEL pro"]}
    assert _cobbler_reads(snippets, "cobbler_winpe/menu_pxe", {"system": "box1", "profile": "pro"}).count("(site)")
    assert winpe.templates(Server("10.0.0.1")).snippet_dir is None
