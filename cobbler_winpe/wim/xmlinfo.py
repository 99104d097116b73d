"""The WIM XML metadata resource: read it (UTF-16LE, size-capped) and parse it safely into per-image records."""
from dataclasses import dataclass, field, make_dataclass
from typing import Optional, Tuple
from xml.parsers import expat

from cobbler_winpe.errors import MediaError
from cobbler_winpe.wim.header import read_exactly

MAX_XML_BYTES = 16 * 1024 * 1024   # real install.wim XML is tens of KB
MAX_DEPTH = 32
MAX_ELEMENTS = 200000

# WINDOWS/ARCH values (PROCESSOR_ARCHITECTURE_*) -> the usual (uname -m style) architecture names.
ARCH_NAMES = {0: "i386", 5: "arm", 6: "ia64", 9: "x86_64", 12: "arm64"}


# What an image record holds, each field with its XML path below <IMAGE>: the one list the parser reads.
TEXT_FIELDS = (("name", "NAME"), ("display_name", "DISPLAYNAME"), ("description", "DESCRIPTION"),
               ("display_description", "DISPLAYDESCRIPTION"), ("flags", "FLAGS"),
               ("edition_id", "WINDOWS/EDITIONID"), ("installation_type", "WINDOWS/INSTALLATIONTYPE"),
               ("product_type", "WINDOWS/PRODUCTTYPE"), ("product_name", "WINDOWS/PRODUCTNAME"),
               ("default_language", "WINDOWS/LANGUAGES/DEFAULT"))
NUMBER_FIELDS = (("arch_code", "WINDOWS/ARCH"), ("major", "WINDOWS/VERSION/MAJOR"),
                 ("minor", "WINDOWS/VERSION/MINOR"), ("build", "WINDOWS/VERSION/BUILD"),
                 ("spbuild", "WINDOWS/VERSION/SPBUILD"), ("total_bytes", "TOTALBYTES"),
                 ("dir_count", "DIRCOUNT"), ("file_count", "FILECOUNT"))
LIST_FIELDS = (("languages", "WINDOWS/LANGUAGES/LANGUAGE"),)


class _ImageFacts:
    """What WimImage derives from its fields."""

    @property
    def arch(self):
        """x86_64, i386, arm64 ... or None when ARCH is absent or unknown."""
        return ARCH_NAMES.get(self.arch_code)

    @property
    def is_server(self):
        """True for Server and Server Core images (INSTALLATIONTYPE, else PRODUCTTYPE)."""
        if self.installation_type:
            return self.installation_type.lower().startswith("server")
        return self.product_type.lower() in ("servernt", "lanmannt")


# One image of a WIM as its XML describes it; fields absent from the XML are None or empty.
WimImage = make_dataclass(
    "WimImage", [("index", int)] + [(name, str, field(default="")) for name, _ in TEXT_FIELDS]
    + [(name, Optional[int], field(default=None)) for name, _ in NUMBER_FIELDS]
    + [(name, Tuple[str, ...], field(default=())) for name, _ in LIST_FIELDS],
    bases=(_ImageFacts,), frozen=True)
WimImage.__module__ = __name__


@dataclass
class _Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)
    text: list = field(default_factory=list)

    def child(self, path):
        """The first descendant along 'A/B/C', or None."""
        node = self
        for tag in path.split("/"):
            node = next((c for c in node.children if c.tag == tag), None)
            if node is None:
                return None
        return node

    def value(self, path):
        node = self.child(path)
        return "".join(node.text).strip() if node is not None else ""

    def values(self, path):
        parent_path, _, tag = path.rpartition("/")
        parent = self.child(parent_path) if parent_path else self
        if parent is None:
            return ()
        return tuple("".join(c.text).strip() for c in parent.children if c.tag == tag)


class _TreeBuilder:
    """Builds _Node trees from expat events, refusing DTDs and entities and bounding size."""

    def __init__(self, name):
        self.name = name
        self.root = None
        self.stack = []
        self.count = 0

    def refuse(self, *_args):
        raise MediaError(self.name, "WIM XML metadata holds a DTD or entity declaration (refused)",
                         "the WIM is damaged or hostile: use the original media")

    def start(self, tag, attrs):
        self.count += 1
        if self.count > MAX_ELEMENTS or len(self.stack) >= MAX_DEPTH:
            raise MediaError(self.name, "WIM XML metadata is too deep or has too many elements")
        node = _Node(tag, attrs)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def end(self, _tag):
        self.stack.pop()

    def data(self, text):
        if self.stack:
            self.stack[-1].text.append(text)


