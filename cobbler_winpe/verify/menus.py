"""Read boot menus as the loaders do: pxelinux configs, GRUB menuentries and iPXE scripts (evaluated per platform).

Pure text in, plain records out: no network, no Cobbler.  The parsers are generic (keywords, not the exact text
cobbler-winpe's snippets write) so that small changes to the menus keep verifying.
"""
import re
import shlex
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from cobbler_winpe import names

MAX_LINES = 20000      # a menu longer than this is not a menu
MAX_STEPS = 2000       # iPXE commands evaluated before giving up (goto loops)


@dataclass
class PxeEntry:
    """One pxelinux LABEL: how it starts the next program (kind: com32, pxe, kernel, linux, localboot, ...)."""
    label: str
    title: str = ""
    kind: str = ""
    target: str = ""
    append: str = ""


@dataclass
class PxeConfig:
    default: str = ""
    ontimeout: str = ""
    entries: Dict[str, PxeEntry] = field(default_factory=dict)

    def chosen(self):
        """The entry pxelinux boots without a keypress: DEFAULT if it names a label, else ONTIMEOUT's."""
        for name in (self.default, self.ontimeout):
            if name in self.entries:
                return self.entries[name]
        return None


def _lines(text):
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
    return lines


def _split_keyword(line):
    parts = line.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""


PXE_STARTERS = {"kernel", "linux", "com32", "pxe", "boot", "bss", "fdimage", "comboot", "config", "localboot"}


def parse_pxelinux(text):
    """The DEFAULT, ONTIMEOUT and LABEL entries of a pxelinux config (keywords in any case, # comments)."""
    config, entry = PxeConfig(), None
    for line in _lines(text):
        key, rest = _split_keyword(line)
        if not key or key.startswith("#"):
            continue
        if key == "label":
            entry = config.entries.setdefault(rest, PxeEntry(rest))
        elif key in ("default", "ontimeout"):     # global even below a LABEL
            setattr(config, key, rest.split()[0] if rest else "")
        elif entry is None:
            continue
        elif key == "menu" and rest.lower().startswith("label "):
            entry.title = rest[6:].strip()
        elif key in PXE_STARTERS:
            entry.kind, entry.target = key, rest.split()[0] if rest else ""
        elif key == "append":
            entry.append = rest
    return config


@dataclass
class ChainRequest:
    """What an entry asks the next loader to do: boot FILE with DHCP options (e.g. {252: BCD path})."""
    file: str
    options: Dict[int, str] = field(default_factory=dict)
    rewrite_packets: bool = False   # pxechn -W: options and file name go into the DHCPACK too


def parse_pxechn_args(append):
    """pxechn.c32 arguments: ``<file> [-W] [-o OPT.TYPE=VALUE]...``; backslashes pass through unchanged."""
    tokens = append.split()
    request, index = ChainRequest(""), 0
    while index < len(tokens):
        token = tokens[index]
        if token in ("-o", "--option") and index + 1 < len(tokens):
            index += 1
            match = re.fullmatch(r"(\d+)(?:\.[a-z])?=(.*)", tokens[index])
            if match:
                request.options[int(match.group(1))] = match.group(2)
        elif token in ("-W", "--wds"):
            request.rewrite_packets = True
        elif not token.startswith("-") and not request.file:
            request.file = token
        index += 1
    return request


def pxe_request(entry):
    """The ChainRequest of a pxelinux entry that starts an NBP, or None (kernels, local boot, other COM32s)."""
    if entry.kind == "com32" and entry.target.rsplit("/", 1)[-1].lower() == names.PXECHN:
        return parse_pxechn_args(entry.append)
    if entry.kind == "pxe" or (entry.kind == "kernel" and entry.target.lower().endswith(".0")):
        return ChainRequest(entry.target)
    return None


# ---- GRUB ---------------------------------------------------------------------------------------

@dataclass
class GrubEntry:
    title: str
    entry_id: str = ""
    commands: List[List[str]] = field(default_factory=list)


