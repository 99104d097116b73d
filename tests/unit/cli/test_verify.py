"""Unit tests of cobbler_winpe.verify: menu parsers, iPXE evaluation, failure explanations and the CLI's arguments."""
import pytest

from cobbler_winpe.bcd.pxe import build_pxe_store
from cobbler_winpe.cli.verify import parse_host_port
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import menus as gen_menus
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile
from cobbler_winpe.snippets import Templates
from cobbler_winpe.verify import chain, menus
from cobbler_winpe.verify.lookup import normal_mac, system_macs

PXE_DEFAULT = r"""DEFAULT menu
PROMPT 0
ONTIMEOUT local

LABEL local
        MENU LABEL (local)
        MENU DEFAULT
        LOCALBOOT -1

LABEL linux-p
	kernel /images/linux/vmlinuz
	append initrd=/images/linux/initrd.img

label win10-pro
	menu label Windows 10 Pro
	com32 pxechn.c32
	append /images/win10/pxeboot.n12 -W -o 252.s=\images\win10\bcd\win10-pro
LABEL bare
	PXE /images/win10/pxeboot.n12
LABEL wrong
	KERNEL /images/win10/pxeboot.n12
"""

SYSTEM_PXE = """timeout 1
prompt 0
default vm1
ontimeout vm1
LABEL vm1
\tMENU LABEL vm1
\tCOM32 pxechn.c32
\tAPPEND /images/w/pxeboot.n12 -o 252.s=\\images\\w\\bcd\\p
"""


def test_pxelinux_labels_and_titles():
    config = menus.parse_pxelinux(PXE_DEFAULT)
    assert config.default == "menu" and config.ontimeout == "local"
    entry = config.entries["win10-pro"]
    assert (entry.title, entry.kind, entry.target) == ("Windows 10 Pro", "com32", "pxechn.c32")
    assert config.chosen().label == "local"


def test_pxechn_arguments_keep_backslashes():
    request = menus.pxe_request(menus.parse_pxelinux(PXE_DEFAULT).entries["win10-pro"])
    assert request.file == "/images/win10/pxeboot.n12"
    assert request.options == {252: "\\images\\win10\\bcd\\win10-pro"}
    assert request.rewrite_packets


def test_pxe_line_is_an_nbp_but_kernel_is_not():
    entries = menus.parse_pxelinux(PXE_DEFAULT).entries
    assert menus.pxe_request(entries["bare"]).file == "/images/win10/pxeboot.n12"
    assert menus.pxe_request(entries["wrong"]) is None
    assert menus.pxe_request(entries["linux-p"]) is None


def test_system_config_default_names_the_entry():
    config = menus.parse_pxelinux(SYSTEM_PXE)
    request = menus.pxe_request(config.chosen())
    assert request.options[252] == "\\images\\w\\bcd\\p" and not request.rewrite_packets


def test_generated_pxelinux_entry_round_trips():
    distro, profile = WinDistro("win11", "x86_64", "11", "/m"), WinProfile("win11-pro", "win11")
    config = menus.parse_pxelinux(gen_menus.pxelinux_entry(distro, profile, "Windows 11 Pro", templates=Templates()))
    request = menus.pxe_request(config.entries["win11-pro"])
    assert request.file == "images/win11/pxeboot.n12"
    assert request.options[252] == gen_menus.bcd_option(distro, profile, "bios")


GRUB = """set default='vm1'
menuentry 'win10-pro' --class windows --class os {
  echo 'Handing over to iPXE for win10-pro ...'
  chainloader (tftp,10.0.0.1)/ipxe/snponly.efi
}
submenu 'Linux' {
  menuentry 'linux-p' --id linux-p {
    clinux /images/linux/vmlinuz ks=x
    cinitrd /images/linux/initrd.img
  }
}
menuentry 'vm1' --class gnu-linux {
  clinux /images/win10/pxeboot.n12
}
"""


def test_grub_entries_and_chainloader():
    config = menus.parse_grub(GRUB)
    assert [e.title for e in config.entries] == ["win10-pro", "linux-p", "vm1"]
    assert menus.grub_chainloader(config.find("win10-pro")) == "/ipxe/snponly.efi"
    assert menus.grub_kernel(config.find("linux-p")) == ("/images/linux/vmlinuz", ["/images/linux/initrd.img"])
    assert config.chosen().title == "vm1" and menus.grub_chainloader(config.chosen()) is None


IPXE_MENU = r"""#!ipxe
set menu-timeout 20000
isset ${menu-default} || set menu-default local
:Cobbler
menu Cobbler
item local (local)
item win10-pro win10-pro
choose --default ${menu-default} --timeout ${menu-timeout} target && goto ${target}

:win10-pro
iseq ${platform} efi && set 252:string \images\w\bcd\p.uefi || set 252:string \images\w\bcd\p
iseq ${platform} efi && set filename /images/w/bootmgfw.efi || set filename /images/w/pxeboot.n12
chain tftp://${next-server}${filename}

:back
goto Cobbler

:local
sanboot --no-describe --drive 0x80
"""


@pytest.mark.parametrize("platform, nbp, bcd", [
    ("pcbios", "tftp://10.0.0.1/images/w/pxeboot.n12", "\\images\\w\\bcd\\p"),
    ("efi", "tftp://10.0.0.1/images/w/bootmgfw.efi", "\\images\\w\\bcd\\p.uefi"),
])
def test_ipxe_entry_per_platform(platform, nbp, bcd):
    run = menus.run_ipxe(IPXE_MENU, "win10-pro", {"platform": platform, "next-server": "10.0.0.1"})
    assert [(a.verb, a.url) for a in run.actions] == [("chain", nbp)]
    assert run.option(252) == bcd and run.ended == "chain"


