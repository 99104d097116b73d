"""Unit tests for gen/menus.py: the text of pxelinux, GRUB and iPXE entries, and refusal of hostile names."""
import pytest

from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import menus, model
from cobbler_winpe.snippets import Templates

DISTRO = model.WinDistro("win10-x64", "x86_64", "10", "/srv/mirror/win10")
PROFILE = model.WinProfile("win10-x64-pro", "win10-x64", image_index=5, edition="Professional")
SERVER = model.Server("192.0.2.5", http_port=8080)
SHIPPED = Templates()

HOSTILE = ["a b", "a\nLABEL evil", "../x", "a/b", "a\\b", "a;reboot", "a'b", 'a"b', "${x}", "a$b", "-W", ".hidden",
           "x..y", "a:b", "a\tb", "", "a" * 101, "é", "a#b", "a&b", "a|b", "a\x00b"]


def _profile(name):
    return model.WinProfile(name, DISTRO.name)


def _distro(name):
    return model.WinDistro(name, "x86_64", "10", "/m")


def test_pxelinux_entry_chains_pxeboot_with_bios_bcd_in_option_252():
    assert menus.pxelinux_entry(DISTRO, PROFILE, templates=SHIPPED) == (
        "LABEL win10-x64-pro\n"
        "\tMENU LABEL win10-x64-pro\n"
        "\tCOM32 pxechn.c32\n"
        "\tAPPEND images/win10-x64/pxeboot.n12 -W -o 252.s=\\images\\win10-x64\\bcd\\win10-x64-pro\n")


def test_pxelinux_entry_shows_a_plain_title():
    entry = menus.pxelinux_entry(DISTRO, PROFILE, title="Windows 10 Pro (x64)", templates=SHIPPED)
    assert "\tMENU LABEL Windows 10 Pro (x64)\n" in entry
    assert entry.startswith("LABEL win10-x64-pro\n")


def test_bcd_option_per_firmware():
    assert menus.bcd_option(DISTRO, PROFILE, "bios") == "\\images\\win10-x64\\bcd\\win10-x64-pro"
    assert menus.bcd_option(DISTRO, PROFILE, "uefi") == "\\images\\win10-x64\\bcd\\win10-x64-pro.uefi"


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_profile_names_are_refused_everywhere(name):
    profile = _profile(name)
    for make in (lambda: menus.pxelinux_entry(DISTRO, profile, templates=SHIPPED),
                 lambda: menus.grub_entry(DISTRO, profile, templates=SHIPPED),
                 lambda: menus.ipxe_chain_lines(DISTRO, profile),
                 lambda: menus.ipxe_wimboot_lines(SERVER, DISTRO, name)):
        with pytest.raises(InputError):
            make()


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_distro_names_are_refused(name):
    distro = _distro(name)
    for make in (lambda: menus.pxelinux_entry(distro, PROFILE, templates=SHIPPED),
                 lambda: menus.grub_entry(distro, PROFILE, templates=SHIPPED),
                 lambda: menus.ipxe_chain_lines(distro, PROFILE), lambda: menus.wimboot_files(distro, "p")):
        with pytest.raises(InputError):
            make()


@pytest.mark.parametrize("title", ["a\nMENU HIDDEN", "it's", 'say "x"', "${net0/ip}", "a\\b", "a`b", "x" * 81])
def test_hostile_titles_are_refused(title):
    with pytest.raises(InputError):
        menus.pxelinux_entry(DISTRO, PROFILE, title=title, templates=SHIPPED)
    with pytest.raises(InputError):
        menus.grub_entry(DISTRO, PROFILE, title=title, templates=SHIPPED)


def test_hostile_injected_file_name_is_refused():
    with pytest.raises(InputError):
        menus.wimboot_files(DISTRO, PROFILE.name, ("../../etc/passwd",))


def test_refusal_message_names_the_field_and_fix():
    with pytest.raises(InputError) as err:
        menus.pxelinux_entry(DISTRO, _profile("evil name"), templates=SHIPPED)
    assert "profile 'evil name'" in str(err.value) and "rename it" in str(err.value)
    assert "\n" not in str(err.value)


def test_longest_names_fit_a_dhcp_option():
    value = menus.bcd_option(_distro("d" * 100), _profile("p" * 100), "uefi")
    assert len(value.encode()) <= 255


def test_grub_entry_explains_and_names_the_ipxe_boot_file():
    entry = menus.grub_entry(DISTRO, PROFILE, templates=SHIPPED)
    assert entry.startswith("menuentry 'win10-x64-pro (Windows: UEFI boots it through iPXE)' --class windows")
    assert "--id 'win10-x64-pro' {" in entry
    assert "winpe/ipxe/snponly.efi" in entry
    assert entry.rstrip().endswith("}")
    assert "chainloader" not in entry