def parse_xml(text, name):
    """Parse XML text into a _Node tree with no DTD, no entities and bounded size."""
    builder = _TreeBuilder(name)
    parser = expat.ParserCreate(encoding="UTF-8")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = builder.refuse
    parser.EntityDeclHandler = builder.refuse
    parser.UnparsedEntityDeclHandler = builder.refuse
    parser.ExternalEntityRefHandler = builder.refuse
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text.encode("utf-8"), True)
    except expat.ExpatError as err:
        raise MediaError(name, "WIM XML metadata is not well-formed (%s)" % err,
                         "the WIM is damaged: copy it again from the original media") from None
    if builder.root is None:
        raise MediaError(name, "WIM XML metadata is empty")
    return builder.root


def decode_xml(data, name):
    """UTF-16LE bytes (with or without BOM) -> text."""
    if data.startswith(b"\xff\xfe"):
        data = data[2:]
    try:
        return data.decode("utf-16-le")
    except UnicodeDecodeError:
        raise MediaError(name, "WIM XML metadata is not valid UTF-16LE",
                         "the WIM is damaged: copy it again from the original media") from None


def read_xml_bytes(fp, header, name, file_size=None):
    """Read the raw XML resource the header points at, refusing oversized or out-of-file resources."""
    res = header.xml_data
    if res.is_empty:
        raise MediaError(name, "WIM has no XML metadata resource")
    if res.is_compressed:
        raise MediaError(name, "WIM XML metadata resource is compressed (not valid for a WIM)")
    if res.size_in_wim > MAX_XML_BYTES:
        raise MediaError(name, "WIM XML metadata is too large (%d bytes, limit %d)"
                         % (res.size_in_wim, MAX_XML_BYTES))
    if file_size is not None and res.offset + res.size_in_wim > file_size:
        raise MediaError(name, "WIM XML metadata lies beyond the end of the file (truncated WIM?)",
                         "copy the file again from the original media")
    fp.seek(res.offset)
    data = read_exactly(fp, res.size_in_wim)
    if len(data) != res.size_in_wim:
        raise MediaError(name, "WIM is truncated: XML metadata cut short (%d of %d bytes)"
                         % (len(data), res.size_in_wim), "copy the file again from the original media")
    return data


MAX_DIGITS = 20   # 2**64 has 20 decimal digits; longer numbers are hostile (and Python refuses str() past 4300)


def _int(text, name, field):
    """Decimal or 0x-hex integer text -> int, or None when absent or malformed; refuses an absurd digit count."""
    text = text.strip()
    if len(text) > MAX_DIGITS + 2:
        raise MediaError(name, "WIM XML metadata field %s is a %d-character number (at most %d digits)"
                         % (field, len(text), MAX_DIGITS), "the WIM is damaged or forged: use the original media")
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def image_from_node(node, name):
    """One <IMAGE INDEX="n"> element -> WimImage."""
    index = _int(node.attrs.get("INDEX", ""), name, "IMAGE INDEX")
    if index is None or index < 1:
        raise MediaError(name, "WIM XML metadata has an IMAGE without a valid INDEX")

    def number(path):
        return _int(node.value(path), name, path)

    return WimImage(index=index, **{name: node.value(path) for name, path in TEXT_FIELDS},
                    **{name: number(path) for name, path in NUMBER_FIELDS},
                    **{name: tuple(v for v in node.values(path) if v) for name, path in LIST_FIELDS})


def parse_images(data, name):
    """The XML resource bytes -> WimImage list sorted by index; duplicate indexes are refused."""
    root = parse_xml(decode_xml(data, name), name)
    if root.tag != "WIM":
        raise MediaError(name, "WIM XML metadata root is <%s>, expected <WIM>" % root.tag)
    images = [image_from_node(n, name) for n in root.children if n.tag == "IMAGE"]
    indexes = [i.index for i in images]
    if len(set(indexes)) != len(indexes):
        raise MediaError(name, "WIM XML metadata lists an image index twice")
    return sorted(images, key=lambda i: i.index)
