"""The stock-Cobbler boot matrix on a real DHCP network: BIOS and UEFI QEMU clients, known and unknown, through
Cobbler-managed ISC dhcpd, Cobbler-managed dnsmasq and proxyDHCP, with the configs, menus and TFTP tree one
`cobbler sync` of the real bed produced; stand-ins only in place of Microsoft's loaders."""
import contextlib
import os
import re
import shutil
import sys

import pytest

import harness
import netlab
from conftest import install_plugin, write_bed_config
import cobbler_grub

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dhcp"))
import test_cobbler_managed_dhcp as managed  # noqa: E402  (the bed's systems and its DHCP managers)
from testbed import run_ok  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DISTRO, PROFILE = managed.DISTRO, managed.PROFILE
PROXY_NETWORK = "proxy_dhcp_network: 192.168.1.0\n"
SNIPPET = "dnsmasq-winpe.conf"    # the plugin's dnsmasq file, which Cobbler's dnsmasq.conf reads by its bed path
SYSTEMS = {"winbox": managed.WIN_MAC, "linuxbox": managed.LINUX_MAC, "unknown": managed.OTHER_MAC}


ROUNDS = {"stock": "", "ipxe": "uefi_ipxe_menu: true\n"}   # the plugin's winpe.yaml per round (+ proxy network)


def sync_round(bed, modules, dest):
    """`cobbler sync` once per DHCP manager; the rendered configs, the plugin's dnsmasq and proxy files, the TFTP
    and web trees and cobblerd's per-system iPXE answers copied to DEST."""
    dest.mkdir()
    for manager, module in managed.MANAGERS.items():
        managed.MODULES_CONF.write_text(managed.with_dhcp_module(modules, module), encoding="utf-8")
        bed.restart_cobblerd()
        bed.task("sync")
        shutil.copyfile(managed.WRITTEN[manager], dest / (manager + ".conf"))
    shutil.copyfile(managed.PROXY_CONF, dest / "proxy.conf")
    shutil.copyfile(managed.PROXY_CONF.with_name(SNIPPET), dest / SNIPPET)
    shutil.copytree(bed.tftproot, dest / "tftp")
    shutil.copytree(bed.webdir, dest / "web" / "cobbler")
    svc = dest / "web" / "cblr" / "svc" / "op" / "ipxe" / "system"
    svc.mkdir(parents=True)
    for name in ("winbox", "ipxebox", "linuxbox"):
        status, body = bed.http_get("/cblr/svc/op/ipxe/system/" + name)
        assert status == 200, body
        (svc / name).write_bytes(body)


@pytest.fixture(scope="module")
def synced(winpe_bed, sample_media, tmp_path_factory):
    """The bed's Windows and Linux systems synced per DHCP manager with Cobbler's `server` and `next_server_v4` on
    the lab network, in two rounds: 'stock' (Cobbler's default enable_ipxe: false, the plugin's defaults) and
    'ipxe' (uefi_ipxe_menu with install-hooks re-run, Cobbler's enable_ipxe: true for its iPXE menu, the Windows
    system `winbox` with enable_ipxe false as docs/boot-chains.md tells the admin).  Returns (bed, work) with
    work/<round>/ as sync_round writes it."""
    missing = [name for name in ("dhcpd", "dnsmasq", "in.tftpd", "grub-mkimage", harness.QEMU)
               if not shutil.which(name)]
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, taps, the bed)")
    if missing:
        pytest.fail("missing: %s (./scripts/setup.sh installs them)" % ", ".join(missing))
    bed, work = winpe_bed, tmp_path_factory.mktemp("stock-matrix")
    bed.reset()
    write_bed_config(PROXY_NETWORK)
    managed.add_systems(bed, sample_media["win10-x64"], work)
    run_ok(bed, "system", "edit", "--name", "winbox", "--enable-ipxe", "false")
    modules = managed.MODULES_CONF.read_text(encoding="utf-8")
    with managed.kept(list(managed.WRITTEN.values()) + [managed.ETHERS]):
        try:
            for name, extra in ROUNDS.items():
                write_bed_config(PROXY_NETWORK + extra)
                install_plugin(bed)     # install-hooks edits dhcp.template by the plugin's configuration
                bed.set_settings({"manage_dhcp": True, "manage_dhcp_v4": True, "server": netlab.SERVER_IP,
                                  "next_server_v4": netlab.SERVER_IP, "enable_ipxe": bool(extra)})
                sync_round(bed, modules, work / name)
        finally:
            managed.MODULES_CONF.write_text(modules, encoding="utf-8")
            write_bed_config()
            install_plugin(bed)
            bed.set_settings({"manage_dhcp": False, "manage_dhcp_v4": False, "server": "127.0.0.1",
                              "next_server_v4": "127.0.0.1", "enable_ipxe": True})
    return bed, work


