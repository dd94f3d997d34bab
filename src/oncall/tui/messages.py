"""Messages the console's screens react to."""

from __future__ import annotations

from textual.message import Message


class DataChanged(Message):
    """The database changed outside this console (another terminal, the sync): read again."""


class IncidentChanged(Message):
    """This console changed an incident; screens showing it read it again."""

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id


class WorkspaceLoaded(Message):
    """The validated workspace (roster, rotation, assets) is ready."""
