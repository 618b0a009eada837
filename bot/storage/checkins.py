"""Check-ins and scheduled calls or meetings: drafts while being planned, then due rows."""

from __future__ import annotations

from datetime import datetime

from bot.domain import Checkin, CheckinStatus
from bot.storage.database import Database, Row, Transaction

UPCOMING = (CheckinStatus.PENDING, CheckinStatus.REMINDED)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _checkin(row: Row) -> Checkin:
    return Checkin(
        id=row["id"],
        contact_id=row["contact_id"],
        created_by=row["created_by"],
        kind=row["kind"],
        status=CheckinStatus(row["status"]),
        step=row["step"],
        local_time=_dt(row["local_time"]),
        due_at=_dt(row["due_at"]),
        quiet_moved=bool(row["quiet_moved"]),
        repeat_weeks=row["repeat_weeks"],
        note=row["note"],
        replaces_id=row["replaces_id"],
        fired_at=_dt(row["fired_at"]),
    )


async def create_draft(
    tx: Transaction,
    contact_id: int,
    created_by: str,
    step: str,
    now: datetime,
    *,
    kind: str = "checkin",
    note: str | None = None,
    repeat_weeks: int = 0,
    replaces_id: int | None = None,
) -> int:
    return await tx.execute(
        "INSERT INTO checkins (contact_id, created_by, kind, status, step, note, repeat_weeks,"
        " replaces_id, created_at) VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?)",
        (contact_id, created_by, kind, step, note, repeat_weeks, replaces_id, now.isoformat()),
    )


async def by_id(db: Database | Transaction, checkin_id: int) -> Checkin | None:
    row = await db.fetchone("SELECT * FROM checkins WHERE id = ?", (checkin_id,))
    return _checkin(row) if row else None


async def update_draft(db: Database | Transaction, checkin_id: int, **values: object) -> None:
    """Store answers of the planning dialogue (kind, step, local_time, repeat_weeks, note)."""
    allowed = {"kind", "step", "local_time", "repeat_weeks", "note"}
    columns = [name for name in values if name in allowed]
    if not columns:
        return
    assignments = ", ".join(f"{name} = ?" for name in columns)
    params = [_value(values[name]) for name in columns]
    await db.execute(
        f"UPDATE checkins SET {assignments} WHERE id = ? AND status = 'draft'",
        (*params, checkin_id),
    )


def _value(value: object) -> object:
    return value.isoformat(timespec="minutes") if isinstance(value, datetime) else value


async def draft_for(db: Database | Transaction, contact_ids: list[int]) -> Checkin | None:
    if not contact_ids:
        return None
    marks = ", ".join("?" for _ in contact_ids)
    row = await db.fetchone(
        f"SELECT * FROM checkins WHERE status = 'draft' AND contact_id IN ({marks})"
        " ORDER BY id DESC LIMIT 1",
        contact_ids,
    )
    return _checkin(row) if row else None


async def drafts(db: Database) -> list[tuple[int, str]]:
    """(telegram id, step) of the planner of every unfinished draft, to resume dialogues."""
    rows = await db.fetchall(
        "SELECT CASE k.created_by WHEN 'peer' THEN pu.telegram_id ELSE cu.telegram_id END,"
        " k.step FROM checkins k JOIN contacts c ON c.id = k.contact_id"
        " JOIN users pu ON pu.id = c.peer_id JOIN users cu ON cu.id = c.citizen_id"
        " WHERE k.status = 'draft' AND k.step IS NOT NULL"
    )
    return [(row[0], row[1]) for row in rows]


async def delete_drafts(tx: Transaction, contact_ids: list[int]) -> None:
    for contact_id in contact_ids:
        await tx.execute(
            "DELETE FROM checkins WHERE status = 'draft' AND contact_id = ?", (contact_id,)
        )


