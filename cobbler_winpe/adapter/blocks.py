"""The guarded blocks the plugin adds to Cobbler's templates: their markers, and removing them again."""
import re

BEGIN = "## cobbler-winpe begin"
END = "## cobbler-winpe end"
BLOCK_RE = re.compile(r"[ \t]*" + re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n", re.S)


def without_block(text):
    """TEXT with every cobbler-winpe block taken out."""
    return BLOCK_RE.sub("", text)