SERIAL_GRUB = ("set serial_console=false", "set serial_console=true")   # Cobbler's grub.cfg switch for COM1 (BIOS)
GRUB_DOWN = "v"                  # GRUB's menu moves down on `v` (grub-core/normal/menu.c), on any terminal


def client_tree(work):
    """The synced TFTP tree as the clients get it: Cobbler's grub.0 and grubx64.efi built by mkloaders' own
    mkimage (the bed copies Debian's monolithic GRUB), stand-ins for the Windows loaders, and Cobbler's own
    serial_console switch of grub.cfg turned on so GRUB's BIOS menu also reaches COM1."""
    root = work / "client"
    shutil.copytree(work / "tftp", root)
    for fmt in ("i386-pc-pxe", "x86_64-efi"):
        (root / "grub" / ("grub.0" if fmt == "i386-pc-pxe" else "grubx64.efi")).unlink(missing_ok=True)
        cobbler_grub.build(work, fmt, tftp_root=root)
    builder = harness.load_standins_builder()
    harness.place_standins(builder, str(root), [DISTRO], "bios", str(work / "build"))
    harness.place_standins(builder, str(root), [DISTRO], "uefi", str(work / "build"), ["winbox", "ipxebox"])
    cfg = root / "grub" / "grub.cfg"
    text = cfg.read_text()
    assert SERIAL_GRUB[0] in text, text
    cfg.write_text(text.replace(*SERIAL_GRUB))
    return root


def dnsmasq_conf(work):
    """Cobbler's dnsmasq.conf reading the plugin's file from this module's copy of it (the bed's is rewritten by
    later syncs of other tests)."""
    text = (work / "dnsmasq.conf").read_text()
    path = managed.PROXY_CONF.with_name(SNIPPET)
    assert "conf-file=%s" % path in text, text
    (work / "dnsmasq-main.conf").write_text(text.replace("conf-file=%s" % path, "conf-file=%s" % (work / SNIPPET)))
    return work / "dnsmasq-main.conf"


@pytest.fixture(scope="module")
def trees(synced):
    """{round: its client tree}, built once."""
    bed, work = synced
    return bed, work, {name: client_tree(work / name) for name in ROUNDS}


@pytest.fixture(scope="module")
def served(request, trees, tmp_path_factory):
    """The lab for one DHCP mode of one round (indirect parameter '<mode>' for the stock round, '<mode>-ipxe' for
    the other; pytest tears one lab down before the next starts): the config Cobbler rendered ('isc', 'dnsmasq')
    or the site's plain dhcpd plus the plugin's proxy file ('proxy'), tftpd-hpa on the round's client tree and a
    web server on Cobbler's address and port serving the synced web tree and cobblerd's recorded svc answers."""
    (bed, work, roots), (mode, _sep, name) = trees, request.param.partition("-")
    work, root = work / (name or "stock"), roots[name or "stock"]
    logs = tmp_path_factory.mktemp("lab-" + request.param)
    (logs / "site.conf").write_text(managed.SITE_CONF)
    with contextlib.ExitStack() as stack:
        lab = stack.enter_context(netlab.network(taps=1, site=mode == "proxy"))
        if mode == "proxy":
            stack.enter_context(netlab.dhcpd(logs / "site.conf", logs, dev=lab.site_dev, ns=netlab.SITE_NS))
            stack.enter_context(netlab.dnsmasq(work / "proxy.conf", logs, dev=lab.dev))
        elif mode == "dnsmasq":
            stack.enter_context(netlab.dnsmasq(dnsmasq_conf(work), logs, dev=lab.dev))
        else:
            stack.enter_context(netlab.dhcpd(work / "isc.conf", logs, dev=lab.dev))
        stack.enter_context(netlab.tftpd(root, logs))
        stack.enter_context(netlab.server(["python3", "-m", "http.server", str(bed.http_port), "--bind",
                                           netlab.SERVER_IP, "--directory", str(work / "web")], logs / "http.log"))
        yield mode, lab, root, logs