def test_ipxe_chain_lines_pick_loader_and_bcd_by_platform():
    assert menus.ipxe_chain_lines(DISTRO, PROFILE) == [
        "iseq ${platform} efi && set winpe-nbp images/win10-x64/bootmgfw.efi"
        " || set winpe-nbp images/win10-x64/pxeboot.n12",
        "iseq ${platform} efi && set 252:string \\images\\win10-x64\\bcd\\win10-x64-pro.uefi"
        " || set 252:string \\images\\win10-x64\\bcd\\win10-x64-pro",
        "set netX.dhcp/filename ${winpe-nbp}",
        "isset ${proxydhcp/dhcp-server} && set proxydhcp/filename ${winpe-nbp} || isset ${ip}",
        "isset ${pxebs/dhcp-server} && set pxebs/filename ${winpe-nbp} || isset ${ip}",
        "chain tftp://${next-server}/${winpe-nbp}"]


def test_ipxe_wimboot_script_fetches_loaders_then_injected_files():
    script = menus.ipxe_script(menus.ipxe_wimboot_lines(SERVER, DISTRO, PROFILE.name, ("startnet.cmd", "unattend.xml")))
    base = "http://192.0.2.5:8080/cobbler/"
    assert script.splitlines() == [
        "#!ipxe",
        "isset ${ip} || dhcp",
        "kernel %smisc/winpe/wimboot" % base,
        "initrd -n bootmgr.exe %simages/win10-x64/bootmgr.exe" % base,
        "initrd -n bootmgfw.efi %simages/win10-x64/bootmgfw.efi" % base,
        "initrd -n BCD %simages/win10-x64/wimboot/BCD" % base,
        "initrd -n boot.sdi %simages/win10-x64/boot.sdi" % base,
        "initrd -n boot.wim %simages/win10-x64/boot.wim" % base,
        "initrd -n startnet.cmd %simages/win10-x64/inject/win10-x64-pro/startnet.cmd" % base,
        "initrd -n unattend.xml %simages/win10-x64/inject/win10-x64-pro/unattend.xml" % base,
        "boot"]


def test_http_url_omits_port_80_and_refuses_bad_servers():
    assert menus.http_url(model.Server("cobbler.example"), "winpe/wimboot") == \
        "http://cobbler.example/cobbler/winpe/wimboot"
    for server in (model.Server("evil host"), model.Server("a/b"), model.Server("x", http_port=0),
                   model.Server("x", http_port="80"), model.Server("x", http_port=70000)):
        with pytest.raises(InputError):
            menus.http_url(server, "winpe/wimboot")


def test_system_config_boots_profile_or_local():
    system = model.WinSystem("pc-01", PROFILE.name, macs=("52:54:00:12:34:56",))
    text = menus.pxelinux_system_config(DISTRO, PROFILE, system, templates=SHIPPED)
    assert text.startswith("timeout 1\nprompt 0\ndefault pc-01\nontimeout pc-01\nLABEL pc-01\n")
    assert "APPEND images/win10-x64/pxeboot.n12 -W -o 252.s=" in text
    off = model.WinSystem("pc-01", PROFILE.name, netboot_enabled=False)
    local = menus.pxelinux_system_config(DISTRO, PROFILE, off, templates=SHIPPED)
    assert "LOCALBOOT -1" in local and "pxeboot" not in local


@pytest.mark.parametrize("system, script", [("", "images/win10-x64/ipxe/pro.ipxe"),
                                            ("box1", "images/win10-x64/ipxe/sys/box1.ipxe")])
def test_cobbler_ipxe_entry_chains_the_system_script_for_a_system(system, script):
    """The menu_ipxe snippet as Cobbler renders it (Cheetah), evaluated like iPXE: a system's own script (its boot
    manager and BCD, gen/staging.py) or, in the profile menu, the profile's."""
    from cobbler_winpe.verify import menus as ipxe
    text = menus.render_snippet("menu_ipxe", {"distro_name": "win10-x64", "profile_name": "pro", "menu_name": "pro",
                                              "menu_label": "pro", "system_name": system,
                                              "http_server": "192.0.2.5"}, SHIPPED)
    run = ipxe.run_ipxe(text, None if system else "pro", {"platform": "efi"})
    assert [(a.verb, a.url) for a in run.actions] == [("chain", "http://192.0.2.5/cobbler/" + script)]


@pytest.mark.parametrize("tftp_server, lines", [
    ("192.168.1.5", ["isset ${proxydhcp/dhcp-server} && set netX.dhcp/next-server 192.168.1.5 || isset ${ip}"]),
    ("cobbler.lan", []), ("", []), ("192.168.1.5\nchain http://evil/", [])])
def test_ipxe_chain_lines_name_cobblers_tftp_server_behind_a_proxy(tftp_server, lines):
    """Behind a proxy the ACK's next-server is the site's: the script sets Cobbler's TFTP address (IPv4 only:
    iPXE's next-server holds no name; anything else adds no line) just before the chain."""
    got = menus.ipxe_chain_lines(DISTRO, PROFILE, tftp_server=tftp_server)
    assert got[-1] == "chain tftp://${next-server}/${winpe-nbp}"
    assert got[:-1] == menus.ipxe_chain_lines(DISTRO, PROFILE)[:-1] + lines
