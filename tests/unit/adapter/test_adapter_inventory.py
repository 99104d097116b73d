"""adapter.items.windows_inventory: every bad Cobbler item is left out with one log line; the rest is served."""
import logging
from types import SimpleNamespace

from cobbler_winpe import config
from cobbler_winpe.adapter import items

CFG = config.validate({})
GOOD_META = {"winpe": "1", "winpe_mirror": "/var/www/cobbler/distro_mirror/win"}


def distro(name, ctime=1.0, **meta):
    return SimpleNamespace(name=name, arch="x86_64", os_version="10", autoinstall_meta=dict(GOOD_META, **meta),
                           ctime=ctime)


def profile(name, parent, **meta):
    return SimpleNamespace(name=name, distro=parent, autoinstall_meta=dict(parent.autoinstall_meta, **meta))


def system(name, parent, mac, hostname="pc", **meta):
    nic = SimpleNamespace(mac_address=mac)
    return SimpleNamespace(name=name, profile=parent.name, hostname=hostname, netboot_enabled=True,
                           interfaces={"eth0": nic}, autoinstall_meta=dict(parent.autoinstall_meta, **meta))


def api_of(distros, profiles, systems):
    return SimpleNamespace(distros=lambda: distros, profiles=lambda: profiles, systems=lambda: systems)


def test_bad_items_skipped_once_each_and_the_rest_served(caplog):
    win, colon = distro("win"), distro("win:colon")
    index = distro("win-index", winpe_boot_index="x")
    upper = distro("WIN", ctime=2.0)      # added after "win": sorts first by name, yet the older one is served
    linux = SimpleNamespace(name="rhel", arch="x86_64", os_version="rhel9",
                            autoinstall_meta={"winpe_boot_manager": "bogus", "winpe_image_index": "abc"})
    good, bad_index, orphan = profile("win-pro", win), profile("win-abc", win, winpe_image_index="abc"), \
        profile("colon-pro", colon)
    linux_profile = profile("rhel-p", linux)
    systems = [system("ok", good, "52:54:00:00:00:01"), system("rdp", good, "52:54:00:00:00:02", winpe_rdp="maybe"),
               system("..", good, "52:54:00:00:00:03"), system("under-bad", bad_index, "52:54:00:00:00:04"),
               system("twin-b", good, "52:54:00:00:00:06"), system("twin-a", good, "52-54-00-00-00-06"),
               system("linux", linux_profile, "52:54:00:00:00:05", "far-too-long-for-windows")]
    caplog.set_level(logging.ERROR, logger="cobbler_winpe")
    distros, profiles, served, windows = items.windows_inventory(
        api_of([upper, win, colon, index, linux], [good, bad_index, orphan, linux_profile], systems), CFG)
    assert [d.name for d in distros] == ["win"]
    assert windows == {"win", "WIN", "win:colon", "win-index"}      # their caches stay
    assert [p.name for p in profiles] == ["win-pro"]
    assert sorted(s.name for s in served) == ["ok", "twin-a"]   # twin-a: the first by name of the two
    lines = [r.getMessage() for r in caplog.records]
    expected = {"distro 'win:colon'": "boot menus", "distro 'WIN'": "differs from distro 'win''s only in case", "distro 'win-index'": "winpe_boot_index 'x'",
                "profile 'win-abc'": "winpe_image_index 'abc'", "system 'rdp'": "winpe_rdp",
                "system '..'": "boot menus", "system 'twin-b'": "served by system 'twin-a'"}
    assert len(lines) == len(expected), lines
    for item, why in expected.items():
        line, = [line for line in lines if line.startswith("cobbler-winpe: skipping %s: " % item)]
        assert why in line and "\n" not in line
    assert not any(name in " ".join(lines) for name in ("rhel", "colon-pro", "under-bad", "'linux'"))
