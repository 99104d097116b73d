"""verify's walk of a staged UEFI chain through the real tftpd-hpa: the files a boot manager may probe (SiPolicy.p7b,
SkuSiPolicy.p7b, boot.stl) are reported present or "absent, optional", never as a failure."""
import os

import pytest

from cobbler_winpe import config
from cobbler_winpe.gen import dhcp, layout, model, remap, staging
from cobbler_winpe.host import tree as host_tree
from cobbler_winpe.verify.chain import Client, Servers, Walker
from tftpd import running

pytestmark = pytest.mark.integration
DISTRO = model.WinDistro("win11-x64", "x86_64", "11", "/m")
PROFILE = model.WinProfile("pro", DISTRO.name)
SYSTEM = model.WinSystem("box", "pro")
CACHE = ("Windows/Boot/EFI/bootmgfw.efi", "Windows/Boot/EFI_EX/bootmgfw_EX.efi", "Windows/Boot/EFI/boot.stl",
         "Windows/Boot/Fonts/wgl4_boot.ttf", "Windows/Boot/Fonts_EX/wgl4_boot_EX.ttf",
         "Windows/Boot/EFI/en-US/bootmgfw.efi.mui", "Windows/Boot/EFI_EX/en-US/bootmgfw_EX.efi.mui")


def staged_tree(tmp_path, with_stl=True):
    cache = tmp_path / "cache"
    for rel in CACHE if with_stl else [c for c in CACHE if not c.endswith("boot.stl")]:
        (cache / rel).parent.mkdir(parents=True, exist_ok=True)
        (cache / rel).write_bytes(rel.encode())
    (cache / "boot.sdi").write_bytes(b"SDI")
    (tmp_path / "boot.wim").write_bytes(b"MSWIM\0\0\0" + b"\0" * 64)
    plan = staging.distro_plan(DISTRO, [PROFILE], (str(cache), host_tree.index_tree(str(cache))), str(cache / "boot.sdi"), str(tmp_path / "boot.wim"),
                               config.validate({}), model.Server("127.0.0.1"), {}, [SYSTEM])
    tree = tmp_path / "srv" / "tftp"
    host_tree.apply_plan(str(tree), plan)
    rules = tmp_path / "srv" / "rules"
    rules.write_text(remap.render_tftpd_remap([DISTRO]))
    return str(tree), str(rules)


def walk(tree, rules):
    with running(tree, rules) as port:
        walker = Walker(Client("pro", DISTRO.name, system="box"), Servers(tftp_port=port, tftproot=tree))
        walker.wds_chain("uefi", dhcp.boot_file(DISTRO, SYSTEM, "uefi"), dhcp.bcd_path(DISTRO, SYSTEM, "uefi"))
    return walker, {link.name: link for link in walker.links}


def test_optional_policy_files_are_absent_and_optional_and_boot_stl_is_found(tmp_path):
    walker, links = walk(*staged_tree(tmp_path))
    assert walker.passed, "\n".join(link.line() for link in walker.links)
    assert links["optional SiPolicy.p7b"].line().startswith(
        "OPT  optional SiPolicy.p7b: tftp \\EFI\\Microsoft\\Boot\\SiPolicy.p7b: absent, optional")
    assert links["optional SkuSiPolicy.p7b"].optional and links["optional CIPolicies\\Active"].optional
    stl = [link for link in walker.links if link.name == "optional boot.stl"]
    # beside the system's boot manager (staged by the boot-manager choice), but not at the ESP path
    assert [link.optional for link in stl] == [False, True]
    assert stl[0].line().startswith("OK   optional boot.stl: tftp \\images\\win11-x64\\sys\\box\\boot.stl (")
    # and the chain's other links read what staging put there: the 2023 manager's MUI under the name it runs as
    assert links["boot manager MUI"].ok and "sys\\box\\en-US\\bootmgfw.efi.mui" in links["boot manager MUI"].detail


def test_media_without_boot_stl_still_passes(tmp_path):
    walker, _links = walk(*staged_tree(tmp_path, with_stl=False))
    assert walker.passed
    stl = [link for link in walker.links if link.name == "optional boot.stl"]
    assert [link.optional for link in stl] == [True, True] and "absent, optional" in stl[0].detail
