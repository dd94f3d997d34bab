"""Saving from a form without losing what was typed.

A form hands its value to a `Save` callback before it closes. If the save fails (a rule says no,
the database is busy because another process holds it, the disk is full), the form stays open
with the text in it and says why; the person can try again or cancel. Once a save went through,
the form ignores further keys (a quick double enter must not save twice or close two screens).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Generic, TypeVar

from oncall.domain.rules import RuleViolation
from oncall.store.problems import DatabaseProblem

T = TypeVar("T")
R = TypeVar("R")

# What a save may fail with that a person can act on; anything else is a fault of oncall's own.
SAVE_FAILURES = (RuleViolation, LookupError, sqlite3.DatabaseError, DatabaseProblem)


class Saved(Generic[R]):
    def __init__(self, result: R | None = None, problem: str = "") -> None:
        self.result = result
        self.problem = problem


def attempt(save: Callable[[T], R], value: T) -> Saved[R]:
    try:
        return Saved(save(value))
    except SAVE_FAILURES as error:
        return Saved(problem=str(error))