async def schedule(
    tx: Transaction, checkin_id: int, local_time: datetime, due_at: datetime, quiet_moved: bool
) -> bool:
    return bool(
        await tx.execute_rowcount(
            "UPDATE checkins SET status = 'pending', step = NULL, local_time = ?, due_at = ?,"
            " quiet_moved = ? WHERE id = ? AND status = 'draft'",
            (
                local_time.isoformat(timespec="minutes"),
                due_at.isoformat(),
                int(quiet_moved),
                checkin_id,
            ),
        )
    )


async def add_occurrence(
    tx: Transaction,
    previous: Checkin,
    local_time: datetime,
    due_at: datetime,
    quiet_moved: bool,
    now: datetime,
) -> int:
    """The next week of a repeating series, as its own row."""
    return await tx.execute(
        "INSERT INTO checkins (contact_id, created_by, kind, status, local_time, due_at,"
        " quiet_moved, repeat_weeks, note, created_at)"
        " VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)",
        (
            previous.contact_id,
            previous.created_by,
            previous.kind,
            local_time.isoformat(timespec="minutes"),
            due_at.isoformat(),
            int(quiet_moved),
            previous.repeat_weeks - 1,
            previous.note,
            now.isoformat(),
        ),
    )


async def due(
    db: Database, statuses: tuple[CheckinStatus, ...], before: datetime, limit: int = 500
) -> list[Checkin]:
    marks = ", ".join("?" for _ in statuses)
    rows = await db.fetchall(
        f"SELECT * FROM checkins WHERE status IN ({marks}) AND due_at <= ?"
        " ORDER BY due_at, id LIMIT ?",
        (*(s.value for s in statuses), before.isoformat(), limit),
    )
    return [_checkin(row) for row in rows]


async def pending_between(
    db: Database, start: datetime, end: datetime
) -> list[tuple[int, datetime]]:
    """(id, due_at) of upcoming rows in a window, to put timers on the job queue."""
    rows = await db.fetchall(
        "SELECT id, due_at FROM checkins WHERE status IN ('pending', 'reminded')"
        " AND due_at > ? AND due_at <= ? ORDER BY due_at",
        (start.isoformat(), end.isoformat()),
    )
    return [(row[0], datetime.fromisoformat(row[1])) for row in rows]


async def set_status(
    tx: Transaction,
    checkin_id: int,
    status: CheckinStatus,
    expected: tuple[CheckinStatus, ...],
    **values: object,
) -> bool:
    """Move one row on only from an expected status: this is what makes firing exactly once."""
    allowed = {
        "fired_at",
        "late",
        "answer",
        "answered_at",
        "due_at",
        "quiet_moved",
        "local_time",
        "repeat_weeks",
    }
    extra = [name for name in values if name in allowed]
    assignments = "".join(f", {name} = ?" for name in extra)
    marks = ", ".join("?" for _ in expected)
    return bool(
        await tx.execute_rowcount(
            f"UPDATE checkins SET status = ?{assignments} WHERE id = ? AND status IN ({marks})",
            (
                status.value,
                *(_value(values[name]) for name in extra),
                checkin_id,
                *(s.value for s in expected),
            ),
        )
    )


async def upcoming_for(db: Database, contact_ids: list[int]) -> list[Checkin]:
    if not contact_ids:
        return []
    marks = ", ".join("?" for _ in contact_ids)
    rows = await db.fetchall(
        f"SELECT * FROM checkins WHERE status IN ('pending', 'reminded')"
        f" AND contact_id IN ({marks}) ORDER BY due_at",
        contact_ids,
    )
    return [_checkin(row) for row in rows]


async def cancel_for_contact(tx: Transaction, contact_id: int) -> int:
    return await tx.execute_rowcount(
        "UPDATE checkins SET status = 'cancelled' WHERE contact_id = ?"
        " AND status IN ('draft', 'pending', 'reminded')",
        (contact_id,),
    )


async def unanswered_since(db: Database, fired_before: datetime) -> list[Checkin]:
    rows = await db.fetchall(
        "SELECT * FROM checkins WHERE status = 'sent' AND kind = 'checkin' AND fired_at <= ?",
        (fired_before.isoformat(),),
    )
    return [_checkin(row) for row in rows]