def test_ipxe_items_goto_and_sanboot():
    assert menus.ipxe_items(IPXE_MENU) == ["local", "win10-pro"]
    assert menus.run_ipxe(IPXE_MENU, "back").ended == "return"
    assert menus.run_ipxe(IPXE_MENU, "local").ended == "sanboot"


def test_ipxe_goto_loop_is_bounded():
    run = menus.run_ipxe("#!ipxe\n:a\ngoto b\n:b\ngoto a\n", "a")
    assert run.ended == "loop"


def test_generated_wimboot_script_evaluates_in_order():
    server, distro = Server("10.0.0.1", http_port=8080), WinDistro("w", "x86_64", "10", "/m")
    script = gen_menus.ipxe_script(gen_menus.ipxe_wimboot_lines(server, distro, "p", inject=("startnet.cmd",)))
    run = menus.run_ipxe(script, None, {"platform": "efi"})
    assert run.ended == "boot"
    assert run.actions[0].verb == "kernel"
    assert run.actions[0].url == gen_menus.http_url(server, gen_menus.layout.WIMBOOT)
    assert [a.name for a in run.actions[1:]] == [name for name, _ in gen_menus.WIMBOOT_FILES] + ["startnet.cmd"]


def test_generated_chain_lines_evaluate_for_both_platforms():
    distro, profile = WinDistro("w", "x86_64", "10", "/m"), WinProfile("p", "w")
    script = gen_menus.ipxe_script(gen_menus.ipxe_chain_lines(distro, profile))
    for platform, firmware in (("pcbios", "bios"), ("efi", "uefi")):
        run = menus.run_ipxe(script, None, {"platform": platform, "next-server": "10.0.0.1"})
        assert run.option(252) == gen_menus.bcd_option(distro, profile, firmware)
        assert run.actions[0].url == "tftp://10.0.0.1/" + gen_menus.layout.nbp_file("w", firmware)


@pytest.mark.parametrize("request_name, path", [
    ("\\images\\w\\boot.wim", "images/w/boot.wim"),
    ("C:\\Boot\\BCD", "Boot/BCD"),
    ("//images//w/x", "images/w/x"),
])
def test_naive_path(request_name, path):
    assert chain.naive_path(request_name) == path


def _walker(tmp_path, rules=None):
    return chain.Walker(chain.Client("p", "w"), chain.Servers(tftproot=str(tmp_path), tftpd_rules=rules))


def test_explain_missing_remap(tmp_path):
    (tmp_path / "images" / "w").mkdir(parents=True)
    (tmp_path / "images" / "w" / "bootmgr.exe").write_bytes(b"x")
    why, fix = _walker(tmp_path, "/etc/r").explain_tftp("\\images\\w\\bootmgr.exe",
                                                         chain.TftpFailure(1, "File not found"), "sync")
    assert "does not remap Windows paths" in why and "-m /etc/r" in fix and "rules file is missing" in fix


def test_explain_wrong_case_and_missing(tmp_path):
    (tmp_path / "images" / "w").mkdir(parents=True)
    (tmp_path / "images" / "w" / "BOOT.WIM").write_bytes(b"x")
    walker = _walker(tmp_path)
    why, _fix = walker.explain_tftp("\\images\\w\\boot.wim", chain.TftpFailure(1, "nf"), "sync")
    assert "images/w/BOOT.WIM exists" in why and "case differs" in why
    why, fix = walker.explain_tftp("\\images\\w\\boot.sdi", chain.TftpFailure(1, "nf"), "run sync")
    assert "file not found" in why and fix == "run sync"


def test_wimboot_bcd_names_must_be_handed_over(tmp_path):
    bcd = build_pxe_store("bios", "\\boot\\boot.sdi", [("p", "\\sources\\boot.wim")])
    walker = _walker(tmp_path)
    assert walker.wimboot_bcd({"bcd": bcd, "boot.sdi": b"s", "boot.wim": b"w"})
    walker = _walker(tmp_path)
    assert not walker.wimboot_bcd({"bcd": bcd, "boot.sdi": b"s"})
    assert "\\sources\\boot.wim" in walker.links[-1].detail and not walker.links[-1].ok


def test_damaged_bcd_is_a_failed_link(tmp_path):
    walker = _walker(tmp_path)
    assert not walker.bcd_files(b"regf" + b"\0" * 100, "\\images\\w", "bootmgr.exe")
    assert walker.links[-1].name == "BCD parse" and walker.links[-1].line().startswith("FAIL BCD parse: ")


def test_link_lines():
    assert chain.Link("BCD", True, "ok").line() == "OK   BCD: ok"
    assert chain.Link("BCD", False, "gone", "sync").line() == "FAIL BCD: gone (fix: sync)"


@pytest.mark.parametrize("text, parsed", [
    ("10.0.0.1", ("10.0.0.1", 69)), ("tftp.lan:6969", ("tftp.lan", 6969)),
    ("[::1]:70", ("::1", 70)), ("::1", ("::1", 69)),
])
def test_host_port(text, parsed):
    assert parse_host_port(text) == parsed


@pytest.mark.parametrize("text", ["", "host:0", "a b", "host:99999"])
def test_host_port_refused(text):
    with pytest.raises(InputError):
        parse_host_port(text)


def test_macs():
    assert normal_mac("52-54-00-AA-BB-CC") == "52:54:00:aa:bb:cc"
    with pytest.raises(InputError):
        normal_mac("52:54:00")
    record = {"interfaces": {"eth1": {"mac_address": "52:54:00:00:00:02"}, "eth0": {"mac_address": ""}}}
    assert system_macs(record) == ["52:54:00:00:00:02"]
