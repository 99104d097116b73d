"""Cobbler's UEFI GRUB (mkloaders grubx64.efi, GRUB 2.06 and 2.12) handing over to network loaders under OVMF:
what iPXE (2019, 2025 builds), the bootmgfw.efi stand-in and GRUB `linux` get once GRUB has used the NIC."""
import os
import pathlib
import re
import shutil

import pytest

import cobbler_grub
import harness
import trixie
from cobbler_winpe.gen import layout, menus, model
from cobbler_winpe.snippets import Templates

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DISTRO = model.WinDistro("win10-x64", "x86_64", "10", "/unused")
PROFILE = model.WinProfile("win10-x64-pro", "win10-x64")
CMDLINE_MARK = "WINPE-CMDLINE-RAN"
GRUB_HEAD = ("serial --speed=115200 --unit=0\nterminal_input serial console\nterminal_output serial\n"
             "set timeout=1\nset default=%s\n")
BACK_IN_GRUB = "Press any key to continue"     # GRUB's prompt after the chainloaded image returned an error
IPXE_BANNER = re.compile(r"iPXE (\S+) -- Open Source Network Boot Firmware")
# What each real iPXE did after Cobbler's GRUB chainloaded it (OVMF 2022.11 and 2025.02 alike; docs/boot-chains.md):
# 'no-device' prints "No more network devices", 'returned' ran its EFI load options as a script with no network
# device and went back to GRUB, 'hang' stayed at "iPXE initialising devices..." until the deadline.
IPXE_SEEN = {("2.06", "snponly.efi", "2019"): "no-device", ("2.06", "snponly.efi", "2025"): "returned",
             ("2.06", "ipxe.efi", "2019"): "hang", ("2.06", "ipxe.efi", "2025"): "hang",
             ("2.12", "snponly.efi", "2019"): "no-device", ("2.12", "snponly.efi", "2025"): "returned",
             ("2.12", "ipxe.efi", "2019"): "no-device", ("2.12", "ipxe.efi", "2025"): "returned"}
OVMFS = ("2022.11", "2025.02")
# The whole table (both OVMFs, the 50 s ipxe.efi hangs, every DHCP-route pair: about 7 min) is a measurement run on
# demand, COBBLER_WINPE_MEASURE=1; the suite keeps one case of each finding (about 2 min).
MEASURE = bool(os.environ.get("COBBLER_WINPE_MEASURE"))
SUITE_OVMFS = OVMFS if MEASURE else OVMFS[:1]
IPXE_CASES = [("snponly.efi", "2019"), ("snponly.efi", "2025"), ("ipxe.efi", "2019"), ("ipxe.efi", "2025")]
SUITE_IPXE_CASES = IPXE_CASES if MEASURE else IPXE_CASES[:2]
DHCP_ROUTE_CASES = [("2025", "2025.02"), ("2019", "2025.02"), ("2025", "2022.11")]
SUITE_DHCP_ROUTE_CASES = DHCP_ROUTE_CASES if MEASURE else DHCP_ROUTE_CASES[:1]


@pytest.fixture(scope="module")
def trixie_tree():
    """The unpacked Debian 13 packages; the test skips with the reason when they cannot be fetched."""
    try:
        return trixie.root()
    except trixie.Unavailable as err:
        pytest.skip("Debian 13 packages unavailable: %s" % err)


@pytest.fixture(scope="module")
def grub_images(tmp_path_factory, trixie_tree):
    """{version: grubx64.efi} built by Cobbler's mkloaders with Debian 12's and Debian 13's grub-mkimage."""
    missing = [p for p in ("grub-mkimage", harness.QEMU) if not shutil.which(p)]
    missing += harness.missing_programs("uefi") + harness.load_standins_builder().missing_tools("efi")
    if missing:
        pytest.fail("missing: %s (./scripts/setup.sh installs them)" % ", ".join(missing))
    mkimage_212 = trixie.program(trixie_tree, "usr/bin/grub-mkimage")
    mkimage_212 += ["-d", os.path.join(trixie_tree, "usr/lib/grub/x86_64-efi")]
    images = {}
    for version, argv in (("2.06", None), ("2.12", mkimage_212)):
        _settings, images[version] = cobbler_grub.build(tmp_path_factory.mktemp("grub" + version), "x86_64-efi",
                                                        argv)
    return images