def grub_titles(root, firmware, system=None):
    """The menu entry titles Cobbler's GRUB shows, in order: the system's file, local, the profiles."""
    files = (["system/" + SYSTEMS[system]] if system else []) + [
        "local_efi.cfg" if firmware == "uefi" else "local_legacy.cfg", "x86_64_menu_items.cfg"]
    titles = []
    for name in files:
        titles += re.findall(r"""^menuentry ['"]([^'"]+)['"]""", (root / "grub" / name).read_text(), re.M)
    return titles


def pick(titles, wanted, down=GRUB_DOWN):
    """The keys that move a menu's highlight from its first entry to WANTED and boot it."""
    return down * titles.index(wanted) + "\r"


def boot(lab, firmware, system, **options):
    return harness.boot(firmware, netdev=harness.tap_netdev(lab.taps[0]), netns=netlab.SERVER_NS,
                        mac=SYSTEMS[system], **options)


def measured(mode, firmware, system, route, result, seen):
    print("MEASURED | %s | %s | %s | %s | %s | %.1f |" % (system, firmware, mode, route, seen, result.seconds))


def bcd(name, firmware):
    r"""Option 252 naming BCD NAME (a profile, or sys\<system>) of the Windows distro."""
    return "\\images\\%s\\bcd\\%s%s" % (DISTRO, name, ".uefi" if firmware == "uefi" else "")


PACKETS = {"bios": ("pkt=2", "pkt=3"), "uefi": ("pkt=dhcpack", "pkt=pxereply")}   # DHCP ACK, cached PXE reply


def loader_saw(result, firmware):
    """{packet: (file, option 252)} as the Windows loader stand-in printed them, or {} if it never ran."""
    prefix = "STANDIN-%s %s " % ("EFI" if firmware == "uefi" else "NBP", DISTRO)
    seen = {}
    for line in result.lines(prefix):
        found = re.search(r"(pkt=\S+) .*file=(\S*) opt252=(\S+)", line)
        if found:
            seen[found.group(1)] = (found.group(2), found.group(3))
    return seen


def tftp_servers(result):
    """The TFTP server addresses (siaddr) in the DHCP ACKs the Windows loader stand-ins were handed: where the
    real loader fetches its next files (bootmgr.exe, the BCD)."""
    return set(re.findall(r"STANDIN-(?:EFI %s pkt=dhcpack received=1|NBP %s pkt=2) siaddr=(\S+)" % (DISTRO, DISTRO),
                          result.text))


def summary(seen, firmware):
    ack, reply = (seen.get(pkt, ("-", "-")) for pkt in PACKETS[firmware])
    return "%s | %s / %s" % (ack[0], ack[1], reply[1])


