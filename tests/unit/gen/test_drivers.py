"""Driver folders from Linux: .inf classes, refused names, and the files reaching the WinPE image (real wimlib) and
the data share (adapter.winpe)."""
import os
import subprocess

import pytest

from cobbler_winpe import config
from cobbler_winpe.host import drivers as host_drivers
from cobbler_winpe.adapter import winpe
from cobbler_winpe.errors import InputError
from cobbler_winpe.gen import drivers, startnet
from cobbler_winpe.gen.model import Server, WinDistro, WinProfile
from cobbler_winpe.sample import drivers as sample_drivers
from cobbler_winpe.sample import media

SERVER = Server("10.0.0.1")
CONFIG = config.validate({"smb_share": "winpe", "smb_user": "cobbler-winpe"})


@pytest.fixture
def virtio(tmp_path):
    return sample_drivers.build_virtio_tree(str(tmp_path / "virtio-win"))


def test_scan_tells_network_drivers_from_the_rest(virtio):
    found = host_drivers.scan(virtio)
    assert found.net_infs == ("NetKVM/w10/amd64/netkvm.inf",)
    assert found.other_infs == ("Balloon/w10/amd64/balloon.inf", "vioscsi/w10/amd64/vioscsi.inf",
                                "viostor/w10/amd64/viostor.inf")
    assert len(found.files) == 3 * len(sample_drivers.VIRTIO)
    assert found.name == drivers.set_name(virtio) and found.name.startswith("virtio-win-")


@pytest.mark.parametrize("data, klass", [
    (b"[Version]\r\nClass=Net\r\n", "net"),
    (b"\xff\xfe" + "[version]\r\n class = \"SCSIAdapter\" ; storage\r\n".encode("utf-16-le"), "scsiadapter"),
    (b"[Strings]\r\nClass=Net\r\n[Version]\r\nSignature=x\r\n", ""),
    (b"; no sections\r\n", "")])
def test_inf_class(data, klass):
    assert drivers.inf_class(data) == klass


@pytest.mark.parametrize("bad", ["we!rd", "per%cent", "amp&er"])
def test_names_cmd_would_change_are_refused_with_one_line(virtio, bad):
    open(os.path.join(virtio, "Balloon", bad + ".inf"), "w").close()
    with pytest.raises(InputError) as err:
        host_drivers.scan(virtio)
    assert "\n" not in str(err.value) and "winpe_drivers" in str(err.value)


def test_symlink_is_refused(virtio):
    os.symlink("/etc/passwd", os.path.join(virtio, "Balloon", "passwd.inf"))
    with pytest.raises(InputError):
        host_drivers.scan(virtio)


def test_relative_folder_is_refused():
    with pytest.raises(InputError):
        host_drivers.scan("virtio-win")


def _wim_paths(wim):
    out = subprocess.run(["wimlib-imagex", "dir", wim, "1"], capture_output=True, text=True, check=True).stdout
    return {line.strip("/") for line in out.splitlines() if line.strip("/")}


def test_network_drivers_go_into_the_winpe_image(tmp_path, virtio):
    """winpe_wim (adapter) puts the NetKVM folder and cobbler-drivers.txt into X:\\Windows\\System32, nothing else."""
    spec = media.PRESETS["win10-x64"].distros[0]
    boot = str(tmp_path / "boot.wim")
    media.build_boot_wim(str(tmp_path / "work"), spec, {}, boot)
    distro = WinDistro("win10-x64", "x86_64", "10", str(tmp_path), meta={"winpe_drivers": virtio})
    image = winpe.winpe_wim(distro, boot, str(tmp_path / "cache"), SERVER, CONFIG, "pw")
    base = "Windows/System32/cobbler-drivers/%s/" % drivers.set_name(virtio)
    inside = {path[len(base):] for path in _wim_paths(image) if path.startswith(base)}
    assert inside == {"NetKVM", "NetKVM/w10", "NetKVM/w10/amd64"} | {
        "NetKVM/w10/amd64/netkvm." + ext for ext in ("inf", "sys", "cat")}
    listed = subprocess.run(["wimlib-imagex", "extract", image, "1", "/Windows/System32/" + drivers.IMAGE_LIST,
                             "--to-stdout"], capture_output=True, check=True).stdout
    assert listed.decode("ascii").split("\r\n") == [
        "cobbler-drivers\\%s\\NetKVM\\w10\\amd64\\netkvm.inf" % drivers.set_name(virtio), ""]


def test_driver_files_reach_the_data_share_and_leave_with_the_metadata(tmp_path, virtio):
    distro = WinDistro("win10-x64", "x86_64", "10", str(tmp_path))
    profile = WinProfile("pro", "win10-x64", meta={"winpe_drivers": virtio})
    root = str(tmp_path / "smb")
    winpe.sync_folder(root, {"profiles/pro/x.txt": "x"}, startnet.data_copies([distro], [profile], [], host_drivers.scan))
    staged = os.path.join(root, "drivers", drivers.set_name(virtio), "viostor", "w10", "amd64", "viostor.sys")
    with open(staged, "rb") as got, open(os.path.join(virtio, "viostor", "w10", "amd64", "viostor.sys"), "rb") as src:
        assert got.read() == src.read()
    plain = WinProfile("pro", "win10-x64")
    winpe.sync_folder(root, {"profiles/pro/x.txt": "x"}, startnet.data_copies([distro], [plain], [], host_drivers.scan))
    assert not os.path.exists(os.path.join(root, "drivers"))
