"""A screen's thread worker that lets go of its screen when it is done.

Textual runs a thread worker's function in a pool thread after setting `active_worker` in that
thread's context, and never sets it back: the finished worker, and through it the screen that
started it with everything the screen holds, stays reachable from the pool thread until that
thread runs another worker. A closed incident screen then outlived the collection made when it
closed (`OncallApp.pop_screen`) and piled up for a long garbage-collector pass.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from textual.worker import active_worker

Result = TypeVar("Result")


def releasing(work: Callable[..., Result]) -> Callable[..., Result]:
    """Put under `@work(thread=True)`: the pool thread forgets the worker once `work` returns.
    For plain functions only: an `async def` would come back as a coroutine nobody awaits."""

    @functools.wraps(work)
    def run(*args, **kwargs) -> Result:
        try:
            return work(*args, **kwargs)
        finally:
            active_worker.set(None)  # type: ignore[arg-type]

    return run
