"""The facts behind the anonymous statistics: what happened when, never to whom.

Each table row contributes a few facts ``(kind, at, value)``: a request sent (and its minutes to
first contact), an offer's outcome, an urgent alert (and its minutes to acknowledgement), a
check-in sent or answered, a rating, a wellbeing questionnaire offered, skipped or answered.
Figures are computed from the facts of live rows plus the archived facts of rows already
deleted: before retention or /delete removes a row, `archive` adds its facts to
``stat_archive``. So past figures do not change when data is deleted, and a row is always
counted exactly once, live or archived.

The archive cannot be linked to a person: it holds only counts per (kind, local day, value),
added to with an upsert, in a table without row ids, so neither the order of rows nor a time
of day ties one person's facts together. Values are kept in bins (minutes to 5, WHO-5 scores
and changes to 4 points, which real WHO-5 scores already are; ratings as they are): medians
and percentiles of archived facts are exact up to that rounding.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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


# The bin width of each kind of fact that carries a value; other kinds are counted only.
BINS: dict[str, float] = {
    "first_contact": 5,
    "acknowledge": 5,
    "feedback": 1,
    "who5_intake": 4,
    "who5_change_week4": 4,
    "who5_change_week8": 4,
}


def binned(kind: str, value: float | None) -> float:
    """The value as the archive keeps it: rounded to its bin (half away from zero), 0 for a
    kind without a value."""
    width = BINS.get(kind)
    if width is None or value is None:
        return 0.0
    return math.copysign(math.floor(abs(value) / width + 0.5) * width, value) + 0.0


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


async def facts(db: Db, start: datetime, end: datetime, zone: ZoneInfo) -> list[Fact]:
    """Every fact in the UTC window [start, end) of whole local days, from live rows and from
    the archive (whose facts are placed at noon of their local day)."""
    window = (start.isoformat(), end.isoformat())
    found: list[Fact] = []
    for table, source in SOURCES.items():
        rows = await db.fetchall(
            f"{_select(table)} WHERE {source.at} >= ? AND {source.at} < ?", window
        )
        for row in rows:
            found += facts_of(table, row)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    rows = await db.fetchall(
        "SELECT kind, day, value, n FROM stat_archive WHERE day >= ? AND day <= ?",
        (first.isoformat(), last.isoformat()),
    )
    for kind, day, value, n in rows:
        at = datetime.combine(date.fromisoformat(day), time(12), zone)
        found += [Fact(kind, at, value if kind in BINS else None)] * n
    return found


async def archive(
    tx: Transaction, table: str, where: str, params: Iterable[Any] = (), *, zone: ZoneInfo
) -> int:
    """Add the facts of the rows about to be deleted (``WHERE where``) to the archive's counts
    per kind, local day and binned value. Call it in the deleting transaction."""
    rows = await tx.fetchall(f"{_select(table)} WHERE {where}", tuple(params))
    counts = Counter(
        (fact.kind, fact.at.astimezone(zone).date().isoformat(), binned(fact.kind, fact.value))
        for row in rows
        for fact in facts_of(table, row)
    )
    if counts:
        await tx.executemany(
            "INSERT INTO stat_archive (kind, day, value, n) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, day, value) DO UPDATE SET n = n + excluded.n",
            [(*key, n) for key, n in sorted(counts.items())],
        )
    return sum(counts.values())
