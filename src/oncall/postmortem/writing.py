"""How the post-mortem writes what it did not compute: names and titles as Markdown text (escaped,
so a title with an asterisk is not turned into emphasis), table cells, sentences, and the prompt
for what only a person can say."""

from __future__ import annotations

import re

from oncall.domain.text import clean_line

# Characters that would format a name or title; an underscore inside a word (stg_ad_spend) does not.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|])|(?<!\w)_|_(?!\w)")


def md(text: object) -> str:
    """A name, title or reason as Markdown text: one line, the characters that would format it escaped."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(), clean_line(str(text or "")).strip())


def sentence(text: str) -> str:
    """Text ending as a sentence does."""
    text = md(" ".join(text.split()))
    return text if text.endswith((".", "!", "?")) else text + "."


TODO_PREFIX = "_To be written: "  # a section still holding one is not written yet (it cannot complete)


def todo(prompt: str) -> str:
    """A prompt for what only a person can write."""
    return f"{TODO_PREFIX}{prompt}_"
