"""docs/troubleshooting.md and the table that points verify/check failures at it stay in step."""
import pathlib
import re

from cobbler_winpe import troubleshooting

ROOT = pathlib.Path(__file__).resolve().parents[3]


def doc_anchors():
    return set(re.findall(r'<a id="(T-[^"]+)"', (ROOT / troubleshooting.DOC).read_text(encoding="utf-8")))


def test_every_anchor_the_tables_name_is_a_row_of_the_doc():
    missing = troubleshooting.anchors() - doc_anchors()
    assert not missing, missing


def test_every_row_of_the_doc_is_reachable_from_a_table_or_says_why_not():
    text = (ROOT / troubleshooting.DOC).read_text(encoding="utf-8")
    for anchor in doc_anchors() - troubleshooting.anchors():
        row = text[text.index('<a id="%s"' % anchor):].split("\n", 1)[0]
        assert re.search(r"not detected|cannot detect|not reproduced|do not run|none \(", row, re.I), anchor


def test_every_literal_verify_failure_has_a_row():
    source = (ROOT / "cobbler_winpe" / "verify" / "chain.py").read_text(encoding="utf-8")
    names = set(re.findall(r'self\.fail\(\s*"([^"]+)"', source))
    assert names, "the pattern no longer finds verify's failure names"
    unmapped = sorted(name for name in names if troubleshooting.link_row(name) is None)
    assert not unmapped, unmapped


def test_see_suffix_names_the_doc_and_anchor():
    assert troubleshooting.see("T-pxe-e32") == " (see docs/troubleshooting.md#T-pxe-e32)"
    assert troubleshooting.see(None) == ""
