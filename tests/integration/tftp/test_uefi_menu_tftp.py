"""The staged UEFI boot-manager menu walked through the real tftpd-hpa as an unknown UEFI client's boot manager
would fetch it: the DHCP boot file, option 252's BCD, the manager's MUI and fonts, the default entry's SDI and WIM."""
import os

import pytest

from cobbler_winpe import config
from cobbler_winpe.host import tree as host_tree
from cobbler_winpe.adapter import staging as adapter_staging
from cobbler_winpe.gen import layout, model, remap, staging
from cobbler_winpe.verify.chain import Client, Servers, Walker
from tftpd import running

pytestmark = pytest.mark.integration
DISTROS = [model.WinDistro("win10-x64", "x86_64", "10", "/m"), model.WinDistro("win11-x64", "x86_64", "11", "/m")]
PROFILES = [model.WinProfile("pro", "win10-x64"), model.WinProfile("ent", "win11-x64")]
CACHE = ("Windows/Boot/EFI/bootmgfw.efi", "Windows/Boot/EFI/en-US/bootmgfw.efi.mui", "Windows/Boot/Fonts/wgl4_boot.ttf")


def test_unknown_uefi_client_walks_the_menu_over_tftp(tmp_path):
    plan = {}
    for distro in DISTROS:
        cache = tmp_path / "cache" / distro.name
        for rel in CACHE:
            (cache / rel).parent.mkdir(parents=True, exist_ok=True)
            (cache / rel).write_bytes(rel.encode())
        (cache / "boot.sdi").write_bytes(b"SDI")
        (cache / "boot.wim").write_bytes(b"MSWIM\0\0\0" + b"\0" * 64)
        plan.update(staging.distro_plan(distro, [p for p in PROFILES if p.distro == distro.name],
                                        (str(cache), host_tree.index_tree(str(cache))),
                                        str(cache / "boot.sdi"), str(cache / "boot.wim"), config.validate({}),
                                        model.Server("127.0.0.1"), {}))
    tree = tmp_path / "srv" / "tftp"
    host_tree.apply_plan(str(tree), plan)
    adapter_staging.stage_menu(DISTROS, PROFILES, plan, model.Server("127.0.0.1", tftproot=str(tree)),
                               config.validate({"uefi_menu": True}))
    rules = tmp_path / "srv" / "rules"
    rules.write_text(remap.render_tftpd_remap(DISTROS))
    with running(str(tree), str(rules)) as port:
        walker = Walker(Client("pro", "win10-x64"), Servers(tftp_port=port, tftproot=str(tree)))
        walker.wds_chain("uefi", layout.menu_nbp("x86_64"), layout.windows_path(layout.menu_bcd("x86_64")))
    lines = [link.line() for link in walker.links]
    assert walker.passed, "\n".join(lines)
    assert any(line.startswith("OK   BCD ramdisk WIM: tftp \\images\\win10-x64\\boot.wim") for line in lines)
    assert any(line.startswith("OK   boot manager MUI: tftp \\winpe\\menu\\x64\\en-US\\bootmgfw.efi.mui") for line in lines)
    assert os.path.isfile(tree / layout.menu_bcd("x86_64"))