@dataclass
class GrubConfig:
    default: str = ""
    entries: List[GrubEntry] = field(default_factory=list)

    def find(self, name):
        """The entry whose id or title is NAME, else the first whose title starts with NAME."""
        for entry in self.entries:
            if name in (entry.entry_id, entry.title):
                return entry
        return next((e for e in self.entries if e.title.split(" (")[0] == name), None)

    def chosen(self):
        return (self.find(self.default) if self.default else None) or (self.entries[0] if self.entries else None)


def _words(line):
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


def _grub_header(words):
    entry = GrubEntry(words[1] if len(words) > 1 else "")
    for index, word in enumerate(words):
        if word == "--id" and index + 1 < len(words):
            entry.entry_id = words[index + 1]
        elif word.startswith("--id="):
            entry.entry_id = word[5:]
    return entry


def parse_grub(text):
    """GRUB menuentries (title, --id, the commands inside) and `set default=`; submenus are flattened."""
    config, entry, depth = GrubConfig(), None, 0
    for line in _lines(text):
        words = _words(line.strip().rstrip("{").strip()) if line.strip() else []
        opens, closes = line.count("{") - line.count("${"), line.strip() == "}"
        if words and words[0] == "menuentry":
            entry, depth = _grub_header(words), 1
            config.entries.append(entry)
        elif closes and entry is not None:
            depth -= 1
            entry = entry if depth > 0 else None
        elif entry is not None and words:
            depth += max(opens, 0)
            entry.commands.append(words)
        elif words and words[0] == "set" and len(words) > 1 and words[1].startswith("default="):
            config.default = words[1].split("=", 1)[1]
    return config


def grub_chainloader(entry):
    """The file a GRUB entry chainloads, without a (device) prefix, or None."""
    for words in entry.commands:
        if words[0] == "chainloader" and len(words) > 1:
            target = [w for w in words[1:] if not w.startswith("--")]
            return re.sub(r"^\([^)]*\)", "", target[0]) if target else None
    return None


def grub_kernel(entry):
    """(kernel, [initrds]) of a linux/linuxefi/clinux entry, or None."""
    kernel, initrds = None, []
    for words in entry.commands:
        if words[0] in ("linux", "linuxefi", "clinux", "linux16") and len(words) > 1:
            kernel = words[1]
        elif words[0] in ("initrd", "initrdefi", "cinitrd", "initrd16"):
            initrds += words[1:]
    return (kernel, initrds) if kernel else None


# ---- iPXE ---------------------------------------------------------------------------------------

@dataclass
class IpxeAction:
    """A fetch iPXE performs: verb chain/kernel/initrd/imgfetch/sanboot, the URL, and an initrd's -n name."""
    verb: str
    url: str
    name: str = ""


@dataclass
class IpxeRun:
    """What evaluating a script from a label did: fetches in order, the settings at the end, how it ended."""
    actions: List[IpxeAction] = field(default_factory=list)
    settings: Dict[str, str] = field(default_factory=dict)
    ended: str = ""          # chain, boot, exit, sanboot, return (goto back to the menu), end, loop
    labels: Tuple[str, ...] = ()

    def option(self, number):
        """A DHCP option set in the script (set 252:string ..., net0/252, netX.dhcp/252 ...), or None."""
        return dhcp_option(self.settings, number)


def dhcp_option(settings, number):
    """The value of DHCP option NUMBER among iPXE settings (252, net0/252, netX.dhcp/252 ...), or None."""
    for key, value in settings.items():
        if key.rsplit("/", 1)[-1] == str(number):
            return value
    return None


def ipxe_labels(text):
    """{label: index of the line after it} of a script."""
    return {line.strip()[1:].split()[0]: index + 1 for index, line in enumerate(_lines(text))
            if line.strip().startswith(":") and len(line.strip()) > 1}


def ipxe_items(text):
    """The labels announced by `item` lines of a menu."""
    items = []
    for line in _lines(text):
        words = line.split()
        if words[:1] == ["item"]:
            names = [w for w in words[1:] if not w.startswith("--")]
            if names:
                items.append(names[0])
    return items


