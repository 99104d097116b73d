"""Build a virtio-win-like driver folder (generated .inf, .sys and .cat files; no real driver) for tests and demos."""
import os

# <driver folder>: (file name, [Version] Class) laid out as virtio-win's <driver>/w10/amd64/<name>.inf
VIRTIO = {"NetKVM": ("netkvm", "Net"), "viostor": ("viostor", "SCSIAdapter"), "vioscsi": ("vioscsi", "SCSIAdapter"),
          "Balloon": ("balloon", "System")}


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)


def inf_text(name, klass):
    return ("; %s.inf (cobbler-winpe sample, not a driver)\r\n[Version]\r\nSignature = \"$WINDOWS NT$\"\r\n"
            "Class = %s\r\nProvider = %%VENDOR%%\r\nCatalogFile = %s.cat\r\n\r\n[Strings]\r\nVENDOR = \"Sample\"\r\n"
            % (name, klass, name))


def build_virtio_tree(root):
    """ROOT filled like virtio-win; network .inf files are UTF-16LE with a BOM (as many vendors ship them)."""
    for folder, (name, klass) in VIRTIO.items():
        here = os.path.join(root, folder, "w10", "amd64")
        text = inf_text(name, klass)
        _write(os.path.join(here, name + ".inf"),
               b"\xff\xfe" + text.encode("utf-16-le") if klass == "Net" else text.encode("ascii"))
        _write(os.path.join(here, name + ".sys"), b"MZ sample driver " + name.encode("ascii"))
        _write(os.path.join(here, name + ".cat"), b"0\x82 sample catalog " + name.encode("ascii"))
    return root
