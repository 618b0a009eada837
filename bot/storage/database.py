"""One long-lived aiosqlite connection with serialised write transactions.

SQLite allows one writer; every `transaction()` (``BEGIN IMMEDIATE``) and every read take
turns on the single connection, so no task ever sees another task's uncommitted rows. Urgent
work (`urgent_work()`: an urgent update, the outbox sending an urgent row) takes the next turn
before ordinary work that is waiting, so under load it never queues behind ordinary traffic;
it still waits for the turn in progress, and nothing else changes for it (same transactions,
same commits). The file is created with mode 0600 because it holds personal data.

Every read goes to SQLite: nothing here remembers answers. Where a service needs memory for
speed, it keeps it itself, typed, and changes it in the same code path as the write.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import StorageError
from bot.storage.migrations import MIGRATIONS, apply_migrations

Row = sqlite3.Row

_URGENT: ContextVar[bool] = ContextVar("peerbot_urgent_work", default=False)


@contextmanager
def urgent_work() -> Iterator[None]:
    """Mark what runs inside (and the tasks it starts) as urgent: its turns on the database
    come before those of ordinary work waiting at the same moment."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


class Turns:
    """A lock whose waiters are served urgent first, then in arrival order. Urgent work is
    rare and short (urgent updates; the outbox looking for due rows), so it cannot starve
    ordinary work."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._ordinary: deque[asyncio.Future[None]] = deque()

    async def acquire(self, urgent: bool) -> None:
        if not self._held and not self._urgent and not self._ordinary:
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._ordinary
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the turn was handed over just as the waiter was cancelled
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        """Hand the turn straight to the next waiter (urgent first), or free it."""
        for queue in (self._urgent, self._ordinary):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._held = False


class Database:
    """The project's only door to SQLite; repositories receive it and run their SQL through it."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._turns = Turns()
        self._owner: asyncio.Task[object] | None = None
        self.path = path

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """Take the connection; using the Database inside one's own transaction would deadlock."""
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            raise StorageError("database used inside its own transaction; pass the transaction")
        await self._turns.acquire(_URGENT.get())
        self._owner = task
        try:
            yield
        finally:
            self._owner = None
            self._turns.release()

    @classmethod
    async def open(cls, path: Path, *, migrate: bool = True) -> Database:
        """Open (creating with mode 0600 if needed) and bring the schema up to date."""
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA secure_delete=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {path.name}: {exc}") from exc
        db = cls(conn, path)
        if migrate:
            await db.migrate()
        return db

    async def migrate(self, target: int | None = None) -> int:
        async with self._turn():
            return await apply_migrations(self._conn, MIGRATIONS, target)

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def close(self) -> None:
        async with self._turn():
            await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run the block in one ``BEGIN IMMEDIATE`` transaction; roll back on any exception."""
        async with self._turn():
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StorageError(f"cannot begin transaction: {exc}") from exc
            tx = Transaction(self._conn)
            try:
                yield tx
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            try:
                await self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._conn.execute("ROLLBACK")
                raise StorageError(f"commit failed: {exc}") from exc

    @asynccontextmanager
    async def _alone(self) -> AsyncIterator[Transaction]:
        """For one statement outside any transaction (autocommit): atomic on its own, one round
        trip."""
        async with self._turn():
            yield Transaction(self._conn)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        async with self._alone() as tx:
            return await tx.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        async with self._alone() as tx:
            return await tx.fetchall(sql, params)

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement on its own; returns lastrowid."""
        async with self._alone() as tx:
            return await tx.execute(sql, params)

    async def execute_rowcount(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement on its own; returns how many rows it changed."""
        async with self._alone() as tx:
            return await tx.execute_rowcount(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """One statement for many rows, outside any transaction: each row commits on its own
        (use `transaction()` when the rows must stand or fall together)."""
        async with self._alone() as tx:
            await tx.executemany(sql, rows)

    async def backup(self, target: Path) -> None:
        """Copy the live database to `target` with SQLite's online backup API."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_CREAT | os.O_RDWR | os.O_TRUNC, 0o600)
        os.close(fd)
        async with self._turn():
            dest = await aiosqlite.connect(target)
            try:
                await self._conn.backup(dest)
            finally:
                await dest.close()

    async def checkpoint(self) -> None:
        async with self._turn():
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class Transaction:
    """The statements available inside `Database.transaction()` (and for single reads)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        try:
            cursor = await self._conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise StorageError(f"statement failed: {exc}") from exc
        return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """One statement for many rows in one round trip to the database thread."""
        try:
            await self._conn.executemany(sql, [tuple(row) for row in rows])
        except sqlite3.Error as exc:
            raise StorageError(f"statement failed: {exc}") from exc

    async def execute_rowcount(self, sql: str, params: Iterable[Any] = ()) -> int:
        try:
            cursor = await self._conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise StorageError(f"statement failed: {exc}") from exc
        return cursor.rowcount

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """One round trip to the database thread (a cursor would cost three)."""
        try:
            rows = list(await self._conn.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as exc:
            raise StorageError(f"query failed: {exc}") from exc
        return rows
