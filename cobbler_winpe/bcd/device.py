"""BCD device elements (boot, partition, ramdisk/file on a local device, anything else raw): parse, new, record."""
import struct
import uuid

from cobbler_winpe import names
from cobbler_winpe.errors import InputError, MediaError
from cobbler_winpe.bcd.elements import RAMDISKOPTIONS, guid_alias

TYPE_LOCAL = 0
TYPE_BOOT = 5
TYPE_PARTITION = 6
TYPE_LOCATE = 8
LOCAL_RAMDISK = 3
LOCAL_FILE = 5
HEADER = struct.Struct("<IIII")          # DeviceType, Flags, Size (incl. header), unknown
FILE_PATH = struct.Struct("<III")        # Version 1, Length (incl. these 12 bytes), PathType 5
IMAGE = struct.Struct("<QQI")            # ramdisk ImageBase, ImageSize, ImageOffset
DESCRIPTOR_BODY = 56                     # boot and partition descriptors: 16 + 56 = 0x48 bytes
MAX_PATH = 4096
ZERO_GUID = b"\0" * 16


def _bad(field, why):
    return MediaError("BCD device element (%s)" % field, why, "the element is damaged; rewrite it")


def guid_text(raw):
    return "{%s}" % uuid.UUID(bytes_le=bytes(raw))


def guid_bytes(text):
    try:
        return uuid.UUID(text.strip("{}")).bytes_le
    except (ValueError, AttributeError):
        raise InputError("device options object", "%r is not a GUID" % (text,), "use {xxxxxxxx-xxxx-...}")


class BootDescriptor:
    """'boot': the device the boot manager was loaded from (72 bytes, body zero)."""

    kind = "boot"

    @classmethod
    def parse(cls, flags, body):
        return cls()

    def record(self):
        return HEADER.pack(TYPE_BOOT, 0, HEADER.size + DESCRIPTOR_BODY, 0) + bytes(DESCRIPTOR_BODY)

    def text(self):
        return "boot"

    def to_dict(self):
        return {"kind": "boot", "text": self.text()}


class PartitionDescriptor:
    """'partition=': a GPT partition (partition and disk GUIDs) or MBR one (byte offset, disk signature)."""

    kind = "partition"
    BODY = struct.Struct("<16sII16s16s")

    def __init__(self, style, partition, disk):
        self.style, self.partition, self.disk = style, partition, disk

    @classmethod
    def parse(cls, flags, body):
        if len(body) != cls.BODY.size:
            raise _bad("partition", "body is %d bytes, expected %d" % (len(body), cls.BODY.size))
        part, _, style, disk, _ = cls.BODY.unpack(body)
        if style == 0:
            return cls("gpt", guid_text(part), guid_text(disk))
        return cls("mbr", struct.unpack_from("<Q", part)[0], struct.unpack_from("<I", disk)[0])

    def record(self):
        if self.style == "gpt":
            part, disk, style = guid_bytes(self.partition), guid_bytes(self.disk), 0
        else:
            part, disk, style = struct.pack("<Q", self.partition), struct.pack("<I", self.disk), 1
        body = self.BODY.pack(part, 0, style, disk, b"")
        return HEADER.pack(TYPE_PARTITION, 0, HEADER.size + len(body), 0) + body

    def text(self):
        if self.style == "gpt":
            return "partition=gpt:%s,disk:%s" % (self.partition, self.disk)
        return "partition=mbr:offset=0x%x,signature=0x%08x" % (self.partition, self.disk)

    def to_dict(self):
        return {"kind": "partition", "text": self.text(), "style": self.style,
                "partition": self.partition, "disk": self.disk}


class LocalFileDescriptor:
    """A local device backed by a file on another device: a RAM disk (WIM, type 3) or a file/VHD (type 5)."""

    def __init__(self, local_type, inner, path, image=(0, 0, 0), flags=None):
        self.local_type, self.inner, self.path, self.image = local_type, inner, path, image
        self.flags = (1 if local_type == LOCAL_RAMDISK else 0) if flags is None else flags

    @property
    def kind(self):
        return "ramdisk" if self.local_type == LOCAL_RAMDISK else "file"

    @classmethod
    def parse(cls, flags, body):
        if len(body) < 4:
            raise _bad("local", "body of %d bytes has no local type" % len(body))
        local_type = struct.unpack_from("<I", body)[0]
        pos, image = 4, (0, 0, 0)
        if local_type == LOCAL_RAMDISK:
            if len(body) < pos + IMAGE.size:
                raise _bad("ramdisk", "truncated image fields")
            image = IMAGE.unpack_from(body, pos)
            pos += IMAGE.size
        elif local_type != LOCAL_FILE:
            raise _bad("local", "local device type %d is not a RAM disk or file" % local_type)
        inner, path = parse_file_path(body[pos:])
        return cls(local_type, inner, path, image, flags)

    def record(self):
        body = struct.pack("<I", self.local_type)
        if self.local_type == LOCAL_RAMDISK:
            body += IMAGE.pack(*self.image)
        body += record_file_path(self.inner, self.path)
        return HEADER.pack(TYPE_LOCAL, self.flags, HEADER.size + len(body), 0) + body

    def text(self):
        return "%s=[%s]%s" % (self.kind, self.inner.text(), self.path)

    def to_dict(self):
        return {"kind": self.kind, "text": self.text(), "path": self.path, "device": self.inner.to_dict(),
                "image_base": self.image[0], "image_size": self.image[1], "image_offset": self.image[2]}


