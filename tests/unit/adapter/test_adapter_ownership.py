"""items.made_by_plugin reads the item's own metadata only: inherited Windows flags never make an item the plugin's."""
from types import SimpleNamespace

from cobbler_winpe.adapter import items


def item(own, inherited=None):
    return SimpleNamespace(_autoinstall_meta=own, autoinstall_meta=dict(inherited or {}, **(own if isinstance(own, dict) else {})))


def test_marker_makes_it_ours():
    assert items.made_by_plugin(item({"winpe_made_by": "cobbler-winpe"}))


def test_linux_profile_under_windows_distro_is_not_ours():
    # a profile someone added under the plugin's distro inherits winpe=1 but carries nothing of its own
    assert not items.made_by_plugin(item({}, inherited={"winpe": "1", "winpe_made_by": "cobbler-winpe"}))


def test_inherit_string_is_not_ours():
    assert not items.made_by_plugin(item("<<inherit>>"))


def test_other_marker_value_is_not_ours():
    assert not items.made_by_plugin(item({"winpe_made_by": "someone-else", "kickstart": "x"}))


def test_imports_before_the_marker_still_count():
    assert items.made_by_plugin(item({"winpe": "1"}))                  # distro
    assert items.made_by_plugin(item({"winpe_image_index": "2"}))      # profile
