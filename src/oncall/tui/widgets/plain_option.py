"""An OptionList option whose words are shown as written.

Textual reads a plain string prompt as markup: a runbook titled "Rows in [/tmp] [/]" would crash
the list, and "Check [warehouse] freshness" would lose a word. Every list of things people named
(runbooks, steps, people, templates) builds its options here.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets.option_list import Option as _Option


def Option(prompt: str, *args, **kwargs) -> _Option:  # noqa: N802 (stands in for Textual's class)
    return _Option(Text(prompt), *args, **kwargs)