def _ipxe(trixie_tree, name, year):
    return os.path.join(harness.IPXE_DIR if year == "2019" else os.path.join(trixie_tree, "usr/lib/ipxe"), name)


def _ovmf(trixie_tree, version):
    if version == "2022.11":
        return None
    folder = os.path.join(trixie_tree, "usr/share/OVMF")
    return os.path.join(folder, "OVMF_CODE_4M.fd"), os.path.join(folder, "OVMF_VARS_4M.fd")


def _handover(commands):
    """A menu whose default entry runs COMMANDS."""
    return GRUB_HEAD % "handover" + "menuentry 'handover' --id handover {\n%s\n}\n" % commands


def _boot(tmp_path, grub_image, ovmf, menu, timeout=60, stop_text=None):
    """Boot Cobbler's grubx64.efi from slirp TFTP with MENU as grub/grub.cfg; the tree also holds the profile's
    iPXE script and the bootmgfw.efi stand-in it chains."""
    root = str(tmp_path / "tftp")
    harness.put_file(root, "grub/grubx64.efi", pathlib.Path(grub_image).read_bytes())
    harness.place_standins(harness.load_standins_builder(), root, [DISTRO.name], "uefi", str(tmp_path / "b"))
    harness.put_file(root, layout.ipxe_script_file(DISTRO.name, PROFILE.name),
                     menus.ipxe_script(menus.ipxe_chain_lines(DISTRO, PROFILE)))
    harness.put_file(root, "grub/grub.cfg", menu)
    return root, lambda: harness.boot("uefi", tftp_root=root, bootfile="grub/grubx64.efi", timeout=timeout,
                                      stop_text=stop_text, ovmf=ovmf)


def ipxe_outcome(result):
    """(iPXE version or None, 'no-device' | 'returned' | 'hang' | 'network', load-options script ran)."""
    banner = IPXE_BANNER.search(result.text)
    if re.search(r"net0: [0-9a-f]{2}:|Configuring \(net0", result.text):
        seen = "network"
    elif "No more network devices" in result.text:
        seen = "no-device"
    elif BACK_IN_GRUB in result.text.split("iPXE initialising devices")[-1]:
        seen = "returned"
    else:
        seen = "hang"
    return (banner.group(1) if banner else None), seen, CMDLINE_MARK in result.text


@pytest.mark.parametrize("ovmf_version", SUITE_OVMFS)
@pytest.mark.parametrize("grub", ("2.06", "2.12"))
@pytest.mark.parametrize("name,year", SUITE_IPXE_CASES)
def test_ipxe_chainloaded_by_uefi_grub_gets_no_network(tmp_path, trixie_tree, grub_images, grub, name, year,
                                                       ovmf_version):
    """iPXE starts, but finds no usable NIC: GRUB still holds the SNP protocol exclusively."""
    loader = _ipxe(trixie_tree, name, year)
    rel = os.path.join(os.path.dirname(layout.IPXE_EFI), name)
    script = layout.ipxe_script_file(DISTRO.name, PROFILE.name)
    # iPXE >= 2023 runs its EFI load options, minus the first word, as a script (src/interface/efi/efi_cmdline.c)
    entry = ("  chainloader (tftp)/%s ipxe 'echo %s && dhcp && chain tftp://${next-server}/%s'\n  boot"
             % (rel, CMDLINE_MARK, script))
    root, run = _boot(tmp_path, grub_images[grub], _ovmf(trixie_tree, ovmf_version), _handover(entry), timeout=50,
                      stop_text=BACK_IN_GRUB + "...")
    harness.put_file(root, rel, pathlib.Path(loader).read_bytes())
    result = run()
    version, seen, cmdline = ipxe_outcome(result)
    print("RESULT grub=%s loader=%s-%s ovmf=%s version=%s seen=%s cmdline=%s exit=%s seconds=%.1f"
          % (grub, name, year, ovmf_version, version, seen, cmdline, result.exit_code, result.seconds))
    assert re.search(r"GNU GRUB\s+version %s-" % re.escape(grub), result.text), result.text[-3000:]
    assert "iPXE initialising devices" in result.text, result.text[-3000:]
    assert seen == IPXE_SEEN[(grub, name, year)], result.text[-3000:]
    assert result.exit_code != harness.EXIT_CODE_STANDIN       # the profile script never chained bootmgfw.efi
    if seen != "hang":
        assert version.startswith("1.0.0+git-20190125" if year == "2019" else "1.21.1+git20250501")
        assert cmdline == (year == "2025")


