"""QEMU PXE clients boot menus made by gen/menus.py; stand-in loaders report what the real Windows loader would see."""
import os

import pytest

import harness
from cobbler_winpe.gen import layout, menus, model
from cobbler_winpe.snippets import Templates

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DISTROS = (model.WinDistro("win10-x64", "x86_64", "10", "/unused"),
           model.WinDistro("win11-x64", "x86_64", "11", "/unused"))
PROFILES = (model.WinProfile("win10-x64-pro", "win10-x64"), model.WinProfile("win11-x64-edu", "win11-x64"))
LINUX_LABEL = "centos9-x86_64"
INJECT = ("startnet.cmd", "winpeshl.ini", "unattend.xml")


def _need(firmware, kinds=("nbp",)):
    builder = harness.load_standins_builder()
    missing = harness.missing_programs(firmware)
    for kind in kinds:
        missing += builder.missing_tools(kind)
    if missing:
        pytest.skip("missing: %s" % ", ".join(missing))
    return builder


def _pxelinux_default(choose):
    """A Cobbler-like pxelinux menu: a Linux entry beside the generated Windows entries; ONTIMEOUT picks CHOOSE."""
    head = ("DEFAULT menu\nPROMPT 0\nMENU TITLE Cobbler\nTIMEOUT 20\nONTIMEOUT %s\n"
            "LABEL local\n\tMENU LABEL (local)\n\tLOCALBOOT -1\n"
            "LABEL %s\n\tMENU LABEL %s\n\tKERNEL images/%s/vmlinuz\n\tAPPEND initrd=images/%s/initrd.img\n"
            % (choose, LINUX_LABEL, LINUX_LABEL, LINUX_LABEL, LINUX_LABEL))
    text = head + "".join(menus.pxelinux_entry(d, p, templates=Templates()) for d, p in zip(DISTROS, PROFILES)) + "MENU end\n"
    return harness.with_serial_console(text)


@pytest.fixture(scope="module")
def bios_tree(tmp_path_factory):
    """A TFTP root with pxelinux, the generated menu and one pxeboot.n12 stand-in per Windows distro."""
    builder = _need("bios")
    root = str(tmp_path_factory.mktemp("tftp-bios"))
    harness.add_pxelinux(root)
    harness.place_standins(builder, root, [d.name for d in DISTROS], "bios", None)
    harness.put_file(root, "pxelinux.cfg/default", _pxelinux_default(PROFILES[0].name))
    return root


def _assert_nbp_saw(result, distro, profile):
    prefix = "STANDIN-NBP %s " % distro.name
    expected = "siaddr=%s file=%s opt252=%s" % (harness.SLIRP_SERVER, layout.nbp_file(distro.name, "bios"),
                                                menus.bcd_option(distro, profile, "bios"))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-2000:]
    assert result.lines(prefix + "pkt=2") == [prefix + "pkt=2 " + expected]
    assert result.lines(prefix + "pkt=3") == [prefix + "pkt=3 " + expected]


def test_bios_menu_ontimeout_reaches_first_distro_with_its_bcd(bios_tree):
    result = harness.boot("bios", tftp_root=bios_tree, bootfile="pxelinux.0", timeout=40)
    for label in (LINUX_LABEL, PROFILES[0].name, PROFILES[1].name):
        assert label in result.text
    _assert_nbp_saw(result, DISTROS[0], PROFILES[0])
    assert "STANDIN-NBP %s" % DISTROS[1].name not in result.text


def test_bios_menu_typed_choice_reaches_second_distro_with_its_bcd(bios_tree):
    typed = [("Automatic boot", "\x1b"), ("boot:", PROFILES[1].name + "\r")]
    result = harness.boot("bios", tftp_root=bios_tree, bootfile="pxelinux.0", timeout=40, replies=typed)
    _assert_nbp_saw(result, DISTROS[1], PROFILES[1])
    assert "STANDIN-NBP %s" % DISTROS[0].name not in result.text


def _ipxe_first_tree(root, url):
    """UEFI clients sent to iPXE by DHCP: the firmware fetches snponly.efi, iPXE then fetches URL over HTTP.

    slirp gives every client the same boot file, so the URL itself is the boot file and slirp's TFTP maps it to a
    path under ROOT holding snponly.efi: the firmware's PXE gets iPXE over TFTP, iPXE gets the script over HTTP,
    as a DHCP server answering user-class "iPXE" with the script URL does.
    """
    harness.add_ipxe(root, "snponly.efi", url.replace("http://", "http:/"))


