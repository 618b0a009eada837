"""One long-lived aiosqlite connection with serialised write transactions.

SQLite allows one writer; an `asyncio.Lock` makes every `transaction()` (``BEGIN IMMEDIATE``)
and every read take turns on the single connection, so no task ever sees another task's
uncommitted rows. The file is created with mode 0600 because it holds personal data. Every
statement's changes reach the read cache (`bot.storage.read_cache`), which answers the reads
made on every update from memory.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import StorageError
from bot.storage.migrations import MIGRATIONS, apply_migrations
from bot.storage.read_cache import Change, ReadCache, Reads, cascades

Row = sqlite3.Row
# Tests set this so that every answer from memory is checked against the database.
VERIFY_CACHED_READS = "PEERBOT_VERIFY_CACHED_READS"


class Database:
    """The project's only door to SQLite; repositories receive it and run their SQL through it."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None
        self._cache = ReadCache()
        self._cache.verify = os.environ.get(VERIFY_CACHED_READS) == "1"
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

    @property
    def verify_cached_reads(self) -> bool:
        """Check every answer from memory against a fresh read (tests)."""
        return self._cache.verify

    @verify_cached_reads.setter
    def verify_cached_reads(self, value: bool) -> None:
        self._cache.verify = value

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
        else:
            await db._learn_schema()
        return db

    async def migrate(self, target: int | None = None) -> int:
        async with self._turn():
            try:
                return await apply_migrations(self._conn, MIGRATIONS, target)
            finally:
                self._cache.changed(None)
                await self._learn_schema()

    async def _learn_schema(self) -> None:
        """Which tables a delete can reach, for the read cache; unknown while triggers exist."""
        reads = Transaction(self._conn, self._cache)
        objects = await reads.fetchall(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')"
        )
        if any(row["type"] == "trigger" for row in objects):
            self._cache.know_schema(None)
            return
        references: dict[str, list[str]] = {}
        for row in objects:
            keys = await reads.fetchall("SELECT * FROM pragma_foreign_key_list(?)", (row["name"],))
            references[row["name"]] = [key["table"] for key in keys]
        self._cache.know_schema(cascades(references))

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
            tx = Transaction(self._conn, self._cache)
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
            finally:
                self._cache.changed(tx.changes)

    @asynccontextmanager
    async def _alone(self) -> AsyncIterator[Transaction]:
        """For one statement outside any transaction (autocommit): atomic on its own, one round
        trip, and what it changed reaches the read cache."""
        async with self._turn():
            tx = Transaction(self._conn, self._cache)
            try:
                yield tx
            finally:
                self._cache.changed(tx.changes)

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

    async def fetchall_cached(
        self,
        sql: str,
        params: Iterable[Any],
        *,
        reads: Reads,
    ) -> list[Row]:
        """A read asked for on every update, answered from memory until something it `reads`
        changes (see `bot.storage.read_cache`); values in its trailing columns may be out of
        date, so callers must not rely on them.
        """
        values = tuple(params)
        return await self._cache.answer((sql, values), reads, lambda: self.fetchall(sql, values))

    async def fetchone_cached(self, sql: str, params: Iterable[Any], *, reads: Reads) -> Row | None:
        rows = await self.fetchall_cached(sql, params, reads=reads)
        return rows[0] if rows else None

    def forget_cached(self, tables: Iterable[str]) -> None:
        """Drop answers that read from `tables`, e.g. when a caller stops keeping the newest
        values of their trailing columns itself."""
        self._cache.changed((table, None) for table in tables)

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

    def __init__(self, conn: aiosqlite.Connection, cache: ReadCache) -> None:
        self._conn = conn
        self._cache = cache
        self.changes: set[Change] | None = set()  # None: anything may have changed

    def _note(self, sql: str, rowcount: int) -> None:
        """Remember what the statement wrote, for the read cache; changing no row writes nothing
        (not even through cascades). With RETURNING the count is not known yet: assume rows."""
        if rowcount == 0 and "RETURNING" not in sql.upper():
            return
        changes = self._cache.changes(sql)
        if changes is None or self.changes is None:
            self.changes = None
        else:
            self.changes |= changes

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        try:
            cursor = await self._conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise StorageError(f"statement failed: {exc}") from exc
        self._note(sql, cursor.rowcount)
        return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """One statement for many rows in one round trip to the database thread."""
        try:
            cursor = await self._conn.executemany(sql, [tuple(row) for row in rows])
        except sqlite3.Error as exc:
            self._note(sql, -1)  # outside a transaction, the rows before the failing one stay
            raise StorageError(f"statement failed: {exc}") from exc
        self._note(sql, cursor.rowcount)

    async def execute_rowcount(self, sql: str, params: Iterable[Any] = ()) -> int:
        try:
            cursor = await self._conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise StorageError(f"statement failed: {exc}") from exc
        self._note(sql, cursor.rowcount)
        return cursor.rowcount

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall_cached(
        self,
        sql: str,
        params: Iterable[Any],
        *,
        reads: Reads,
    ) -> list[Row]:
        """From memory too, unless this transaction already changed what the read depends on
        (its own writes must be seen)."""
        values = tuple(params)
        if self.changes is None or any(reads.changed_by(change) for change in self.changes):
            return await self.fetchall(sql, values)
        return await self._cache.answer((sql, values), reads, lambda: self.fetchall(sql, values))

    async def fetchone_cached(self, sql: str, params: Iterable[Any], *, reads: Reads) -> Row | None:
        rows = await self.fetchall_cached(sql, params, reads=reads)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """One round trip to the database thread (a cursor would cost three)."""
        try:
            rows = list(await self._conn.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as exc:
            raise StorageError(f"query failed: {exc}") from exc
        self._note(sql, -1)  # a write with RETURNING changes tables too
        return rows