@pytest.mark.parametrize("ovmf_version", SUITE_OVMFS)
@pytest.mark.parametrize("grub", ("2.06", "2.12"))
def test_bootmgfw_chainloaded_by_uefi_grub_finds_no_pxe_and_a_held_nic(tmp_path, trixie_tree, grub_images, grub,
                                                                       ovmf_version):
    """The bootmgfw.efi stand-in: no PXE base code anywhere, SNP on its device handle cannot be taken over
    (ACCESS_DENIED), no file system on the device (what wimboot's efi_extract needs)."""
    nbp = layout.nbp_file(DISTRO.name, "uefi")
    _root, run = _boot(tmp_path, grub_images[grub], _ovmf(trixie_tree, ovmf_version),
                       _handover("  chainloader (tftp)/%s ipxe opt\n  boot" % nbp), timeout=60)
    result = run()
    prefix = "STANDIN-EFI %s " % DISTRO.name
    print("RESULT grub=%s loader=bootmgfw-standin ovmf=%s %s seconds=%.1f"
          % (grub, ovmf_version, " | ".join(result.lines(prefix)), result.seconds))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    assert result.lines(prefix + "options=") == [prefix + "options=ipxe opt"]
    assert result.lines(prefix + "pxebc=") == [prefix + "pxebc=none handles=0"]
    state = {"2.06": 0, "2.12": 2}[grub]     # 2.06 stops the SNP before `boot`, 2.12 leaves it initialised
    assert result.lines(prefix + "snp=") == [prefix + "snp=device state=%d open=error-15" % state]
    assert result.lines(prefix + "fs=") == [prefix + "fs=none"]


@pytest.mark.parametrize("grub", ("2.06", "2.12"))
def test_uefi_grub_linux_boots_a_bzimage_without_efi_handover_blind(tmp_path, trixie_tree, grub_images, grub):
    """wimboot's bzImage header is boot protocol 2.03 with no EFI handover (wimboot src/prefix.S): GRUB `linux`
    on UEFI takes such a kernel (ipxe.lkrn here) and jumps to it after leaving boot services, where wimboot's
    BIOS path (int 13h emulation, src/main.c) has no BIOS to call."""
    lkrn = os.path.join(harness.IPXE_DIR, "ipxe.lkrn")
    entry = ("  linux (tftp)/%s\n  initrd newc:bootmgr:(tftp)/grub/grub.cfg\n  echo WINPE-LINUX-LOADED\n  boot"
             % layout.IPXE_LKRN)
    root, run = _boot(tmp_path, grub_images[grub], None, _handover(entry), timeout=40,
                      stop_text="Booting in blind mode")
    harness.put_file(root, layout.IPXE_LKRN, pathlib.Path(lkrn).read_bytes())
    result = run()
    print("RESULT grub=%s loader=linux-ipxe.lkrn seconds=%.1f" % (grub, result.seconds))
    assert "WINPE-LINUX-LOADED" in result.text, result.text[-3000:]
    assert "Booting in blind mode" in result.text, result.text[-3000:]


# What the generated entry must print on UEFI (snippets/cobbler_winpe/menu_grub), line by line.
UEFI_NOTICE = ["Windows profile %s cannot start from GRUB on UEFI." % PROFILE.name,
               "GRUB (2.06 and 2.12) keeps the network card: a loader started here",
               "gets no network. Boot this client another way:",
               "- DHCP boot file %s for it (iPXE, then Cobbler" % layout.IPXE_EFI,
               "  iPXE script), see cobbler-winpe docs/boot-chains.md;",
               "- uefi_ipxe_menu: true in /etc/cobbler/winpe.yaml (iPXE, then",
               "  Cobbler iPXE menu of Linux and Windows profiles); or",
               "- uefi_menu: true in /etc/cobbler/winpe.yaml (Windows boot menu)."]


