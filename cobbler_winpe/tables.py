"""Tables written as text, the way their documentation shows them, and read once at import."""


def lines(text):
    """The non-empty lines of TEXT that are not '#' comments, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def pairs(text):
    """[(word, word)] from whitespace-separated words taken two at a time (id name id name ...)."""
    words = " ".join(lines(text)).split()
    if len(words) % 2:
        raise ValueError("a table of pairs ends with a lone %r" % words[-1])
    return list(zip(words[::2], words[1::2]))


def rows(text, width, empty="-"):
    """[tuple of WIDTH cells] from lines of cells separated by ' | ' (a markdown table's body, the outer bars
    optional); a cell reading EMPTY is None."""
    found = []
    for line in lines(text):
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        if len(cells) != width:
            raise ValueError("table row %r has %d cells, not %d" % (line, len(cells), width))
        found.append(tuple(None if cell == empty else cell for cell in cells))
    return found
