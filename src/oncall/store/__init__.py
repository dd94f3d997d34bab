"""SQLite storage: the connection, numbered migrations, repositories and the outbox.

One file in WAL mode, shared safely by the console and the command line at the same time.
"""

from oncall.store.db import Database, open_database

__all__ = ["Database", "open_database"]
