"""Answers to the reads made on every update, kept in memory until a write could change them.

Who is writing, and which contacts they are in, is asked for every relayed message; on a small
machine the hop to aiosqlite's thread costs more than the rest of the relay's own work. Every
write goes through `Database`, which tells this cache which tables a committed transaction
wrote; an answer is dropped as soon as a table it read from was written. A DELETE may cascade
to other tables, so it drops everything. This holds because the running bot is the only
process that writes to its database (the instance lock guards that).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

Row = sqlite3.Row
Key = tuple[str, tuple[Any, ...]]

LIMIT = 20_000  # answers kept per group of tables; beyond that the group starts afresh

# REPLACE is left out on purpose: the rows it replaces are deleted, with their cascades.
_WRITE = re.compile(
    r"^\s*(?:INSERT(?:\s+OR\s+(?:ABORT|FAIL|IGNORE|ROLLBACK))?\s+INTO|UPDATE)\s+(\w+)",
    re.IGNORECASE,
)
_NO_TABLE = re.compile(r"^\s*(?:SELECT|PRAGMA|BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)


@lru_cache(maxsize=2048)
def tables_written(sql: str) -> frozenset[str] | None:
    """The table a statement writes; empty for reads and settings; None when it may change any
    table (DELETE or REPLACE with their cascades, schema changes, anything else)."""
    if _NO_TABLE.match(sql):
        return frozenset()
    match = _WRITE.match(sql)
    return frozenset({match.group(1).lower()}) if match else None


class ReadCache:
    def __init__(self) -> None:
        self._groups: dict[frozenset[str], dict[Key, list[Row]]] = {}
        self.generation = 0  # moves on every drop, so a read that overlapped a write is not kept

    def get(self, key: Key) -> list[Row] | None:
        for answers in self._groups.values():
            if (rows := answers.get(key)) is not None:
                return rows
        return None

    def put(self, reads: frozenset[str], key: Key, rows: list[Row], generation: int) -> None:
        """Keep an answer read while `generation` was current, unless a write came between."""
        if generation != self.generation:
            return
        answers = self._groups.setdefault(reads, {})
        if len(answers) >= LIMIT:
            answers.clear()
        answers[key] = rows

    def written(self, tables: Iterable[str] | None) -> None:
        """Drop every answer that read from one of `tables` (None: from any table)."""
        self.generation += 1
        if tables is None:
            self._groups.clear()
            return
        changed = set(tables)
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