def expand(text, variables):
    """iPXE ${name} / ${name:type} expansion; unknown names expand to nothing, as in iPXE."""
    def one(match):
        name = match.group(1).split(":", 1)[0]
        return variables.get(name, variables.get(name.rsplit("/", 1)[-1] if "/" in name else name, ""))
    return re.sub(r"\$\{([^}]*)\}", one, text)


def _setting_name(name):
    """`252:string` -> `252`, `netX.dhcp/filename` -> `netX.dhcp/filename`."""
    return name.split(":", 1)[0]


class _Evaluator:
    def __init__(self, lines, labels, variables):
        self.lines, self.labels, self.vars = lines, labels, dict(variables)
        self.run = IpxeRun(labels=tuple(labels))

    def command(self, words):
        """Run one command; returns (ok, jump label or None, end reason or None)."""
        verb, args = words[0], words[1:]
        if verb == "set" and args:
            value = " ".join(args[1:])
            self.vars[_setting_name(args[0])] = value
            self.run.settings[_setting_name(args[0])] = value
            return True, None, None
        if verb in ("iseq", "isset"):
            ok = (len(args) >= 2 and args[0] == args[1]) if verb == "iseq" else bool(args and args[0])
            return ok, None, None
        if verb == "goto" and args:
            return True, args[0], None
        if verb in ("chain", "kernel", "imgexec", "initrd", "imgfetch", "module", "sanboot", "shim"):
            self._fetch(verb, args)
            return True, None, ("chain" if verb in ("chain", "imgexec") else "sanboot" if verb == "sanboot" else None)
        if verb in ("boot", "exit"):
            return True, None, verb
        return True, None, None

    def _fetch(self, verb, args):
        name, rest, index = "", [], 0
        while index < len(args):
            if args[index] in ("-n", "--name") and index + 1 < len(args):
                name, index = args[index + 1], index + 2
                continue
            if not args[index].startswith("-"):
                rest.append(args[index])
            index += 1
        if rest:
            url = rest[0]
            self.run.actions.append(IpxeAction("kernel" if verb == "imgexec" else verb, url, name))

    def line(self, text):
        """Run a command line with && / || chaining; returns (jump, end)."""
        ok = True
        for token, part in _split_chain(text):
            if token == "&&" and not ok or token == "||" and ok:
                continue
            words = expand(part, self.vars).split()
            if not words:
                continue
            ok, jump, end = self.command(words)
            if jump or end:
                return jump, end
        return None, None


def _split_chain(text):
    """[(joiner, command)] of a line: the first joiner is '' then '&&' or '||'."""
    parts = re.split(r"\s+(&&|\|\|)(?:\s+|$)", text.strip())
    out = [("", parts[0])]
    for index in range(1, len(parts) - 1, 2):
        out.append((parts[index], parts[index + 1]))
    return out


def run_ipxe(text, start=None, variables=None, stop_labels=("Cobbler",)):
    """Evaluate a script as iPXE would from label START (None: the top), with VARIABLES (platform, next-server...).

    `menu`/`choose` are not interactive here: the caller starts at the entry's label.  A goto to one of STOP_LABELS
    (Cobbler's menu) ends the run with ended="return".
    """
    lines = [line.strip() for line in _lines(text)]
    labels = ipxe_labels(text)
    evaluator = _Evaluator(lines, labels, variables or {})
    index = labels.get(start, len(lines)) if start else 0
    for _ in range(MAX_STEPS):
        if index >= len(lines):
            evaluator.run.ended = "end"
            return evaluator.run
        text_line = lines[index]
        index += 1
        if not text_line or text_line.startswith(("#", ":")):
            continue
        jump, end = evaluator.line(text_line)
        if end:
            evaluator.run.ended = end
            return evaluator.run
        if jump:
            if jump in stop_labels or jump not in labels:
                evaluator.run.ended = "return" if jump in stop_labels else "goto-missing:" + jump
                return evaluator.run
            index = labels[jump]
    evaluator.run.ended = "loop"
    return evaluator.run