@pytest.mark.parametrize("grub", ("2.06", "2.12"))
def test_generated_entry_tells_a_uefi_client_what_works(tmp_path, trixie_tree, grub_images, grub):
    menu = GRUB_HEAD % PROFILE.name + menus.grub_entry(DISTRO, PROFILE, templates=Templates())
    _root, run = _boot(tmp_path, grub_images[grub], None, menu, timeout=40, stop_text=UEFI_NOTICE[-1])
    result = run()
    printed = [line.rstrip() for line in result.text.split("\n")]
    start = printed.index(UEFI_NOTICE[0]) if UEFI_NOTICE[0] in printed else None
    assert start is not None, result.text[-3000:]
    assert printed[start:start + len(UEFI_NOTICE)] == UEFI_NOTICE
    assert "error:" not in result.text and "STANDIN" not in result.text


def test_debian13_fetch_failure_is_reported_not_passed(tmp_path, monkeypatch):
    """When apt cannot reach the archive, the fetch raises with apt's own words (the fixtures skip with them)."""
    monkeypatch.setattr(trixie, "CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(trixie, "SOURCE", "deb [trusted=yes] http://127.0.0.1:9/debian trixie main\n")
    with pytest.raises(trixie.Unavailable) as caught:
        trixie.root()
    assert str(caught.value).startswith("apt-get update (trixie) failed") and "127.0.0.1" in str(caught.value)
    assert not os.path.exists(os.path.join(str(tmp_path / "cache"), "unpacked"))


@pytest.mark.parametrize("year,ovmf_version", SUITE_DHCP_ROUTE_CASES)
def test_dhcp_route_the_entry_names_works_with_either_ipxe_and_ovmf(tmp_path, trixie_tree, year, ovmf_version):
    """The route the UEFI entry points to: DHCP hands the firmware snponly.efi (no GRUB in between), iPXE runs
    the profile script over HTTP and bootmgfw.efi finds the PXE base code with option 252 (test_boot_chains.py
    measures Debian 12's iPXE on OVMF 2022.11)."""
    root, web = str(tmp_path / "tftp"), str(tmp_path / "web")
    harness.place_standins(harness.load_standins_builder(), root, [DISTRO.name], "uefi", str(tmp_path / "b"))
    script_rel = layout.ipxe_script_file(DISTRO.name, PROFILE.name)
    harness.put_file(web, script_rel, menus.ipxe_script(menus.ipxe_chain_lines(DISTRO, PROFILE)))
    with harness.HttpServer(web) as server:
        url = server.guest_url(script_rel)
        # slirp hands every client one boot file: the URL is it, and its TFTP maps the URL to a path holding iPXE
        ipxe = pathlib.Path(_ipxe(trixie_tree, "snponly.efi", year)).read_bytes()
        harness.put_file(root, url.replace("http://", "http:/"), ipxe)
        result = harness.boot("uefi", tftp_root=root, bootfile=url, http_port=server.port, timeout=60,
                              ovmf=_ovmf(trixie_tree, ovmf_version))
        requests = server.requests
    prefix = "STANDIN-EFI %s " % DISTRO.name
    expected = "received=1 siaddr=%s file=%s opt252=%s" % (harness.SLIRP_SERVER, layout.nbp_file(DISTRO.name, "uefi"),
                                                 menus.bcd_option(DISTRO, PROFILE, "uefi"))
    print("RESULT dhcp snponly.efi-%s ovmf=%s seconds=%.1f %s"
          % (year, ovmf_version, result.seconds, " | ".join(result.lines(prefix))))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    assert requests == [("GET", "/" + script_rel, 200)]
    # measured: with iPXE 2025 the system holds two PXE base code handles (one on the loader's device), 2019 one
    handles = 2 if year == "2025" else 1
    assert result.lines(prefix + "pxebc=") == [prefix + "pxebc=device handles=%d" % handles]
    assert result.lines(prefix + "pkt=dhcpack") == [prefix + "pkt=dhcpack " + expected]
