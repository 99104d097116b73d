"""The layering rules of docs/design.md, measured on the source: who may import whom, no cycles, a job line each."""
import ast
import pathlib
import re

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "cobbler_winpe"
FORMATS = {"media", "wim", "regf", "bcd", "pe"}           # format libraries: no Cobbler, no plugin layers above
ABOVE_FORMATS = {"gen", "adapter", "cli", "verify", "config", "checks", "seccheck", "troubleshooting", "sample", "host"}
ABOVE_GEN = {"adapter", "cli", "verify", "config", "checks", "seccheck", "host"}


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def unit(path):
    """The part of the package a module belongs to: its subpackage, or its own name for a top-level module."""
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 else rel[0][:-3]


def imports(path):
    """(module name, line) of every import in PATH, at any depth (lazy imports inside functions too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.module + "." + alias.name, node.lineno) for alias in node.names]
    return found


def edges():
    """{(from unit, to unit): [file:line]} between different parts of the package."""
    graph = {}
    for path in modules():
        for name, line in imports(path):
            parts = name.split(".")
            if parts[0] == "cobbler_winpe" and len(parts) > 1:
                target = parts[1] if parts[1] != "__init__" else None
                if target and target != unit(path):
                    graph.setdefault((unit(path), target), []).append("%s:%d" % (path.relative_to(PACKAGE), line))
    return graph


def test_only_the_adapter_imports_cobbler():
    outside = ["%s:%d" % (p.relative_to(PACKAGE), line) for p in modules() for name, line in imports(p)
               if name.split(".")[0] == "cobbler" and unit(p) != "adapter"]
    assert not outside, outside


def test_no_import_cycle_between_parts_of_the_package():
    graph = edges()
    for (a, b), where in graph.items():
        assert (b, a) not in graph, "%s <-> %s: %s / %s" % (a, b, where, graph[(b, a)])
    nodes = {n for edge in graph for n in edge}

    def reach(start):
        seen, stack = set(), [start]
        while stack:
            here = stack.pop()
            for a, b in graph:
                if a == here and b not in seen:
                    seen.add(b)
                    stack.append(b)
        return seen

    cyclic = sorted(n for n in nodes if n in reach(n))
    assert not cyclic, cyclic


@pytest.mark.parametrize("lower, upper", [(FORMATS, ABOVE_FORMATS), ({"gen"}, ABOVE_GEN)])
def test_lower_layers_import_nothing_above_them(lower, upper):
    wrong = ["%s -> %s: %s" % (a, b, where) for (a, b), where in edges().items() if a in lower and b in upper]
    assert not wrong, wrong


def test_every_module_starts_with_its_job_line():
    missing = [str(p.relative_to(PACKAGE)) for p in modules()
               if not (ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or "").strip()]
    assert not missing, missing


def string_literals(path):
    """(line, text) of every string constant in PATH except docstrings (comments are not in the tree)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def named_facts():
    """Every loader, boot-file and firmware name names.py defines: (constant, is a whole-word name)."""
    from cobbler_winpe import names
    loaders = [value for key, value in vars(names).items()
               if key.isupper() and isinstance(value, str) and "." in value and len(value) > 4]
    firmware = [names.BIOS, names.UEFI, names.IPXE_EFI_CHAIN]
    return loaders, firmware


def test_loader_and_firmware_names_are_written_in_names_py_only():
    """A literal holding a loader or boot-file name (pxeboot.n12, snponly.efi, boot.sdi...) or equal to a firmware
    name ("bios", "uefi", "ipxe-efi") outside cobbler_winpe/names.py is a second copy of that fact."""
    loaders, firmware = named_facts()
    assert "pxeboot.n12" in loaders and "bios" in firmware      # the table is what this test reads
    found = []
    for path in modules():
        if path.name == "names.py" and path.parent == PACKAGE:
            continue
        for line, text in string_literals(path):
            low = text.lower()
            hit = [name for name in loaders if name.lower() in low] + [name for name in firmware if low == name]
            if hit:
                found.append("%s:%d %r" % (path.relative_to(PACKAGE), line, text[:60]))
    assert not found, "%d literals:\n%s" % (len(found), "\n".join(found))


def test_format_libraries_speak_no_cobbler():
    """media, wim, regf, bcd and pe name Windows and file-format things only: no Cobbler, no os_version, no
    winpe_* metadata key (the project's own name, cobbler_winpe / cobbler-winpe, aside)."""
    word = re.compile(r"(?i:cobbler)(?![_-]winpe)|os_version|\bwinpe_[a-z]")
    found = ["%s:%d" % (p.relative_to(PACKAGE), n) for p in modules() if unit(p) in FORMATS
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if word.search(line)]
    assert not found, found


def test_settings_are_loaded_in_one_place_per_process_kind():
    """config.load runs in cli/main.settings (every command) and adapter/hookbase (every hook inside cobblerd):
    everything else is handed the loaded settings."""
    callers = set()
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in ("config", "winpe_config"):
                callers.add(str(path.relative_to(PACKAGE)))
    assert callers == {"cli/main.py", "adapter/hookbase.py"}, callers


IO_CALLS = {"open", "os.walk", "os.listdir", "os.scandir", "os.stat", "os.lstat", "os.link", "os.unlink",
            "os.replace", "os.rename", "os.makedirs", "os.mkdir", "os.rmdir", "os.symlink", "os.chmod", "os.chown",
            "os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.getsize", "os.path.islink",
            "os.path.lexists", "os.path.samefile", "write_atomic", "create_once"}


def call_name(node):
    """'os.path.isfile' for a call of that dotted name, 'open' for a plain one, else ''."""
    func, parts = node.func, []
    while isinstance(func, ast.Attribute):
        parts.insert(0, func.attr)
        func = func.value
    return ".".join([func.id] + parts) if isinstance(func, ast.Name) else ""


def test_no_generator_opens_files_or_runs_processes():
    """gen/ plans and renders: reading and writing files, and running tools, belong to host/ and adapter/."""
    found = []
    for path in modules():
        if unit(path) != "gen":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (call_name(node) in IO_CALLS or
                                               call_name(node).split(".")[0] in ("subprocess", "shutil")):
                found.append("%s:%d %s" % (path.relative_to(PACKAGE), node.lineno, call_name(node)))
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += ["%s:%d import %s" % (path.relative_to(PACKAGE), node.lineno, m) for m in mods
                          if m.split(".")[0] in ("subprocess", "shutil")]
    assert not found, found
