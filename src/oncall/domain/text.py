"""Text people type, paste or pull from Jira, made safe to store and to show in a terminal.

Control characters (a coloured dbt log line, `\\033[2J`) never reach a terminal: they are
removed; tabs become spaces; newlines stay only where a block of text may have them (notes,
impact). Bytes that were not UTF-8 (a line of a Latin-1 CSV passed on the command line, which
Python hands over as lone surrogates) are read as Windows-1252, the usual culprit, so "café"
stays "café" instead of failing to save.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls and DEL (\n is handled separately), and the invisible format characters that
# reorder or hide text in a terminal: bidirectional overrides and isolates, zero-width space,
# direction marks, soft hyphen, byte-order mark. (The zero-width joiners of emoji stay.)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_ESCAPED_BYTES = re.compile(r"[\udc80-\udcff]+")
_OTHER_SURROGATES = re.compile(r"[\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# An ANSI escape sequence goes whole, not only its ESC: "\033[31mred\033[0m" reads "red".
_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def clean_line(text: str) -> str:
    """One line: every break and control character becomes a space or goes."""
    if text.isprintable():  # the fast path: nothing to do for almost all text
        return text
    return _clean(text).replace("\n", " ")


def clean_block(text: str) -> str:
    """A block (a note, an impact): lines are kept, control characters go."""
    if text.isprintable():
        return text
    return _clean(text)


def _clean(text: str) -> str:
    if _OTHER_SURROGATES.search(text):
        text = _ESCAPED_BYTES.sub(lambda run: run.group().encode("utf-8", "surrogateescape").decode("cp1252", "replace"),
                                  text)
        text = _OTHER_SURROGATES.sub("\ufffd", text)
    text = _LINE_BREAKS.sub("\n", text).replace("\t", " ")
    text = _CONTROL.sub("", _ANSI.sub("", text))
    # Nothing a person could see (a lone joiner or combining mark): that is no text at all.
    return text if any(unicodedata.category(ch)[0] in "LNPS" for ch in text) else ""
