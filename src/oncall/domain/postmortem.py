"""A post-mortem's words: its statuses and the moves between them, its sections in document order,
and the gentle check that flags a sentence blaming a person. Pure: no I/O, no pydantic.

Blameless means the document names systems and decisions, not culprits: "the deploy went out
without a review step", not "Tom forgot to review the deploy". People write more openly, and
fix more, when the document will not be used against them. The check below does not judge; it
points at a sentence and suggests another way to say it. It is deliberately simple, so a person
can predict it: a sentence is flagged when it pairs a person with blame language, or says
"human error" (an answer a blameless post-mortem looks past, to what let the slip happen).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from oncall.domain.rules import RuleViolation


def _loose(text: str) -> str:
    """`In Review`, `in_review`, ` in-review ` all read `in-review`."""
    return "-".join(text.strip().lower().replace("_", " ").replace("-", " ").split())


class PostmortemStatus(str, Enum):
    DRAFT = "draft"
    IN_REVIEW = "in-review"
    COMPLETE = "complete"

    @property
    def label(self) -> str:
        """As a sentence says it: `in review`."""
        return self.value.replace("-", " ")

    @classmethod
    def parse(cls, text: str) -> "PostmortemStatus":
        """Accept `in review`, `in_review`, `In-Review`; say what is allowed otherwise."""
        cleaned = _loose(text) if isinstance(text, str) else ""
        for status in cls:
            if status.value == cleaned:
                return status
        allowed = ", ".join(s.value for s in cls)
        raise ValueError(f"unknown post-mortem status {text!r}: use one of {allowed}")


# Review is the gate: a draft is reviewed before it is complete, and a complete one goes back to
# review (not straight to draft) to be edited, so its completion is never silently undone.
MOVES: dict[PostmortemStatus, tuple[PostmortemStatus, ...]] = {
    PostmortemStatus.DRAFT: (PostmortemStatus.IN_REVIEW,),
    PostmortemStatus.IN_REVIEW: (PostmortemStatus.DRAFT, PostmortemStatus.COMPLETE),
    PostmortemStatus.COMPLETE: (PostmortemStatus.IN_REVIEW,),
}


def check_move(current: PostmortemStatus, new: PostmortemStatus) -> None:
    """RuleViolation, with what would be allowed, for a move the post-mortem cannot make."""
    if new is current:
        raise RuleViolation(f"the post-mortem is already {current.label}")
    allowed = MOVES[current]
    if new not in allowed:
        options = " or ".join(s.value for s in allowed)
        hint = " (it is reviewed first)" if new is PostmortemStatus.COMPLETE else ""
        raise RuleViolation(f"a post-mortem cannot go from {current.label} to {new.label}{hint}; "
                            f"from {current.label} it can go to {options}")


class Section(str, Enum):
    """The sections of a post-mortem, in the order the document has them."""

    SUMMARY = "summary"
    IMPACT = "impact"
    DETECTION = "detection"
    RESPONSE = "response"
    ROOT_CAUSE = "root-cause"  # root cause and contributing factors, with the five whys
    WENT_WELL = "went-well"
    WENT_POORLY = "went-poorly"
    TIMELINE = "timeline"
    ACTION_ITEMS = "action-items"

    @property
    def title(self) -> str:  # shadows str.title on purpose, as `Role.title` does: a section's heading
        return SECTION_TITLES[self.value]

    @classmethod
    def parse(cls, text: str) -> "Section":
        """A section as people name it: its slug or its title, in any case, with spaces, `_` or `-`
        (`root_cause`, `Root cause and contributing factors`, `what went well`)."""
        cleaned = _loose(text) if isinstance(text, str) else ""
        for section in cls:
            if cleaned in (section.value, _loose(section.title)):
                return section
        raise ValueError(f"unknown section {text!r}: use one of {', '.join(s.value for s in cls)}")


SECTION_TITLES = {
    "summary": "Summary",
    "impact": "Impact",
    "detection": "Detection",
    "response": "Response",
    "root-cause": "Root cause and contributing factors",
    "went-well": "What went well",
    "went-poorly": "What went poorly",
    "timeline": "Timeline",
    "action-items": "Action items",
}


# -- blame -----------------------------------------------------------------------------------------

BLAME_SUGGESTION = ("Name the system or decision rather than the person: e.g. 'the deploy went out "
                    "without a review step' instead of '… forgot to …'.")
HUMAN_ERROR_SUGGESTION = ("'Human error' is where a blameless post-mortem starts looking, not where it "
                          "stops: say what let the slip happen, e.g. 'the backfill is a manual step the "
                          "runbook does not list'.")

_APOSTROPHE = "['’]"
# Words that blame when a person is their subject. Alone ("the export failed to deliver") they
# describe a system, so they flag only in a sentence that also names a person.
_BLAME_WORDS = (
    r"forg[eo]t(?:s|ten)?", r"fail(?:s|ed)? to", r"should(?:n't| not)? have", r"should've",
    r"did(?:n't| not)", r"careless(?:ly|ness)?", r"mistakes?", r"faults?", r"blam(?:e|es|ed|ing)",
    r"mess(?:ed)? up", r"broke", r"neglect(?:s|ed)?", r"ignored", r"screw(?:ed)? up", r"overlooked",
    r"sloppy", r"negligen(?:t|ce)",
)
# A pronoun blames only with the blame right after it: "he forgot", not "the dashboards they feed".
_PRONOUN_VERBS = (
    r"forg[eo]t", r"fail(?:s|ed)? to", r"should(?:n't| not)? have", r"should've", r"did(?:n't| not)",
    r"mess(?:ed)? up", r"broke", r"neglected", r"ignored", r"screw(?:ed)? up", r"overlooked",
)


def _loosely(pattern: str) -> str:
    """Any apostrophe, any run of spaces: "didn’t", "failed  to"."""
    return pattern.replace("'", _APOSTROPHE).replace(" ", r"\s+")


# One scan of the lower-cased text finds every word that could make a sentence blame; only the
# sentences holding one are read further, and the kind of word says what else to look for. (No
# IGNORECASE, and a look-ahead for the letters they start with, keep 20,000 characters fast.)
_FIRST_LETTERS = "".join(sorted({word[0] for word in _BLAME_WORDS} | set("hcbe")))  # human, caused, because, error
_TRIGGER = re.compile(rf"(?=[{_FIRST_LETTERS}])\b(?:" + _loosely(
    r"(?P<human>human[\s-]+errors?)|(?P<cause>caused by|because of)|(?P<noun>errors?)"
    r"|(?P<blame>" + "|".join(_BLAME_WORDS) + ")") + r")\b")
_PRONOUN_VERB = re.compile(_loosely("|".join(_PRONOUN_VERBS)))
_POSSESSIVE_S = re.compile(_APOSTROPHE + r"s\s+$")
_LAST_WORD = re.compile(r"(?<!\w)(\w{1,9}) $")  # the word before another, one space between
_PRONOUNS = frozenset({"he", "she", "they", "i", "someone", "somebody"})
_POSSESSIVES = frozenset({"his", "her", "their", "my"})
_POSSESSIVE_NOUN = re.compile(r"errors?|faults?|mistakes?|blame")

# Where a sentence ends: . ! ? followed by a space or the end (not "3.5" nor "e.g" mid-word).
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
# A line that starts a Markdown block: it is never the continuation of the sentence above it.
_BLOCK_START = re.compile(r"[ \t]*(?:[-*+>][ \t]|\d{1,9}[.)][ \t]|#{1,6}[ \t]|\|)")
_LIST_MARKER = re.compile(r"[ \t]*(?:(?:[-*+>]|\d{1,9}[.)])[ \t]+)*")


@dataclass(frozen=True)
class BlameFlag:
    """One sentence that reads as blaming a person: where it is, why it was flagged, what to try."""

    sentence: str  # as written (a sentence wrapped over lines keeps its line break)
    line: int  # 1-based line of `text` the sentence starts on
    start: int  # character offsets in `text`: text[start:end] == sentence
    end: int
    because: str  # "names Tom with 'forgot'", "says 'human error'"
    suggestion: str

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


def blame_flags(text: str, names: Iterable[str] = ()) -> list[BlameFlag]:
    """The sentences of `text` that blame a person. `names` are the roster's names and ids: each is
    matched as a whole word in any case, and so is each word of a full name ("Tom" for "Tom
    Brandt"), since people write first names. Never raises; empty for anything but text."""
    if not isinstance(text, str) or not text:
        return []
    low = _lower(text)
    triggers = list(_TRIGGER.finditer(low))
    if not triggers:
        return []  # most text: nothing that could blame, so no sentence needs reading
    roster = _Names.of(tuple(n for n in names if isinstance(n, str)))
    people = _NamesFound(roster, low) if roster else None
    sentences = _Sentences(text)
    line_starts = [0] + [found.end() for found in re.finditer("\n", text)]
    flags: dict[int, BlameFlag] = {}
    sentence = _Sentence(low, text, 0, 0, people)
    for trigger in triggers:
        if not sentence.start <= trigger.start() < sentence.end:
            start, end = sentences.around(trigger.start())
            sentence = _Sentence(low, text, start, end, people)
        if sentence.start in flags or sentence.start == sentence.end:
            continue
        because = sentence.blames(trigger)
        if because:
            suggestion = HUMAN_ERROR_SUGGESTION if because == HUMAN_ERROR_BECAUSE else BLAME_SUGGESTION
            start, end = sentence.start, sentence.end
            flags[start] = BlameFlag(text[start:end], bisect_right(line_starts, start), start, end, because,
                                     suggestion)
    return list(flags.values())


HUMAN_ERROR_BECAUSE = "says 'human error'"


class _Sentence:
    """One sentence, text[start:end], read for blame one word at a time. `low` is `text` lower-cased
    character for character, so a place found in one is the same place in the other."""

    def __init__(self, low: str, text: str, start: int, end: int, people: _NamesFound | None) -> None:
        self.low, self.text, self.start, self.end, self.people = low, text, start, end, people
        self._person: re.Match[str] | None | bool = False  # the first name in it, looked for once

    def said(self, begin: int, finish: int) -> str:
        return " ".join(self.text[begin:finish].split())

    def person(self) -> re.Match[str] | None:
        if self._person is False:
            self._person = self.people.first_in(self.start, self.end) if self.people else None
        return self._person

    def blames(self, trigger: re.Match[str]) -> str:
        """Why the word `trigger` makes the sentence blame a person ("" when it does not)."""
        kind, low, at = trigger.lastgroup, self.low, trigger.start()
        if kind == "human":
            return HUMAN_ERROR_BECAUSE
        before = _LAST_WORD.search(low, max(self.start, at - 11), at)
        before = before.group(1) if before else ""
        if kind == "blame" and before in _PRONOUNS and _PRONOUN_VERB.fullmatch(trigger.group()):  # "he forgot"
            return f"blames a person: '{self.said(at - len(before) - 1, trigger.end())}'"
        if before in _POSSESSIVES and _POSSESSIVE_NOUN.fullmatch(trigger.group()):  # "his mistake"
            return f"blames a person: '{self.said(at - len(before) - 1, trigger.end())}'"
        if self.people is None:
            return ""
        if kind == "blame":  # "Tom forgot", "it was Maya's fault"
            person = self.person()
            return f"names {self.said(*person.span())} with '{self.said(*trigger.span())}'" if person else ""
        if kind == "cause":  # "caused by Tom"
            after = trigger.end()
            while after < self.end and low[after].isspace():
                after += 1
            person = self.people.at(after, self.end)
            return f"puts the cause on {self.said(*person.span())}" if person else ""
        possessive = _POSSESSIVE_S.search(low, max(self.start, at - 8), at)  # "Tom's error"
        person = self.people.ending_at(possessive.start()) if possessive else None
        return f"puts the cause on {self.said(*person.span())}" if person else ""


def _lower(text: str) -> str:
    """`text` lower-cased without changing its length (a few letters, such as 'İ', lower-case to two
    characters; those stay as they are), so offsets found in one are offsets in the other."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(char if len(char.lower()) != 1 else char.lower() for char in text)


class _Names:
    """The roster's names as one pattern over lower-cased text, grouped by first letter so a long
    roster still costs one quick scan."""

    def __init__(self, names: Iterable[str]) -> None:
        by_letter: dict[str, list[str]] = {}
        # Longest first, so "Tom Brandt" is found whole rather than as "Tom".
        for name in sorted(set(names), key=len, reverse=True):
            by_letter.setdefault(name[0], []).append(name[1:])
        either = "|".join(re.escape(letter) + "(?:" + "|".join(re.escape(rest).replace(r"\ ", r"\s+") for rest in rests)
                          + ")" for letter, rests in by_letter.items())
        self.pattern = re.compile(rf"(?<!\w)(?:{either})(?!\w)")

    @staticmethod
    @lru_cache(maxsize=32)
    def of(names: tuple[str, ...]) -> _Names | None:
        """Each name and each word of it (people write first names), lower-cased, trimmed of
        the punctuation around it; None when there is none."""
        found: set[str] = set()
        for name in names:
            name = " ".join(_lower(name).split()).strip(_NOT_WORD)
            if name:
                found.add(name)
                found.update(word for word in (w.strip(_NOT_WORD) for w in name.split(" ")) if len(word) > 1)
        return _Names(found) if found else None


class _NamesFound:
    """Where the names are in one text: found in one scan, the first time a sentence asks."""

    def __init__(self, names: _Names, low: str) -> None:
        self.names, self.low = names, low
        self.found: list[re.Match[str]] | None = None

    def _all(self) -> list[re.Match[str]]:
        if self.found is None:
            self.found = list(self.names.pattern.finditer(self.low))
            self.starts = [found.start() for found in self.found]
            self.by_end = {found.end(): found for found in self.found}
        return self.found

    def first_in(self, start: int, end: int) -> re.Match[str] | None:
        """The first name in low[start:end] that is not a label: in "Maya Okafor: the export failed
        to deliver" (a timeline line, who said it) Maya is not the one who failed."""
        found = self._all()
        for index in range(bisect_left(self.starts, start), len(found)):
            if found[index].end() > end:
                return None
            if not _LABEL.match(self.low, found[index].end()):
                return found[index]
        return None

    def at(self, position: int, end: int) -> re.Match[str] | None:
        found = self._all()
        index = bisect_left(self.starts, position)
        if index < len(found) and found[index].start() == position and found[index].end() <= end:
            return found[index]
        return None

    def ending_at(self, position: int) -> re.Match[str] | None:
        self._all()
        return self.by_end.get(position)


_LABEL = re.compile(r"[ \t]*:(?!\S)")  # "Maya:" at the start of what she said
_NOT_WORD = " .,;:!?'\"’()[]{}<>*_-/\\|@#&+=~`^$%"  # trimmed from the ends of a name


class _Sentences:
    """Where the sentences of a text begin and end, looked up by a place in it: the blocks and
    the sentence ends are found in one pass each, and a sentence is only cut out when asked for."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.blocks = list(_blocks(text))
        self.block_starts = [start for start, _ in self.blocks]
        self.ends = [found.end() for found in _SENTENCE_END.finditer(text)]

    def around(self, position: int) -> tuple[int, int]:
        """(start, end) of the sentence holding `position`, spaces and a list marker left out;
        an empty span if no sentence does (a blank line)."""
        index = bisect_right(self.block_starts, position) - 1
        if index < 0 or position >= self.blocks[index][1]:
            return position, position
        block_start, block_end = self.blocks[index]
        after = bisect_right(self.ends, position)  # the first sentence end past `position`
        if after and self.ends[after - 1] > block_start:
            start = self.ends[after - 1]
        else:
            start = _LIST_MARKER.match(self.text, block_start, block_end).end()
        end = self.ends[after] if after < len(self.ends) and self.ends[after] <= block_end else block_end
        text = self.text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        return start, end


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Paragraphs, list items, headings and table rows: a sentence wrapped over two lines of one
    paragraph is one sentence; it never runs across a blank line or into the next list item."""
    block_start: int | None = None
    offset = 0
    for line in text.split("\n"):
        line_end = offset + len(line)
        if not line.strip():
            if block_start is not None:
                yield block_start, offset
                block_start = None
        elif _BLOCK_START.match(line):
            if block_start is not None:
                yield block_start, offset
            block_start = offset
            if line.lstrip().startswith(("#", "|")):  # a heading or a table row is one line
                yield block_start, line_end
                block_start = None
        elif block_start is None:
            block_start = offset
        offset = line_end + 1
    if block_start is not None:
        yield block_start, len(text)
