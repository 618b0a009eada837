"""SQLite storage: the connection, migrations and one repository module per table group.

No SQL lives outside this package; repositories take a `Database` or `Transaction` and return
dataclasses.
"""

from bot.storage.database import Database, Transaction

__all__ = ["Database", "Transaction"]