UEFI_NBP, BIOS_NBP = "images/%s/sys/winbox/bootmgfw.efi" % DISTRO, "images/%s/pxeboot.n12" % DISTRO
# Known Windows system `winbox`, per (DHCP mode, firmware): route, loader, 252 in the DHCP ACK, 252 in the cached
# PXE reply (None: not there).  BIOS clients are QEMU's e1000 iPXE ROM (the PXE stack QEMU gives SeaBIOS), which
# sends user class iPXE; UEFI clients are OVMF's own PXE (virtio-net, empty romfile=).
KNOWN = {
    ("isc", "bios"): ("iPXE ROM -> grub/grub.0 (pxeclients class) -> system's GRUB file -> ipxe.lkrn + profile script",
                      BIOS_NBP, bcd(PROFILE, "bios"), bcd(PROFILE, "bios")),
    ("isc", "uefi"): ("DHCP boot file (install-hooks host block)", UEFI_NBP, bcd("sys\\winbox", "uefi"), "-"),
    ("dnsmasq", "bios"): ("iPXE ROM -> svc/op/ipxe/system/winbox -> system script", BIOS_NBP,
                          bcd("sys\\winbox", "bios"), bcd("sys\\winbox", "bios")),
    ("dnsmasq", "uefi"): ("DHCP boot file (plugin's dnsmasq lines)", UEFI_NBP, bcd("sys\\winbox", "uefi"), "-"),
    ("proxy", "bios"): ("proxy -> svc/op/ipxe/system/winbox -> system script", BIOS_NBP, bcd("sys\\winbox", "bios"),
                        None),
    ("proxy", "uefi"): ("proxy -> snponly.efi -> proxy -> svc/op/ipxe/system/winbox -> system script", UEFI_NBP,
                        bcd("sys\\winbox", "uefi"), None),
}
MODES = ["isc", "dnsmasq", "proxy"]


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
@pytest.mark.parametrize("served", MODES, indirect=True)
def test_known_windows_system(served, firmware):
    mode, lab, _root, _logs = served
    route, nbp, ack_252, reply_252 = KNOWN[(mode, firmware)]
    result = boot(lab, firmware, "winbox", timeout=120)
    seen = loader_saw(result, firmware)
    measured(mode, firmware, "known Windows system", route, result, summary(seen, firmware))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    ack, reply = (seen.get(pkt) for pkt in PACKETS[firmware])
    assert ack == (nbp, ack_252), seen
    assert tftp_servers(result) == {netlab.SERVER_IP}, result.text[-3000:]
    if reply_252 is not None and firmware == "bios":
        assert reply == (nbp, reply_252), seen
    if reply_252 is None:
        assert reply and reply[1] == "-", seen


def windows_title(titles):
    return next(t for t in titles if t.startswith(PROFILE + " "))


@pytest.mark.parametrize("served", MODES, indirect=True)
def test_unknown_bios_machine_picks_windows_from_cobblers_menu(served):
    """An unknown BIOS machine: Cobbler's GRUB (grub.0, ISC) or pxelinux (dnsmasq's stock dhcp-boot=pxelinux.0)
    menu, the Windows profile picked by keys on the serial console; behind the proxy the same grub.0 menu, whose
    ipxe.lkrn takes the TFTP server from the profile script (menus.PROXY_NEXT_SERVER)."""
    mode, lab, root, _logs = served
    if mode == "dnsmasq":
        cfg = root / "pxelinux.cfg" / "default"
        if not cfg.read_text().startswith("SERIAL"):
            cfg.write_text(harness.with_serial_console(cfg.read_text()))   # the menu on COM1 too
        keys, route = [("Automatic boot", "\x1b"), ("boot:", PROFILE + "\r")], "pxelinux.0 menu -> pxechn.c32 -W"
    else:
        titles = grub_titles(root, "bios")
        keys = [("Use the", pick(titles, windows_title(titles)))]
        route = "grub/grub.0 menu -> ipxe.lkrn + profile script"
    result = boot(lab, "bios", "unknown", timeout=150, replies=keys)
    seen = loader_saw(result, "bios")
    measured(mode, "bios", "unknown machine", route, result, summary(seen, "bios"))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    expected = (BIOS_NBP, bcd(PROFILE, "bios"))
    reply = (BIOS_NBP, "-") if mode == "proxy" else expected    # behind the proxy 252 is in the ACK only
    assert seen.get("pkt=2") == expected and seen.get("pkt=3") == reply, seen
    assert tftp_servers(result) == {netlab.SERVER_IP}, result.text[-3000:]


