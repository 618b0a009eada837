"""The facts behind the anonymous statistics: what happened when, never to whom.

Each table row contributes a few facts ``(kind, at, value)``: a request sent (and its minutes to
first contact), an offer's outcome, an urgent alert (and its minutes to acknowledgement), a
check-in sent or answered, a rating, a wellbeing questionnaire offered, skipped or answered.
Figures are computed from the facts of live rows plus the archived facts of rows already
deleted: before retention or /delete removes a row, `archive` copies its facts, without any
link to a person, into ``stat_archive``. So past figures do not change when data is deleted,
and a row is always counted exactly once, live or archived.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Database, Row, Transaction

Db = Database | Transaction


@dataclass(frozen=True)
class Fact:
    kind: str
    at: datetime
    value: float | None = None


@dataclass(frozen=True)
class _Source:
    """Which column places a table's facts in time, and which columns they are made of."""

    at: str
    columns: tuple[str, ...]


SOURCES = {
    "requests": _Source("submitted_at", ("first_contact_at",)),
    "offers": _Source("offered_at", ("status",)),
    "escalations": _Source("created_at", ("acknowledged_at",)),
    "checkins": _Source("fired_at", ("kind", "status")),
    "feedback": _Source("created_at", ("rating",)),
    "wellbeing": _Source("offered_at", ("occasion", "status", "score", "baseline")),
}


def _minutes(start: datetime, end: str | None) -> float | None:
    if end is None:
        return None
    return (datetime.fromisoformat(end) - start).total_seconds() / 60


def facts_of(table: str, row: Row | dict[str, Any]) -> list[Fact]:
    """The facts one row contributes (none for a row outside the statistics, e.g. a draft)."""
    at_text = row[SOURCES[table].at]
    if at_text is None:
        return []
    at = datetime.fromisoformat(at_text)
    found: list[Fact] = []
    if table == "requests":
        found.append(Fact("request", at))
        if (wait := _minutes(at, row["first_contact_at"])) is not None:
            found.append(Fact("first_contact", at, wait))
    elif table == "offers" and row["status"] in ("accepted", "declined", "expired"):
        found.append(Fact(f"offer_{row['status']}", at))
    elif table == "escalations":
        found.append(Fact("escalation", at))
        if (wait := _minutes(at, row["acknowledged_at"])) is not None:
            found.append(Fact("acknowledge", at, wait))
    elif table == "checkins" and row["kind"] == "checkin":
        if row["status"] in ("sent", "answered", "unanswered"):
            found.append(Fact("checkin_sent", at))
        if row["status"] == "answered":
            found.append(Fact("checkin_answered", at))
    elif table == "feedback":
        found.append(Fact("feedback", at, float(row["rating"])))
    elif table == "wellbeing":
        found.append(Fact("who5_offered", at))
        if row["status"] == "skipped":
            found.append(Fact("who5_skipped", at))
        if row["status"] == "answered" and row["occasion"] == "intake":
            found.append(Fact("who5_intake", at, float(row["score"])))
        if row["status"] == "answered" and row["baseline"] is not None:
            change = float(row["score"] - row["baseline"])
            found.append(Fact(f"who5_change_{row['occasion']}", at, change))
    return found


def _select(table: str) -> str:
    source = SOURCES[table]
    return f"SELECT {', '.join((source.at, *source.columns))} FROM {table}"


async def facts(db: Db, start: datetime, end: datetime) -> list[Fact]:
    """Every fact in the UTC window [start, end), from live rows and from the archive."""
    window = (start.isoformat(), end.isoformat())
    found: list[Fact] = []
    for table, source in SOURCES.items():
        rows = await db.fetchall(
            f"{_select(table)} WHERE {source.at} >= ? AND {source.at} < ?", window
        )
        for row in rows:
            found += facts_of(table, row)
    rows = await db.fetchall(
        "SELECT kind, at, value FROM stat_archive WHERE at >= ? AND at < ?", window
    )
    found += [Fact(row[0], datetime.fromisoformat(row[1]), row[2]) for row in rows]
    return found


async def archive(tx: Transaction, table: str, where: str, params: Iterable[Any] = ()) -> int:
    """Copy the facts of the rows about to be deleted (``WHERE where``) into the archive, to
    the minute and without any link to a person. Call it in the deleting transaction."""
    rows = await tx.fetchall(f"{_select(table)} WHERE {where}", tuple(params))
    archived = [
        (
            fact.kind,
            fact.at.replace(second=0, microsecond=0).isoformat(),
            None if fact.value is None else round(fact.value, 1),
        )
        for row in rows
        for fact in facts_of(table, row)
    ]
    if archived:
        await tx.executemany(
            "INSERT INTO stat_archive (kind, at, value) VALUES (?, ?, ?)", archived
        )
    return len(archived)
