"""Cobbler's own dhcp.template with the plugin's blocks, rendered by Cobbler's Templar the way its ISC manager
does, is accepted by `dhcpd -t` and gives a Windows system's PXE client its loader and option 252."""
import os
import shutil
import subprocess

import pytest

from cobbler_winpe.adapter import dhcp_templates, install
from cobbler_winpe.gen import layout

pytestmark = pytest.mark.integration


def stock(name):
    import cobbler
    base = os.path.join(os.path.dirname(os.path.dirname(cobbler.__file__)), "etc", "cobbler", name)
    with open(base, encoding="utf-8") as handle:
        return handle.read()


def iface(name, owner, distro, meta, **extra):
    """An interface entry shaped like the one Cobbler 3.3's isc manager hands dhcp.template."""
    data = {"name": name, "owner": owner, "interface_type": "na", "ip_address": "", "dns_name": "", "hostname": "",
            "netmask": "", "if_gateway": "", "gateway": "", "enable_ipxe": False, "next_server_v4": "",
            "filename": None, "name_servers": [], "netboot_enabled": True, "mgmt_parameters": meta,
            "distro": {"name": distro}}
    data.update(extra)
    return data


def render(template):
    from cobbler.templar import Templar
    tags = {"default": {
        "52:54:00:00:00:01": iface("winbox", "winbox", "win10-x86_64", {"winpe": "1"}),
        "52:54:00:00:00:02": iface("ipxebox", "ipxebox", "win10-x86_64", {"winpe": "1"}, enable_ipxe=True),
        "52:54:00:00:00:03": iface("linuxbox", "linuxbox", "centos9", {}),
    }}
    metadata = {"date": "now", "cobbler_server": "192.0.2.5:80", "next_server_v4": "192.0.2.5",
                "next_server_v6": "", "dhcp_tags": tags}
    return Templar(DefaultSettingsApi()).render(template, metadata, None)


class DefaultSettingsApi:
    """What Templar needs of Cobbler's API: settings (Cobbler's defaults)."""
    def settings(self):
        from cobbler.settings import Settings
        return Settings()


def host_block(text, name):
    start = text.index("host %s {" % name)
    return text[start:text.index("\n    }", start)]


def test_rendered_template_passes_dhcpd_and_serves_windows_systems(tmp_path):
    if not shutil.which("dhcpd"):
        pytest.skip("dhcpd (isc-dhcp-server) missing")
    text = render(dhcp_templates.with_isc_blocks(stock("dhcp.template")))
    conf = tmp_path / "dhcpd.conf"
    conf.write_text(text)
    check = subprocess.run(["dhcpd", "-t", "-cf", str(conf)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr + text
    win = host_block(text, "winbox")
    assert 'filename "images/win10-x86_64/pxeboot.n12";' in win
    # UEFI: the boot manager gen/staging.py chose for the system (its winpe_boot_manager), staged under its name
    assert 'filename "%s";' % layout.system_nbp_file("win10-x86_64", "winbox") in win
    assert win.count("bootmgfw") == 1    # the distro-wide bootmgfw.efi (always 2011) no more
    assert 'option cobbler-winpe-bcd "\\\\images\\\\win10-x86_64\\\\bcd\\\\sys\\\\winbox";' in win
    assert 'option cobbler-winpe-bcd "\\\\images\\\\win10-x86_64\\\\bcd\\\\sys\\\\winbox.uefi";' in win
    assert "cobbler-winpe-bcd" not in host_block(text, "ipxebox")     # iPXE systems: Cobbler's own branch
    assert "cobbler-winpe-bcd" not in host_block(text, "linuxbox")
    broken = tmp_path / "broken.conf"
    broken.write_text(text.replace("option cobbler-winpe-bcd code 252 = text;", ""))
    assert subprocess.run(["dhcpd", "-t", "-cf", str(broken)], capture_output=True, timeout=60).returncode != 0


def test_blocks_come_out_again():
    for name, edit in (("dhcp.template", dhcp_templates.with_isc_blocks),
                       ("dnsmasq.template", lambda t: dhcp_templates.with_dnsmasq_line(t, "/etc/cobbler/winpe/x.conf"))):
        text = stock(name)
        edited = edit(text)
        assert edit(edited) == edited
        assert install.without_block(edited) == text or install.without_block(edited) == text.rstrip("\n") + "\n"


def test_uefi_menu_class_for_unknown_clients_passes_dhcpd(tmp_path):
    """uefi_menu: the pxeclients class ends with the boot-manager menu for unknown UEFI clients (after Cobbler's
    GRUB lines, so its filename is the one set); dhcpd -t accepts it; without the setting nothing is added."""
    if not shutil.which("dhcpd"):
        pytest.skip("dhcpd (isc-dhcp-server) missing")
    text = render(dhcp_templates.with_isc_blocks(stock("dhcp.template"), uefi_menu=True))
    conf = tmp_path / "dhcpd.conf"
    conf.write_text(text)
    check = subprocess.run(["dhcpd", "-t", "-cf", str(conf)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr + text
    pxe = text[text.index('class "pxeclients"'):text.index("# group for Cobbler DHCP tag")]
    menu = pxe.index('filename "%s";' % layout.menu_nbp("x86_64"))
    assert pxe.rindex('filename "grub/grubx64.efi";') < menu
    assert 'option cobbler-winpe-bcd "\\\\winpe\\\\menu\\\\x64\\\\BCD";' in pxe
    assert 'filename "%s";' % layout.menu_nbp("arm64") in pxe
    assert pxe.count("if not known and not exists user-class and (option system-arch = 00:07 or "
                     "option system-arch = 00:09) {") == 1
    assert "winpe/menu" not in render(dhcp_templates.with_isc_blocks(stock("dhcp.template")))
    edited = dhcp_templates.with_isc_blocks(stock("dhcp.template"), uefi_menu=True)
    assert install.without_block(edited) == stock("dhcp.template")


def test_ipxe_menu_class_for_unknown_uefi_clients_passes_dhcpd(tmp_path):
    """uefi_ipxe_menu: the pxeclients class ends with iPXE for unknown UEFI x64 PXE clients and Cobbler's iPXE
    menu for their iPXE (after Cobbler's GRUB lines, so its filename is the one set); dhcpd -t accepts it and
    refuses it with a brace missing; remove-hooks gives back the stock template."""
    if not shutil.which("dhcpd"):
        pytest.skip("dhcpd (isc-dhcp-server) missing")
    edited = dhcp_templates.with_isc_blocks(stock("dhcp.template"), ipxe_menu=True)
    text = render(edited)
    conf = tmp_path / "dhcpd.conf"
    conf.write_text(text)
    check = subprocess.run(["dhcpd", "-t", "-cf", str(conf)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr + text
    pxe = text[text.index('class "pxeclients"'):text.index("# group for Cobbler DHCP tag")]
    assert pxe.rindex('filename "grub/grubx64.efi";') < pxe.index('filename "%s";' % layout.IPXE_EFI)
    assert 'filename "ipxe/default.ipxe";' in pxe and "ipxe/default.ipxe" not in render(stock("dhcp.template"))
    conf.write_text(text.replace('filename "ipxe/default.ipxe";\n', 'filename "ipxe/default.ipxe";\n {\n', 1))
    assert subprocess.run(["dhcpd", "-t", "-cf", str(conf)], capture_output=True, timeout=60).returncode != 0
    assert install.without_block(edited) == stock("dhcp.template")
