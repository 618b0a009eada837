"""Queries behind the health report and the state gauges."""

from __future__ import annotations

from datetime import datetime

from bot.storage.database import Database


async def requests_by_state(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT status, COUNT(*) FROM requests GROUP BY status")
    return {row[0]: row[1] for row in rows}


async def outbox_backlog(db: Database) -> tuple[int, datetime | None]:
    row = await db.fetchone("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status = 'pending'")
    assert row is not None
    return row[0], datetime.fromisoformat(row[1]) if row[1] else None


async def open_escalations(db: Database) -> tuple[int, datetime | None]:
    row = await db.fetchone(
        "SELECT COUNT(*), MIN(created_at) FROM escalations WHERE status = 'open'"
    )
    assert row is not None
    return row[0], datetime.fromisoformat(row[1]) if row[1] else None


async def checkins(db: Database, overdue_before: datetime) -> tuple[int, int]:
    row = await db.fetchone(
        "SELECT COUNT(*), SUM(due_at <= ?) FROM checkins WHERE status IN ('pending', 'reminded')",
        (overdue_before.isoformat(),),
    )
    assert row is not None
    return row[0], row[1] or 0
