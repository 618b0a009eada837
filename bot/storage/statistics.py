"""The raw facts behind the anonymous statistics: times and counts, never who.

Every function takes a half-open UTC window [start, end) and returns plain values; the service
(`bot.services.statistics`) turns them into figures and suppresses small cells.
"""

from __future__ import annotations

from datetime import datetime

from bot.storage.database import Database, Transaction

Db = Database | Transaction


def _window(start: datetime, end: datetime) -> tuple[str, str]:
    return start.isoformat(), end.isoformat()


async def requests_submitted(db: Db, start: datetime, end: datetime) -> list[datetime]:
    rows = await db.fetchall(
        "SELECT submitted_at FROM requests WHERE submitted_at >= ? AND submitted_at < ?"
        " ORDER BY submitted_at",
        _window(start, end),
    )
    return [datetime.fromisoformat(row[0]) for row in rows]


async def first_contacts(db: Db, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """(sent, first contact with a peer) of requests sent in the window that found one."""
    rows = await db.fetchall(
        "SELECT r.submitted_at, MIN(c.started_at) FROM requests r"
        " JOIN contacts c ON c.request_id = r.id AND c.kind = 'peer'"
        " WHERE r.submitted_at >= ? AND r.submitted_at < ? GROUP BY r.id",
        _window(start, end),
    )
    return [(datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1])) for row in rows]


async def offer_outcomes(db: Db, start: datetime, end: datetime) -> dict[str, int]:
    """How many offers made in the window ended accepted, declined, expired (or are open)."""
    rows = await db.fetchall(
        "SELECT status, COUNT(*) FROM offers WHERE offered_at >= ? AND offered_at < ?"
        " GROUP BY status",
        _window(start, end),
    )
    return {row[0]: int(row[1]) for row in rows}


async def escalations(
    db: Db, start: datetime, end: datetime
) -> list[tuple[datetime, datetime | None]]:
    """(raised, acknowledged or None) of escalations raised in the window."""
    rows = await db.fetchall(
        "SELECT created_at, acknowledged_at FROM escalations"
        " WHERE created_at >= ? AND created_at < ? ORDER BY created_at",
        _window(start, end),
    )
    return [
        (datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1]) if row[1] else None)
        for row in rows
    ]


async def checkins(db: Db, start: datetime, end: datetime) -> tuple[int, int]:
    """(sent, answered) check-in messages that went out in the window."""
    row = await db.fetchone(
        "SELECT COUNT(*), COALESCE(SUM(status = 'answered'), 0) FROM checkins"
        " WHERE kind = 'checkin' AND status IN ('sent', 'answered', 'unanswered')"
        " AND fired_at >= ? AND fired_at < ?",
        _window(start, end),
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def feedback_ratings(db: Db, start: datetime, end: datetime) -> list[int]:
    rows = await db.fetchall(
        "SELECT rating FROM feedback WHERE created_at >= ? AND created_at < ?",
        _window(start, end),
    )
    return [int(row[0]) for row in rows]


async def wellbeing_offers(db: Db, start: datetime, end: datetime) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT status, COUNT(*) FROM wellbeing WHERE offered_at >= ? AND offered_at < ?"
        " GROUP BY status",
        _window(start, end),
    )
    return {row[0]: int(row[1]) for row in rows}


async def wellbeing_intake_scores(db: Db, start: datetime, end: datetime) -> list[int]:
    rows = await db.fetchall(
        "SELECT score FROM wellbeing WHERE occasion = 'intake' AND status = 'answered'"
        " AND answered_at >= ? AND answered_at < ?",
        _window(start, end),
    )
    return [int(row[0]) for row in rows]


async def wellbeing_changes(db: Db, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """(score at the request, latest follow-up score) for requests whose latest follow-up was
    answered in the window: one pair per request, so nobody counts twice."""
    rows = await db.fetchall(
        "SELECT b.score, f.score FROM wellbeing f"
        " JOIN wellbeing b ON b.request_id = f.request_id AND b.occasion = 'intake'"
        "   AND b.status = 'answered'"
        " WHERE f.status = 'answered' AND f.occasion IN ('week4', 'week8')"
        " AND f.answered_at >= ? AND f.answered_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM wellbeing later WHERE later.request_id = f.request_id"
        "   AND later.status = 'answered' AND later.occasion IN ('week4', 'week8')"
        "   AND later.answered_at > f.answered_at AND later.answered_at < ?)",
        (*_window(start, end), end.isoformat()),
    )
    return [(int(row[0]), int(row[1])) for row in rows]
