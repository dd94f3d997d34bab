"""Messages the console's screens react to."""

from __future__ import annotations

from textual.message import Message


class DataChanged(Message):
    """The database changed outside this console (another terminal, the sync): read again."""


class WorkspaceLoaded(Message):
    """The validated workspace (roster, rotation, assets) is ready."""