@pytest.mark.parametrize("served", ["isc", "proxy"], indirect=True)
def test_unknown_uefi_machine_gets_cobblers_grub_menu_with_the_windows_entries(served):
    """Stock route for an unknown UEFI machine: Cobbler's grubx64.efi menu lists the Windows profiles, whose
    entries say that GRUB 2.06 keeps the NIC and name the DHCP change (uefi_ipxe_menu); no Windows loader is
    reached.  Keys typed on OVMF's serial console did not move GRUB's highlight in this lab, so the entry's text is
    not read back here.  Behind the proxy GRUB comes through iPXE (snponly.efi), whose DHCP ACK names the TFTP
    server; straight from the proxy this grubx64.efi found no grub.cfg (grub> prompt).  Cobbler's
    dnsmasq.template gives UEFI clients pxelinux.0, which OVMF cannot run: no dnsmasq cell."""
    mode, lab, root, _logs = served
    titles = grub_titles(root, "uefi")
    result = boot(lab, "uefi", "unknown", timeout=90, stop_text=titles[-1])
    route = ("snponly.efi -> " if mode == "proxy" else "") + "grub/grubx64.efi menu (Windows entries explain)"
    measured(mode, "uefi", "unknown machine", route, result,
             "none: GRUB menu with %d Windows entries | -" % len([t for t in titles if "Windows" in t]))
    assert all(title in result.text for title in titles), result.text[-3000:]
    assert not loader_saw(result, "uefi")


@pytest.mark.parametrize("served, firmware", [("isc", "bios"), ("isc", "uefi"), ("proxy", "bios"),
                                               ("proxy", "uefi")], indirect=["served"])
def test_linux_system_gets_cobblers_grub_and_its_entry(served, firmware):
    """The Linux system on the same network: Cobbler's GRUB loads its machine file and starts its kernel.  Behind
    the proxy, UEFI: through iPXE (snponly.efi), which hands GRUB the TFTP server."""
    mode, lab, _root, _logs = served
    result = boot(lab, firmware, "linuxbox", timeout=90, stop_text="Loading initial ramdisk ...")
    measured(mode, firmware, "Linux system", "%sgrub/%s -> system's GRUB file (default linuxbox)" %
             ("snponly.efi -> " if (mode, firmware) == ("proxy", "uefi") else "",
              "grub.0" if firmware == "bios" else "grubx64.efi"), result,
             "its kernel entry (GRUB: Booting `linuxbox', Loading kernel)%s | no"
             % (", Debian GRUB: no `linuxefi`" if "find command `linuxefi'" in result.text else ""))
    assert "Booting `linuxbox'" in result.text and "Loading kernel ..." in result.text, result.text[-3000:]
    assert not loader_saw(result, firmware)


@pytest.mark.parametrize("served", ["dnsmasq"], indirect=True)
def test_linux_system_gets_cobblers_pxelinux_file(served):
    """The Linux system, BIOS, on Cobbler's dnsmasq (stock dhcp-boot=pxelinux.0): pxelinux loads its machine's
    pxelinux.cfg file and fetches its kernel over TFTP."""
    _mode, lab, root, _logs = served
    cfg = root / "pxelinux.cfg" / ("01-" + SYSTEMS["linuxbox"].replace(":", "-").lower())
    kernel = re.search(r"^\s*kernel\s+(\S+)", cfg.read_text(), re.M | re.I).group(1)
    if not cfg.read_text().startswith("SERIAL"):
        cfg.write_text(harness.with_serial_console(cfg.read_text()))   # its messages on COM1 too
    result = boot(lab, "bios", "linuxbox", timeout=90, stop_text="Loading %s" % kernel)
    measured("dnsmasq", "bios", "Linux system", "pxelinux.0 -> its pxelinux.cfg file", result,
             "its kernel (pxelinux: Loading %s) | no" % kernel)
    assert "Loading %s" % kernel in result.text and not loader_saw(result, "bios"), result.text[-3000:]


