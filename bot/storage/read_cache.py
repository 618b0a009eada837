"""Answers to the reads made on every update, kept in memory until a write could change them.

Who is writing, and which contacts they are in, is asked for every relayed message; on a small
machine the hop to aiosqlite's thread costs more than the rest of the relay's own work. Every
write goes through `Database`, which tells this cache what a committed transaction changed; an
answer is dropped as soon as a table it read from changed, except when only columns its caller
declared it does not rely on changed (who spoke last in a contact, which the relay keeps in
memory). A DELETE (or REPLACE) also changes every table whose foreign keys point at the table,
directly or not. This holds because the running bot is the only process that writes to its
database (the instance lock guards that); tests check every answer against a fresh read.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import StorageError

Row = sqlite3.Row
Key = tuple[str, tuple[Any, ...]]
Change = tuple[str, str | None]  # (table, column); None: rows added or removed, or any column

LIMIT = 20_000  # answers kept per kind of read; beyond that the kind starts afresh

_NO_TABLE = re.compile(r"^\s*(?:SELECT|PRAGMA|BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)
_INSERT = re.compile(
    r"^\s*INSERT(?:\s+OR\s+(?:ABORT|FAIL|IGNORE|ROLLBACK))?\s+INTO\s+(\w+)", re.IGNORECASE
)
_UPDATE = re.compile(r"^\s*UPDATE\s+(\w+)\s+SET\s+(.*)$", re.IGNORECASE | re.DOTALL)
_SET_ENDS = re.compile(r"\b(?:WHERE|RETURNING|FROM)\b", re.IGNORECASE)
_ASSIGNED = re.compile(r"^\s*(\w+)\s*=")
# Deleting rows, also as REPLACE does on a conflict, reaches the rows that point at them.
_DELETE = re.compile(
    r"^\s*(?:DELETE\s+FROM|REPLACE\s+INTO|INSERT\s+OR\s+REPLACE\s+INTO)\s+(\w+)",
    re.IGNORECASE,
)


def assigned_columns(assignments: str) -> frozenset[str] | None:
    """The columns an UPDATE's SET clause assigns; None when it cannot be told for sure
    (quoted text, which could hide a comma or a keyword, is not read)."""
    if "'" in assignments or '"' in assignments:
        return None
    columns: set[str] = set()
    depth, piece = 0, []
    for position, char in enumerate(assignments):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
        elif (
            depth == 0
            and _SET_ENDS.match(assignments, position)
            and (
                position == 0
                or not (assignments[position - 1].isalnum() or assignments[position - 1] == "_")
            )
        ):
            break
        if depth == 0 and char == ",":
            columns.add("".join(piece))
            piece = []
        else:
            piece.append(char)
    columns.add("".join(piece))
    names = [_ASSIGNED.match(part) for part in columns]
    if depth != 0 or not all(names):
        return None
    return frozenset(name.group(1).lower() for name in names if name)


@dataclass(frozen=True)
class Reads:
    """What a kind of cached answer depends on: its tables, less the `trailing` columns
    (table, column) whose changes its callers do not rely on."""

    tables: frozenset[str]
    trailing: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, tables: Iterable[str], trailing: Iterable[str] = ()) -> Reads:
        """`trailing` names columns as "table.column"."""
        pairs = (name.lower().split(".", 1) for name in trailing)
        return cls(frozenset(t.lower() for t in tables), frozenset((t, c) for t, c in pairs))

    def changed_by(self, change: Change) -> bool:
        table, column = change
        return table in self.tables and (column is None or (table, column) not in self.trailing)


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
        self._parsed: dict[str, frozenset[Change] | None] = {}
        self._answers: dict[Reads, dict[Key, list[Row]]] = {}
        # How often each kind of read was changed (and anything at all): an answer read while
        # its tables changed is not kept; one read while other tables changed is.
        self._changes: dict[Reads, int] = {}
        self._changes_anywhere = 0
        self.verify = False  # check every answer from memory against a fresh read (tests)

    async def answer(
        self, key: Key, reads: Reads, fetch: Callable[[], Awaitable[list[Row]]]
    ) -> list[Row]:
        """The answer from memory, or `fetch` it and keep it unless something changed meanwhile.

        A read inside a transaction may be kept too: when the transaction has not changed what
        the read depends on, the answer is what is committed, and its own changes at commit
        drop the answer.
        """
        cached = self.get(reads, key)
        if cached is not None:
            if self.verify and not same_rows(cached, await fetch(), reads):
                raise StorageError(f"a cached answer is out of date: {key[0].split()[:6]}")
            return list(cached)
        stamp = self.stamp(reads)
        rows = await fetch()
        self.put(reads, key, rows, stamp)
        return list(rows)

    def know_schema(self, reach: dict[str, frozenset[str]] | None) -> None:
        """Learn what a delete in each table can reach (None: unknown, e.g. triggers exist)."""
        self._reach = reach
        self._parsed.clear()

    def changes(self, sql: str) -> frozenset[Change] | None:
        """What a statement may change: nothing for reads and settings; None when it may change
        anything (schema changes, anything not recognised, a delete before the schema is known).
        """
        if (known := self._parsed.get(sql, False)) is not False:
            return known
        found: frozenset[Change] | None = None
        if _NO_TABLE.match(sql):
            found = frozenset()
        elif inserted := _INSERT.match(sql):
            found = frozenset({(inserted.group(1).lower(), None)})
        elif updated := _UPDATE.match(sql):
            table = updated.group(1).lower()
            columns = assigned_columns(updated.group(2))
            found = frozenset({(table, None)} if columns is None else {(table, c) for c in columns})
        elif (deleted := _DELETE.match(sql)) and self._reach is not None:
            reach = self._reach.get(deleted.group(1).lower())
            found = None if reach is None else frozenset((table, None) for table in reach)
        if len(self._parsed) < 4096:  # statements are constants in the code, with few exceptions
            self._parsed[sql] = found
        return found

    def stamp(self, reads: Reads) -> tuple[int, int]:
        """Taken before a read; `put` keeps the answer only if it is still the same."""
        return self._changes_anywhere, self._changes.setdefault(reads, 0)

    def get(self, reads: Reads, key: Key) -> list[Row] | None:
        answers = self._answers.get(reads)
        return None if answers is None else answers.get(key)

    def put(self, reads: Reads, key: Key, rows: list[Row], stamp: tuple[int, int]) -> None:
        """Empty answers are not kept: they are mostly about people the bot does not know
        (yet, or any more), whose Telegram ids need not stay in memory."""
        if not rows or stamp != self.stamp(reads):
            return
        answers = self._answers.setdefault(reads, {})
        if len(answers) >= LIMIT:
            answers.clear()
        answers[key] = rows

    def changed(self, changes: Iterable[Change] | None) -> None:
        """Drop every answer that `changes` may make out of date (None: every answer)."""
        if changes is None:
            self._changes_anywhere += 1
            self._answers.clear()
            return
        changes = list(changes)
        if not changes:  # a plain read: the common case on every uncached read
            return
        for reads in self._changes:
            if any(reads.changed_by(change) for change in changes):
                self._changes[reads] += 1
                self._answers.pop(reads, None)


def same_rows(cached: list[Row], fresh: list[Row], reads: Reads) -> bool:
    """Whether a cached answer still equals a fresh read, apart from its trailing columns."""
    trailing = {column for _, column in reads.trailing}

    def plain(rows: list[Row]) -> list[dict[str, Any]]:
        # A Row iterates over its values, so the names come from keys().
        return [{k: row[k] for k in row.keys() if k not in trailing} for row in rows]  # noqa: SIM118

    return plain(cached) == plain(fresh)
