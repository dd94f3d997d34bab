"""Printing for people: columns measured in terminal cells (CJK and emoji take two, combining
marks none), nothing cut that a person needs, and no control character ever written out."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

from oncall.domain.text import clean_block, clean_line


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells: padded, or cut with an ellipsis."""
    text = clean_line(text)
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    return set_cell_size(text, width - 1) + "…"


def right(text: str, width: int) -> str:
    return " " * max(0, width - cell_len(text)) + text


def block(text: str, indent: int) -> str:
    """Text that may span lines, its later lines indented to stand under the first."""
    lines = clean_block(text).split("\n")
    return ("\n" + " " * indent).join(lines)
