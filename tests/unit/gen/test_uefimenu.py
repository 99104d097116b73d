"""The UEFI boot-manager menu for unknown machines (gen/uefimenu.py): the staged BCD read back by regipy (an
independent regf reader): one osloader per Windows profile in displayorder, each naming its distro's WIM, SDI and
winload; the folder holds the chosen boot manager under the name it runs as."""
import pytest

from cobbler_winpe import config
from cobbler_winpe.bcd.device import Device
from cobbler_winpe.host import tree
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import layout, model, staging, uefimenu
from bcd_fixtures import regipy_tree

BOOTMGR = "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"
RAMDISKOPTIONS = "{ae5534e0-a924-466c-b836-758539a3ee3a}"
WIN10 = model.WinDistro("win10-x64", "x86_64", "10", "/m")
WIN11 = model.WinDistro("win11-x64", "x86_64", "11", "/m")
ARM = model.WinDistro("win11-arm64", "arm64", "11", "/m")
PROFILES = [model.WinProfile("win10-pro", "win10-x64"), model.WinProfile("win10-home", "win10-x64"),
            model.WinProfile("win11-pro", "win11-x64"), model.WinProfile("arm-pro", "win11-arm64")]
FILES = {"win10-x64": ("Windows/Boot/EFI/bootmgfw.efi", "Windows/Boot/EFI/en-US/bootmgfw.efi.mui",
                       "Windows/Boot/Fonts/wgl4_boot.ttf", "Windows/Boot/PXE/pxeboot.n12"),
         "win11-x64": ("Windows/Boot/EFI/bootmgfw.efi", "Windows/Boot/EFI_EX/bootmgfw_EX.efi",
                       "Windows/Boot/EFI_EX/en-US/bootmgfw_EX.efi.mui", "Windows/Boot/EFI/boot.stl",
                       "Windows/Boot/Fonts_EX/wgl4_boot_EX.ttf"),
         "win11-arm64": ("Windows/Boot/EFI/bootmgfw.efi",)}
SETTINGS = config.validate({"uefi_menu": True, "uefi_menu_timeout": 20, "tftp_blocksize": 1456})


def full_plan(tmp_path, distros=(WIN10, WIN11, ARM)):
    plan = {}
    for distro in distros:
        cache = tmp_path / distro.name
        for rel in FILES[distro.name]:
            (cache / rel).parent.mkdir(parents=True, exist_ok=True)
            (cache / rel).write_bytes((distro.name + rel).encode())
        (cache / "boot.sdi").write_bytes(b"SDI")
        mine = [p for p in PROFILES if p.distro == distro.name]
        plan.update(staging.distro_plan(distro, mine, (str(cache), tree.index_tree(str(cache))), str(cache / "boot.sdi"), str(cache / "boot.sdi"),
                                        config.validate({}), model.Server("10.0.0.1"), {}))
    return plan


def read_menu(tmp_path, data):
    """{object GUID: {element name: value}} of a BCD as regipy reads it (device elements parsed by bcd.device)."""
    path = tmp_path / "menu.bcd"
    path.write_bytes(data)
    names = {"11000001": "device", "12000002": "path", "12000004": "description", "12000030": "loadoptions",
             "24000001": "displayorder", "23000003": "default", "25000004": "timeout", "1200004a": "fontpath",
             "32000004": "sdipath"}
    objects = {}
    for key, values in regipy_tree(path).items():
        parts = key.split("\\")
        if len(parts) == 5 and parts[1] == "Objects" and parts[3] == "Elements" and parts[4].lower() in names:
            value = next(eval(v) for n, _t, v in values if n == "Element")
            objects.setdefault(parts[2].lower(), {})[names[parts[4].lower()]] = value
    return objects


def test_menu_lists_every_profile_of_the_architecture_in_displayorder(tmp_path):
    plan = full_plan(tmp_path)
    menu = uefimenu.menu_plan([WIN10, WIN11, ARM], PROFILES, plan, SETTINGS)
    objects = read_menu(tmp_path, menu[layout.menu_bcd("x86_64")].data)
    bootmgr = objects[BOOTMGR]
    order = bootmgr["displayorder"]
    titles = [objects[guid.lower()]["description"] for guid in order]
    assert titles == ["win10-home", "win10-pro", "win11-pro"]          # by distro, then profile; not arm-pro
    assert bootmgr["default"].lower() == order[0].lower() and int.from_bytes(bootmgr["timeout"], "little") == 20
    assert bootmgr["fontpath"] == "\\images\\win10-x64\\fonts"         # the first distro's (2011) manager's fonts
    for guid, (distro, profile) in zip(order, [("win10-x64", "win10-home"), ("win10-x64", "win10-pro"),
                                               ("win11-x64", "win11-pro")]):
        entry = objects[guid.lower()]
        device = Device.parse(entry["device"])
        assert device.text().lower().startswith("ramdisk=[boot]\\images\\%s\\boot.wim," % distro)
        assert entry["path"] == "\\windows\\system32\\boot\\winload.efi"
        assert entry["loadoptions"] == staging.PROFILE_OPTION + profile
        options = objects[device.options.lower()]
        assert options["sdipath"] == "\\images\\%s\\boot.sdi" % distro   # each distro's own SDI
    assert objects[RAMDISKOPTIONS]["sdipath"] == "\\images\\win10-x64\\boot.sdi"
    arm = read_menu(tmp_path, menu[layout.menu_bcd("arm64")].data)
    assert [arm[g.lower()]["description"] for g in arm[BOOTMGR]["displayorder"]] == ["arm-pro"]


def test_menu_folder_holds_the_chosen_manager_under_the_name_it_runs_as(tmp_path):
    plan = full_plan(tmp_path, (WIN11,))
    menu = uefimenu.menu_plan([WIN11], PROFILES, plan, SETTINGS)
    folder = "winpe/menu/x64/"
    assert menu[folder + "bootmgfw.efi"].path == str(tmp_path / "win11-x64/Windows/Boot/EFI_EX/bootmgfw_EX.efi")
    assert menu[folder + "en-US/bootmgfw.efi.mui"].path.endswith("EFI_EX/en-US/bootmgfw_EX.efi.mui")
    assert menu[folder + "boot.stl"].path.endswith("Windows/Boot/EFI/boot.stl")
    assert read_menu(tmp_path, menu[folder + "BCD"].data)[BOOTMGR]["fontpath"] == "\\images\\win11-x64\\fonts_ex"
    assert layout.menu_nbp("x86_64") == folder + "bootmgfw.efi"


def test_menu_is_off_by_default_and_refuses_more_entries_than_a_bcd_holds(tmp_path):
    plan = full_plan(tmp_path, (WIN10,))
    assert uefimenu.menu_plan([WIN10], PROFILES, plan, config.validate({})) == {}
    many = [model.WinProfile("p%03d" % i, "win10-x64") for i in range(101)]
    with pytest.raises(InputError, match="BCD menu entries"):
        uefimenu.menu_plan([WIN10], many, plan, SETTINGS)