class RawDescriptor:
    """A descriptor this module does not decode (locate, VHD variants, ...): kept byte for byte."""

    NAMES = {TYPE_LOCAL: "local", TYPE_BOOT: "boot", TYPE_PARTITION: "partition", TYPE_LOCATE: "locate"}

    def __init__(self, device_type, flags, body, size=None):
        self.device_type, self.flags, self.body = device_type, flags, bytes(body)
        self.size = HEADER.size + len(self.body) if size is None else size
        self.kind = self.NAMES.get(device_type, "type%d" % device_type)

    def record(self):
        return HEADER.pack(self.device_type, self.flags, self.size, 0) + self.body

    def text(self):
        return "%s(raw %s)" % (self.kind, self.body.hex())

    def to_dict(self):
        return {"kind": self.kind, "text": self.text(), "raw": self.body.hex()}


_PARSERS = {TYPE_BOOT: BootDescriptor, TYPE_PARTITION: PartitionDescriptor, TYPE_LOCAL: LocalFileDescriptor}


def parse_descriptor(buf):
    """(descriptor, bytes used) of the device descriptor at the start of ``buf``."""
    if len(buf) < HEADER.size:
        raise _bad("descriptor", "%d bytes, shorter than the 16-byte header" % len(buf))
    device_type, flags, size, _ = HEADER.unpack_from(buf)
    if size < HEADER.size or size > len(buf):
        raise _bad("descriptor size", "0x%x does not fit the %d bytes left" % (size, len(buf)))
    body = bytes(buf[HEADER.size:size])
    try:
        descriptor = _PARSERS[device_type].parse(flags, body)
    except (KeyError, MediaError):     # a layout this module does not know: keep the bytes
        descriptor = None
    if descriptor is None or descriptor.record() != bytes(buf[:size]):
        descriptor = RawDescriptor(device_type, flags, body)
    return descriptor, size


def parse_file_path(buf):
    """(inner descriptor, path) of a BL_FILE_PATH_DESCRIPTOR."""
    if len(buf) < FILE_PATH.size:
        raise _bad("file path", "truncated header")
    _, length, _ = FILE_PATH.unpack_from(buf)
    if length != len(buf):
        raise _bad("file path length", "0x%x but 0x%x bytes follow" % (length, len(buf)))
    inner, used = parse_descriptor(buf[FILE_PATH.size:])
    raw = bytes(buf[FILE_PATH.size + used:])
    if len(raw) < 2 or len(raw) % 2 or raw[-2:] != b"\0\0":
        raise _bad("file path", "path is not NUL-terminated UTF-16")
    return inner, raw[:-2].decode("utf-16-le", "surrogatepass")


def record_file_path(inner, path):
    tail = inner.record() + (path + "\0").encode("utf-16-le", "surrogatepass")
    return FILE_PATH.pack(1, FILE_PATH.size + len(tail), 5) + tail


class Device:
    """A device element: the options object GUID (or None) and a descriptor."""

    def __init__(self, descriptor, options=None):
        self.descriptor, self.options = descriptor, options

    @classmethod
    def parse(cls, data):
        data = bytes(data)
        if len(data) < 16 + HEADER.size:
            raise _bad("element", "%d bytes, shorter than a device element" % len(data))
        descriptor, used = parse_descriptor(data[16:])
        options = None if data[:16] == ZERO_GUID else guid_text(data[:16])
        device = cls(descriptor, options)
        if device.record() != data:       # bytes after the descriptor: keep the element exactly
            device_type, flags, size, _ = HEADER.unpack_from(data, 16)
            device = cls(RawDescriptor(device_type, flags, data[32:], size), options)
        return device

    def record(self):
        return (guid_bytes(self.options) if self.options else ZERO_GUID) + self.descriptor.record()

    def text(self):
        if not self.options:
            return self.descriptor.text()
        return "%s,%s" % (self.descriptor.text(), guid_alias(self.options) or self.options)

    def to_dict(self):
        result = dict(self.descriptor.to_dict(), text=self.text())
        if self.options:
            result["options"] = self.options
        return result


def boot_device():
    """The 'boot' device element (88 bytes)."""
    return Device(BootDescriptor())


def ramdisk_device(path, options=RAMDISKOPTIONS):
    """ramdisk=[boot]PATH,{options}: a WIM on the boot device, loaded as a RAM disk; any path length."""
    if not path or "\0" in path or len(path) > MAX_PATH:
        raise InputError("ramdisk path", "%r is empty, holds a NUL or is over %d characters" % (path, MAX_PATH),
                         "give the WIM path as the client sees it, like \\images\\win10\\" + names.BOOT_WIM)
    guid_bytes(options)
    return Device(LocalFileDescriptor(LOCAL_RAMDISK, BootDescriptor(), path), options)
