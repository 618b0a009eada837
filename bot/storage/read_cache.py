"""Answers to the reads made on every update, kept in memory until a write could change them.

Who is writing, and which contacts they are in, is asked for every relayed message; on a small
machine the hop to aiosqlite's thread costs more than the rest of the relay's own work. Every
write goes through `Database`, which tells this cache which tables a committed transaction
wrote; an answer is dropped as soon as a table it read from was written. A DELETE (or REPLACE)
also counts as a write to every table whose foreign keys point at the table, directly or not,
since their rows may be deleted or changed with it. This holds because the running bot is the
only process that writes to its database (the instance lock guards that).
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

Row = sqlite3.Row
Key = tuple[str, tuple[Any, ...]]

LIMIT = 20_000  # answers kept per group of tables; beyond that the group starts afresh

_NO_TABLE = re.compile(r"^\s*(?:SELECT|PRAGMA|BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)
_CHANGE = re.compile(
    r"^\s*(?:INSERT(?:\s+OR\s+(?:ABORT|FAIL|IGNORE|ROLLBACK))?\s+INTO|UPDATE)\s+(\w+)",
    re.IGNORECASE,
)
# Deleting rows, also as REPLACE does on a conflict, reaches the rows that point at them.
_DELETE = re.compile(
    r"^\s*(?:DELETE\s+FROM|REPLACE\s+INTO|INSERT\s+OR\s+REPLACE\s+INTO)\s+(\w+)",
    re.IGNORECASE,
)


def cascades(references: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    """For each table, itself and every table a delete in it can reach through foreign keys.

    `references` maps a table to the tables its foreign keys point at.
    """
    pointing: dict[str, set[str]] = {}
    for child, parents in references.items():
        for parent in parents:
            pointing.setdefault(parent.lower(), set()).add(child.lower())
    reach: dict[str, frozenset[str]] = {}
    for table in {t.lower() for t in references} | set(pointing):
        seen, todo = {table}, [table]
        while todo:
            for child in pointing.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        reach[table] = frozenset(seen)
    return reach


class ReadCache:
    def __init__(self) -> None:
        self._reach: dict[str, frozenset[str]] | None = None  # None: schema not known yet
        self._parsed: dict[str, frozenset[str] | None] = {}
        self._groups: dict[frozenset[str], dict[Key, list[Row]]] = {}
        # How often each table (and "any table") was written: a read that overlapped a write
        # to one of its tables is not kept, one that overlapped other writes is.
        self._writes: Counter[str] = Counter()
        self._writes_anywhere = 0

    def know_schema(self, reach: dict[str, frozenset[str]] | None) -> None:
        """Learn what a delete in each table can reach (None: unknown, e.g. triggers exist)."""
        self._reach = reach
        self._parsed.clear()

    def tables_written(self, sql: str) -> frozenset[str] | None:
        """The tables a statement may change: none for reads and settings, None when it may
        change any table (schema changes, anything not recognised, schema not known)."""
        if (known := self._parsed.get(sql, False)) is not False:
            return known
        tables: frozenset[str] | None = None
        if _NO_TABLE.match(sql):
            tables = frozenset()
        elif changed := _CHANGE.match(sql):
            tables = frozenset({changed.group(1).lower()})
        elif (deleted := _DELETE.match(sql)) and self._reach is not None:
            tables = self._reach.get(deleted.group(1).lower())
        if len(self._parsed) < 4096:  # statements are constants in the code, with few exceptions
            self._parsed[sql] = tables
        return tables

    def stamp(self, reads: frozenset[str]) -> tuple[int, ...]:
        """Taken before a read; `put` keeps the answer only if it is still the same."""
        return (self._writes_anywhere, *(self._writes[table] for table in sorted(reads)))

    def get(self, key: Key) -> list[Row] | None:
        for answers in self._groups.values():
            if (rows := answers.get(key)) is not None:
                return rows
        return None

    def put(self, reads: frozenset[str], key: Key, rows: list[Row], stamp: tuple[int, ...]) -> None:
        if stamp != self.stamp(reads):
            return
        answers = self._groups.setdefault(reads, {})
        if len(answers) >= LIMIT:
            answers.clear()
        answers[key] = rows

    def written(self, tables: Iterable[str] | None) -> None:
        """Drop every answer that read from one of `tables` (None: from any table)."""
        if tables is None:
            self._writes_anywhere += 1
            self._groups.clear()
            return
        changed = set(tables)
        self._writes.update(changed)
        for reads, answers in self._groups.items():
            if reads & changed:
                answers.clear()


def same_rows(cached: list[Row], fresh: list[Row], may_trail: Iterable[str]) -> bool:
    """Whether a cached answer still equals a fresh read, apart from columns allowed to trail."""
    trailing = set(may_trail)

    def plain(rows: list[Row]) -> list[dict[str, Any]]:
        # A Row iterates over its values, so the names come from keys().
        return [{k: row[k] for k in row.keys() if k not in trailing} for row in rows]  # noqa: SIM118

    return plain(cached) == plain(fresh)
