"""Shared helpers for the regf/BCD tests: the reference stores and independent readers (hivex, regipy)."""
import os
import sys
from pathlib import Path

import pytest

# shared/ lies beside the checkout (on developer machines and in CI): ../shared/reference/bcd
DEFAULT_REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "bcd"
REFERENCE_DIR = Path(os.environ.get("COBBLER_WINPE_BCD_REFERENCE", str(DEFAULT_REFERENCE)))
DIST_PACKAGES = "/usr/lib/python3/dist-packages"
SETUP_MEDIA_BIOS = "winmedia-dylanstanding/boot_bcd"
SETUP_MEDIA_UEFI = "winmedia-dylanstanding/efi_microsoft_boot_bcd"
WDS_X64 = "wds-pbxg33k/Boot_x64_default.bcd"


def reference_names():
    """Relative names of the Microsoft-written stores (files without a text suffix)."""
    if not REFERENCE_DIR.is_dir():
        return []
    return sorted(str(path.relative_to(REFERENCE_DIR)) for path in REFERENCE_DIR.glob("*/*")
                  if path.suffix not in (".txt", ".reg", ".md"))


def missing_reference(why):
    """Skip a test whose reference store is absent; in CI (which has ../shared) that is a failure, never a skip."""
    if os.environ.get("CI"):
        pytest.fail("%s: CI must have ../shared/reference/bcd beside the checkout" % why, pytrace=False)
    pytest.skip(why)


def reference_bytes(name):
    path = REFERENCE_DIR / name
    if not path.is_file():
        missing_reference("reference BCD store %s is absent (set COBBLER_WINPE_BCD_REFERENCE)" % path)
    return path.read_bytes()


def all_references():
    names = reference_names()
    assert names or not REFERENCE_DIR.exists(), "no reference stores in %s" % REFERENCE_DIR
    assert names or not os.environ.get("CI"), "CI must have reference stores at %s" % REFERENCE_DIR
    return names or [pytest.param(None, marks=pytest.mark.skip(reason="no reference stores at %s"
                                                                  % REFERENCE_DIR))]


def hivex_module():
    """Debian's python3-hivex (not in the venv): import it from dist-packages."""
    if DIST_PACKAGES not in sys.path:
        sys.path.append(DIST_PACKAGES)
    return pytest.importorskip("hivex", reason="python3-hivex is not installed")


def hivex_tree(path, write=False):
    """{key path: sorted [(value name, type, raw bytes)]} as hivex reads the file; and the handle."""
    hivex = hivex_module()
    handle = hivex.Hivex(str(path), write=write)
    tree = {}
    stack = [(handle.root(), "")]
    while stack:
        node, where = stack.pop()
        values = []
        for value in handle.node_values(node):
            regtype, data = handle.value_value(value)
            values.append((handle.value_key(value), regtype, data))
        tree[where] = sorted(values)
        for child in handle.node_children(node):
            stack.append((child, where + "\\" + handle.node_name(child)))
    return tree, handle


def regipy_tree(path):
    """{key path: sorted [(value name, type name, value)]} as regipy reads the file (values untrimmed)."""
    from regipy.registry import RegistryHive
    hive = RegistryHive(str(path))
    tree = {}
    stack = [(hive.root, "")]
    while stack:
        node, where = stack.pop()
        values = node.iter_values(trim_values=False) if node.values_count else []
        tree[where] = sorted((v.name, v.value_type, repr(v.value)) for v in values)
        for child in node.iter_subkeys():
            stack.append((child, where + "\\" + child.name))
    return tree