IPXE_DOWN = "\x1b[B"      # the down-arrow key as a serial terminal sends it (OVMF's terminal turns it into a scan code)
IPXE_MENU_TITLE = "Cobbler | https://cobbler.github.io"


def ipxe_items(root):
    """The item labels of Cobbler's iPXE menu (ipxe/default.ipxe), in menu order."""
    return re.findall(r"^item (\S+)", (root / "ipxe" / "default.ipxe").read_text(), re.M)


@pytest.mark.parametrize("served", ["isc-ipxe", "dnsmasq-ipxe", "proxy-ipxe"], indirect=True)
def test_unknown_uefi_machine_picks_windows_from_cobblers_ipxe_menu(served):
    """uefi_ipxe_menu: OVMF's own PXE -> winpe/ipxe/snponly.efi -> Cobbler's ipxe/default.ipxe -> the Windows
    profile picked on the serial console -> its script -> bootmgfw.efi with the profile's UEFI BCD in 252."""
    mode, lab, root, _logs = served
    keys = [(IPXE_MENU_TITLE, pick(ipxe_items(root), PROFILE, IPXE_DOWN))]
    result = boot(lab, "uefi", "unknown", timeout=150, replies=keys)
    seen = loader_saw(result, "uefi")
    measured(mode + " (uefi_ipxe_menu)", "uefi", "unknown machine",
             "snponly.efi -> ipxe/default.ipxe menu -> profile script", result, summary(seen, "uefi"))
    assert result.exit_code == harness.EXIT_CODE_STANDIN, result.text[-3000:]
    assert seen.get("pkt=dhcpack") == ("images/%s/bootmgfw.efi" % DISTRO, bcd(PROFILE, "uefi")), seen
    assert tftp_servers(result) == {netlab.SERVER_IP}, result.text[-3000:]


@pytest.mark.parametrize("served", ["isc-ipxe"], indirect=True)
def test_linux_profile_from_the_same_ipxe_menu(served):
    """The Linux profile of the same menu: iPXE fetches the profile's kernel (`kernel /images/linux/vmlinuz`,
    relative to the menu's tftp:// URL) from Cobbler's TFTP tree; the bed's kernel is a dummy, so iPXE stops
    there."""
    mode, lab, root, _logs = served
    keys = [(IPXE_MENU_TITLE, pick(ipxe_items(root), "linux-p", IPXE_DOWN))]
    result = boot(lab, "uefi", "unknown", timeout=90, replies=keys, stop_text="Exec format error")
    fetched = re.search(r"/images/linux/vmlinuz\.\.\. ok", result.text)    # iPXE names the URI as written
    measured(mode + " (uefi_ipxe_menu)", "uefi", "unknown machine", "snponly.efi -> ipxe/default.ipxe menu -> linux-p",
             result, "its kernel %s (the bed's dummy: Exec format error) | no" % (fetched and fetched.group(0)))
    assert fetched and "Exec format error" in result.text and not loader_saw(result, "uefi"), result.text[-3000:]


@pytest.mark.parametrize("served", ["isc-ipxe", "dnsmasq-ipxe"], indirect=True)
def test_known_windows_system_keeps_its_loader_with_the_ipxe_menu_on(served):
    """With uefi_ipxe_menu and Cobbler's enable_ipxe on, the Windows system (enable_ipxe false) still gets its
    boot manager and 252 straight from DHCP."""
    mode, lab, _root, _logs = served
    result = boot(lab, "uefi", "winbox", timeout=120)
    seen = loader_saw(result, "uefi")
    measured(mode + " (uefi_ipxe_menu)", "uefi", "known Windows system", "DHCP boot file", result,
             summary(seen, "uefi"))
    assert seen.get("pkt=dhcpack") == (UEFI_NBP, bcd("sys\\winbox", "uefi")), result.text[-3000:]
    assert tftp_servers(result) == {netlab.SERVER_IP}, result.text[-3000:]
