"""One long-lived SQLite connection with serialised write transactions.

SQLite allows one writer; an `asyncio.Lock` makes every `transaction()` (``BEGIN IMMEDIATE``)
and every read take turns on the single connection, so no task ever sees another task's
uncommitted rows. The file is created with mode 0600 because it holds personal data.

Statements run on the event loop's own thread. This bot's statements are indexed lookups and
small writes that take microseconds (WAL, ``synchronous=NORMAL``: a commit does not wait for
the disk), while handing each one to a worker thread and back cost several times the
statement itself, plus a contest for the GIL with every handler (see README, "Performance").
What can wait runs in a worker thread instead, so the loop never blocks on it: opening,
migrations, backups, checkpoints, closing, and any statement that finds the file locked by
another process (``SQLITE_BUSY``), which is retried there with the usual 5 s busy timeout.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import StorageError
from bot.storage.migrations import MIGRATIONS, apply_migrations

Row = sqlite3.Row
T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000


def _connect(path: Path) -> sqlite3.Connection:
    # timeout=0: a locked file must not block the event loop; `_run` retries in a thread.
    conn = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=0")
    return conn


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class Database:
    """The project's only door to SQLite; repositories receive it and run their SQL through it."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None
        self.path = path

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """Take the connection; using the Database inside one's own transaction would deadlock."""
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            raise StorageError("database used inside its own transaction; pass the transaction")
        async with self._lock:
            self._owner = task
            try:
                yield
            finally:
                self._owner = None

    async def _in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in a worker thread, waiting for locks as long as the busy timeout allows.

        Only called by the task that holds the connection, so no other statement runs meanwhile.
        """

        def waiting() -> T:
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            try:
                return work(self._conn)
            finally:
                self._conn.execute("PRAGMA busy_timeout=0")

        return await asyncio.to_thread(waiting)

    @classmethod
    async def open(cls, path: Path, *, migrate: bool = True) -> Database:
        """Open (creating with mode 0600 if needed) and bring the schema up to date."""
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
        try:
            conn = await asyncio.to_thread(_connect, path)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {path.name}: {exc}") from exc
        db = cls(conn, path)
        if migrate:
            await db.migrate()
        return db

    async def migrate(self, target: int | None = None) -> int:
        async with self._turn():
            return await self._in_thread(lambda conn: apply_migrations(conn, MIGRATIONS, target))

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def close(self) -> None:
        async with self._turn():
            await asyncio.to_thread(self._conn.close)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run the block in one ``BEGIN IMMEDIATE`` transaction; roll back on any exception."""
        async with self._turn():
            tx = Transaction(self)
            try:
                await tx.execute("BEGIN IMMEDIATE")
            except StorageError as exc:
                raise StorageError(f"cannot begin transaction: {exc}") from exc
            try:
                yield tx
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            try:
                await tx.execute("COMMIT")
            except StorageError:
                self._conn.execute("ROLLBACK")
                raise

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        values = tuple(params)
        return await self._single(lambda conn: conn.execute(sql, values).fetchone())

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        values = tuple(params)
        return await self._single(lambda conn: conn.execute(sql, values).fetchall())

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement, atomic on its own (autocommit); returns lastrowid."""
        values = tuple(params)
        cursor = await self._single(lambda conn: conn.execute(sql, values))
        return cursor.lastrowid or 0

    async def _single(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """One statement outside a transaction: at once when the connection is free (nothing is
        awaited, so no other task can come between), else in turn."""
        if not self._lock.locked():
            try:
                return work(self._conn)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise StorageError(f"statement failed: {exc}") from exc
            except sqlite3.Error as exc:
                raise StorageError(f"statement failed: {exc}") from exc
        async with self._turn():
            return await self._run(work)

    async def backup(self, target: Path) -> None:
        """Copy the live database to `target` with SQLite's online backup API."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_CREAT | os.O_RDWR | os.O_TRUNC, 0o600)
        os.close(fd)

        def copy(conn: sqlite3.Connection) -> None:
            dest = sqlite3.connect(target)
            try:
                conn.backup(dest)
            finally:
                dest.close()

        async with self._turn():
            await self._in_thread(copy)

    async def checkpoint(self) -> None:
        async with self._turn():
            await self._in_thread(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"))

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run a statement inline; if another process holds the file, wait for it in a thread."""
        try:
            try:
                return work(self._conn)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
            return await self._in_thread(work)
        except sqlite3.Error as exc:
            raise StorageError(f"statement failed: {exc}") from exc


class Transaction:
    """The statements available inside `Database.transaction()` (and for single reads)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        values = tuple(params)
        cursor = await self._db._run(lambda conn: conn.execute(sql, values))
        return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """One statement for many rows."""
        values = [tuple(row) for row in rows]
        await self._db._run(lambda conn: conn.executemany(sql, values))

    async def execute_rowcount(self, sql: str, params: Iterable[Any] = ()) -> int:
        values = tuple(params)
        cursor = await self._db._run(lambda conn: conn.execute(sql, values))
        return cursor.rowcount

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        values = tuple(params)
        return await self._db._run(lambda conn: conn.execute(sql, values).fetchone())

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        values = tuple(params)
        return await self._db._run(lambda conn: conn.execute(sql, values).fetchall())