def test_uefi_dhcp_ipxe_chains_bootmgfw_with_pxe_base_code_and_option_252(tmp_path):
    builder = _need("uefi", ("efi",))
    root, web = str(tmp_path / "tftp"), str(tmp_path / "web")
    distro, profile = DISTROS[1], PROFILES[1]
    harness.place_standins(builder, root, [distro.name], "uefi", str(tmp_path / "b"))
    script_rel = layout.ipxe_script_file(distro.name, profile.name)
    harness.put_file(web, script_rel, menus.ipxe_script(menus.ipxe_chain_lines(distro, profile)))
    with harness.HttpServer(web) as server:
        url = server.guest_url(script_rel)
        _ipxe_first_tree(root, url)
        result = harness.boot("uefi", tftp_root=root, bootfile=url, http_port=server.port, timeout=60)
        requests = server.requests
    prefix = "STANDIN-EFI %s " % distro.name
    expected = "received=1 siaddr=%s file=%s opt252=%s" % (harness.SLIRP_SERVER, layout.nbp_file(distro.name, "uefi"),
                                                 menus.bcd_option(distro, profile, "uefi"))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    assert requests == [("GET", "/" + script_rel, 200)]
    assert result.lines(prefix + "pxebc=") == [prefix + "pxebc=device handles=1"]
    assert result.lines(prefix + "pkt=dhcpack") == [prefix + "pkt=dhcpack " + expected]
    assert result.lines(prefix + "pkt=pxereply") == [prefix + "pkt=pxereply " + expected]


def test_ipxe_nic_rom_bios_chains_pxeboot_with_option_252(tmp_path):
    builder = _need("ipxe")
    root, web = str(tmp_path / "tftp"), str(tmp_path / "web")
    distro, profile = DISTROS[0], PROFILES[0]
    harness.place_standins(builder, root, [distro.name], "bios", None)
    script_rel = layout.ipxe_script_file(distro.name, profile.name)
    harness.put_file(web, script_rel, menus.ipxe_script(menus.ipxe_chain_lines(distro, profile)))
    with harness.HttpServer(web) as server:
        result = harness.boot("bios", tftp_root=root, bootfile=server.guest_url(script_rel), http_port=server.port,
                              timeout=40)
        assert server.requests == [("GET", "/" + script_rel, 200)]
    _assert_nbp_saw(result, distro, profile)


def _web_tree(web, distro, profile):
    """Every file the wimboot entry names, with distinct contents; returns {name: size}."""
    sizes = {}
    for index, (name, relpath) in enumerate(menus.wimboot_files(distro, profile.name, INJECT)):
        data = (("%s %d\n" % (name, index)) * (64 + 512 * index)).encode()
        harness.put_file(web, os.path.join("cobbler", relpath), data)
        sizes[name] = len(data)
    return sizes


def _wimboot_run(tmp_path, firmware, builder_kind):
    builder = _need("ipxe" if firmware == "bios" else "uefi", (builder_kind,))
    root, web = str(tmp_path / "tftp"), str(tmp_path / "web")
    os.makedirs(root)
    distro, profile = DISTROS[0], PROFILES[0]
    sizes = _web_tree(web, distro, profile)
    wimboot = os.path.join(web, "cobbler", layout.WIMBOOT)
    if builder_kind == "nbp":
        builder.build_nbp("wimboot", wimboot)
    else:
        builder.build_efi("wimboot", wimboot, str(tmp_path / "b"))
    script_rel = os.path.join("cobbler", layout.ipxe_script_file(distro.name, profile.name))
    with harness.HttpServer(web) as server:
        srv = model.Server(harness.GUEST_HTTP_ADDR, http_port=server.port)
        script = menus.ipxe_script(menus.ipxe_wimboot_lines(srv, distro, profile.name, INJECT))
        harness.put_file(web, script_rel, script)
        url = server.guest_url(script_rel)
        if firmware == "uefi":
            _ipxe_first_tree(root, url)
        result = harness.boot(firmware, tftp_root=root, bootfile=url, http_port=server.port, timeout=60)
        requests = server.requests
    expected = [("GET", "/" + script_rel, 200), ("GET", "/cobbler/" + layout.WIMBOOT, 200)]
    expected += [("GET", "/cobbler/" + rel, 200) for _, rel in menus.wimboot_files(distro, profile.name, INJECT)]
    assert requests == expected
    return result, sizes


def test_ipxe_nic_rom_wimboot_fetches_every_file_in_order(tmp_path):
    result, _ = _wimboot_run(tmp_path, "bios", "nbp")
    assert result.exit_code == harness.EXIT_CODE_STANDIN
    assert result.lines("STANDIN-NBP wimboot start")


def test_ipxe_uefi_wimboot_is_handed_every_file_by_name(tmp_path):
    result, sizes = _wimboot_run(tmp_path, "uefi", "efi")
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    listed = [line.split("file=")[1].split(" size=") for line in result.lines("STANDIN-EFI wimboot file=")]
    assert [(name, int(size)) for name, size in listed[1:]] == list(sizes.items())
    assert listed[0][0] == "wimboot"
