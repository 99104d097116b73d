"""gen.inventory: each item check refuses what a generator would refuse, and one rule picks the system of a MAC."""
import pytest

from cobbler_winpe import config
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import dhcp, inventory, startnet
from cobbler_winpe.snippets import Templates
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile, WinSystem

CONFIG = config.validate({"smb_share": "winpe", "smb_user": "cobbler-winpe"})
DISTRO = WinDistro("win10-x86_64", "x86_64", "10", "/srv/www/distro_mirror/win10")
PROFILE = WinProfile("win10-x86_64-pro", DISTRO.name, 2)
SERVER = Server("10.0.0.1")


def distro(**changes):
    return WinDistro(**dict(DISTRO.__dict__, **changes))


def profile(**changes):
    return WinProfile(**dict(PROFILE.__dict__, **changes))


def system(name="pc1", **changes):
    fields = dict(name=name, profile=PROFILE.name, hostname="pc1.lab", macs=("52:54:00:00:00:01",))
    return WinSystem(**dict(fields, **changes))


def test_good_items_pass():
    inventory.check_distro(DISTRO, CONFIG)
    inventory.check_profile(PROFILE, DISTRO, CONFIG)
    inventory.check_system(system(), PROFILE, DISTRO, CONFIG)
    inventory.check_system(system("no-mac", macs=(), hostname=""), PROFILE, DISTRO, CONFIG)


@pytest.mark.parametrize("bad, why", [
    (distro(name="win:10"), "boot menus"),
    (distro(name=".."), "boot menus"),
    (distro(name="w" * 90), "longer than 80"),
    (distro(mirror=""), "absolute path"),
    (distro(root="/etc"), "an absolute path"),
    (distro(root="../.."), "'..'"),
    (distro(meta={"winpe_boot_manager": "2099"}), "not one of auto"),
    (distro(meta={"winpe_product_key": "ABCDE-12345"}), "not of the expected form"),
    (distro(arch="mips"), "unknown architecture"),
    (distro(winload="\\windows\\x\x1b[2J"), "control character"),
])
def test_bad_distros_refused(bad, why):
    with pytest.raises(InputError, match=why):
        inventory.check_distro(bad, CONFIG)


@pytest.mark.parametrize("bad, why", [
    (profile(name="pro:x"), "boot menus"),
    (profile(name="-pro"), "boot menus"),
    (profile(name="sys"), "systems' BCD stores"),
    (profile(name="win10-x86_64-pro.uefi"), "UEFI store of a profile 'win10-x86_64-pro'"),
    (profile(edition="Pro\x85N"), "control character"),
    (profile(meta={"winpe_boot_manager": "bogus"}), "not one of auto"),
    (profile(meta={"winpe_locale": "en-US;del"}), "not of the expected form"),
])
def test_bad_profiles_refused(bad, why):
    with pytest.raises(InputError, match=why):
        inventory.check_profile(bad, DISTRO, CONFIG)


@pytest.mark.parametrize("bad, why", [
    (system(hostname="12345"), "1-15 letters"),
    (system(meta={"winpe_computer_name": "x" * 16}), "1-15 letters"),
    (system(name=".."), "boot menus"),
    (system(name="pc:1"), "boot menus"),
    (system(name="pc1.uefi"), "UEFI store of a system 'pc1'"),
    (system(name="pc1\n"), "control character"),
    (system(macs=("52:54:00:00:00",)), "6 bytes"),
    (system(meta={"winpe_product_key": "<x>&-AAAAA-AAAAA-AAAAA-AAAAA"}), "not of the expected form"),
    (system(meta={"winpe_boot_manager": "2099"}), "not one of auto"),
    (system(meta={"winpe_first_logon_1": "a\nb"}), "control character"),
    (system(meta={"winpe_disk": "ab"}), "not of the expected form"),
    (system(meta={"winpe_domain": "lab.example"}), "winpe_domain_user"),
])
def test_bad_systems_refused(bad, why):
    with pytest.raises(InputError, match=why):
        inventory.check_system(bad, PROFILE, DISTRO, CONFIG)


def test_product_key_never_in_the_reason():
    with pytest.raises(InputError) as err:
        inventory.check_system(system(meta={"winpe_product_key": "SECRET-KEY12"}), PROFILE, DISTRO, CONFIG)
    assert "SECRET" not in str(err.value)


def test_distros_equal_but_for_case_keep_the_first():
    distros = [distro(name="win10"), distro(name="WIN10"), distro(name="other"), distro(name="Win10")]
    assert inventory.case_clashes(distros) == {"WIN10": "win10", "Win10": "win10"}


def served_by(files, mac_folder):
    """The system name a systems/<MAC>/system.cmd sets (its `set "WINPE_SYSTEM=..."` line)."""
    for line in files["systems/%s/system.cmd" % mac_folder].split("\r\n"):
        if line.startswith('set "WINPE_SYSTEM='):
            return line[len('set "WINPE_SYSTEM='):-1]
    raise AssertionError("no WINPE_SYSTEM line")


@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")])
def test_shared_mac_served_by_the_same_system_in_dhcp_and_on_the_share(order):
    """allow_duplicate_macs: the data share and DHCP serve one system per MAC, the first by name, whatever the
    inventory order (data_tree was last-wins before, so DHCP served a while the share held b's answer file)."""
    both = {"a": system("a", hostname="host-a"), "b": system("b", hostname="host-b")}
    systems = [both[name] for name in order]
    files = startnet.data_tree([DISTRO], [PROFILE], systems, SERVER, Templates(), CONFIG)
    hosts = dhcp.windows_hosts(systems, [PROFILE], [DISTRO])
    (mac, dhcp_system, _p, _d, others), = dhcp.unique_macs(hosts)
    assert served_by(files, "52-54-00-00-00-01") == dhcp_system.name == "a" and others == ["b"]
    assert "<ComputerName>host-a</ComputerName>" in files["systems/52-54-00-00-00-01/unattend-bios.xml"]
    assert inventory.shadowed(systems, [PROFILE], [DISTRO]) == {"b": "a"}


def test_a_system_with_a_mac_of_its_own_is_not_shadowed():
    systems = [system("a"), system("b", macs=("52:54:00:00:00:01", "52:54:00:00:00:02"))]
    assert inventory.shadowed(systems, [PROFILE], [DISTRO]) == {}
    files = startnet.data_tree([DISTRO], [PROFILE], systems, SERVER, Templates(), CONFIG)
    assert served_by(files, "52-54-00-00-00-01") == "a" and served_by(files, "52-54-00-00-00-02") == "b"


def test_a_netboot_disabled_system_leaves_the_mac_to_the_other():
    systems = [system("a", netboot_enabled=False), system("b")]
    files = startnet.data_tree([DISTRO], [PROFILE], systems, SERVER, Templates(), CONFIG)
    assert served_by(files, "52-54-00-00-00-01") == "b"
    assert inventory.shadowed(systems, [PROFILE], [DISTRO]) == {}
