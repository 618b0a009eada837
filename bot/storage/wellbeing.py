"""WHO-5 wellbeing rows: one per request and occasion, answers stored as they are given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain import WellbeingStatus
from bot.storage.database import Database, Row, Transaction


class Occasion(StrEnum):
    INTAKE = "intake"
    WEEK4 = "week4"
    WEEK8 = "week8"


@dataclass(frozen=True)
class Wellbeing:
    id: int
    citizen_id: int
    request_id: int | None
    occasion: Occasion
    status: WellbeingStatus
    answers: tuple[int, ...]
    score: int | None
    offered_at: datetime
    answered_at: datetime | None
    talk_asked_at: datetime | None
    talk_taken_by: int | None = None  # the coordinator's Telegram id
    talk_contact_id: int | None = None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _wellbeing(row: Row) -> Wellbeing:
    return Wellbeing(
        id=row["id"],
        citizen_id=row["citizen_id"],
        request_id=row["request_id"],
        occasion=Occasion(row["occasion"]),
        status=WellbeingStatus(row["status"]),
        answers=tuple(int(a) for a in row["answers"].split(",") if a),
        score=row["score"],
        offered_at=datetime.fromisoformat(row["offered_at"]),
        answered_at=_dt(row["answered_at"]),
        talk_asked_at=_dt(row["talk_asked_at"]),
        talk_taken_by=row["talk_taken_by"],
        talk_contact_id=row["talk_contact_id"],
    )


async def offer(
    tx: Transaction, citizen_id: int, request_id: int, occasion: Occasion, now: datetime
) -> int | None:
    """A new offered row; None if this request already had this occasion (exactly once)."""
    created = await tx.execute_rowcount(
        "INSERT OR IGNORE INTO wellbeing (citizen_id, request_id, occasion, offered_at)"
        " VALUES (?, ?, ?, ?)",
        (citizen_id, request_id, occasion.value, now.isoformat()),
    )
    if not created:
        return None
    row = await tx.fetchone(
        "SELECT id FROM wellbeing WHERE request_id = ? AND occasion = ?",
        (request_id, occasion.value),
    )
    return int(row[0]) if row else None


async def by_id(db: Database | Transaction, wellbeing_id: int) -> Wellbeing | None:
    row = await db.fetchone("SELECT * FROM wellbeing WHERE id = ?", (wellbeing_id,))
    return _wellbeing(row) if row else None


async def recent_for(db: Database | Transaction, citizen_id: int, since: datetime) -> int:
    """How many questionnaires were offered to the citizen since `since` (to avoid nagging)."""
    row = await db.fetchone(
        "SELECT COUNT(*) FROM wellbeing WHERE citizen_id = ? AND offered_at >= ?",
        (citizen_id, since.isoformat()),
    )
    return int(row[0]) if row else 0


async def answered_for(db: Database, citizen_id: int) -> list[Wellbeing]:
    rows = await db.fetchall(
        "SELECT * FROM wellbeing WHERE citizen_id = ? AND status = 'answered'"
        " ORDER BY answered_at, id",
        (citizen_id,),
    )
    return [_wellbeing(row) for row in rows]


async def add_answer(
    tx: Transaction, wellbeing_id: int, expected: tuple[int, ...], value: int
) -> bool:
    """Append one answer, only if the row still holds exactly `expected` (a second press of
    the same button, or a stale one, changes nothing)."""
    old = ",".join(str(a) for a in expected)
    new = ",".join(str(a) for a in (*expected, value))
    return bool(
        await tx.execute_rowcount(
            "UPDATE wellbeing SET answers = ?, status = 'answering' WHERE id = ?"
            " AND status IN ('offered', 'answering') AND answers = ?",
            (new, wellbeing_id, old),
        )
    )


async def finish(tx: Transaction, wellbeing_id: int, score: int, now: datetime) -> bool:
    return bool(
        await tx.execute_rowcount(
            "UPDATE wellbeing SET status = 'answered', score = ?, answered_at = ?,"
            " baseline = CASE WHEN occasion = 'intake' THEN NULL ELSE (SELECT b.score"
            "   FROM wellbeing b WHERE b.request_id = wellbeing.request_id"
            "   AND b.occasion = 'intake' AND b.status = 'answered') END"
            " WHERE id = ? AND status = 'answering'",
            (score, now.isoformat(), wellbeing_id),
        )
    )


async def skip(tx: Transaction, wellbeing_id: int) -> bool:
    """Skipping forgets any answers given so far: nothing half-filled is kept."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE wellbeing SET status = 'skipped', answers = '' WHERE id = ?"
            " AND status IN ('offered', 'answering')",
            (wellbeing_id,),
        )
    )


async def ask_talk(tx: Transaction, wellbeing_id: int, now: datetime) -> bool:
    return bool(
        await tx.execute_rowcount(
            "UPDATE wellbeing SET talk_asked_at = ? WHERE id = ? AND status = 'answered'"
            " AND talk_asked_at IS NULL",
            (now.isoformat(), wellbeing_id),
        )
    )


async def superseded(db: Database | Transaction, item: Wellbeing) -> bool:
    """Whether a later occasion of the same request has been offered since."""
    if item.request_id is None:
        return False
    row = await db.fetchone(
        "SELECT 1 FROM wellbeing WHERE request_id = ? AND id != ? AND offered_at >= ? LIMIT 1",
        (item.request_id, item.id, item.offered_at.isoformat()),
    )
    return row is not None


async def close_open(tx: Transaction, wellbeing_id: int) -> None:
    """A closed questionnaire keeps no half-given answers; it counts as offered, unanswered."""
    await tx.execute(
        "UPDATE wellbeing SET status = 'offered', answers = '' WHERE id = ?"
        " AND status IN ('offered', 'answering')",
        (wellbeing_id,),
    )


async def close_earlier(tx: Transaction, request_id: int, now: datetime) -> None:
    """When a new occasion is offered, the request's earlier open questionnaires close."""
    await tx.execute(
        "UPDATE wellbeing SET status = 'offered', answers = '' WHERE request_id = ?"
        " AND status IN ('offered', 'answering') AND offered_at < ?",
        (request_id, now.isoformat()),
    )


async def take_talk(tx: Transaction, wellbeing_id: int, coordinator_telegram_id: int) -> bool:
    """Compare-and-set: the first coordinator to press "Write to them" owns the wish to talk."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE wellbeing SET talk_taken_by = ? WHERE id = ? AND talk_asked_at IS NOT NULL"
            " AND talk_taken_by IS NULL",
            (coordinator_telegram_id, wellbeing_id),
        )
    )


async def set_talk_contact(tx: Transaction, wellbeing_id: int, contact_id: int) -> None:
    await tx.execute(
        "UPDATE wellbeing SET talk_contact_id = ? WHERE id = ?", (contact_id, wellbeing_id)
    )


async def follow_ups_due(
    db: Database,
    occasion: Occasion,
    started_before: datetime,
    started_after: datetime,
    consent_version: int,
    limit: int = 200,
) -> list[tuple[int, int]]:
    """(citizen id, request id) of active peer contacts whose request first met a peer in the
    window (a handover to another peer does not restart the clock) and whose request has not had
    this follow-up offered yet, for citizens who can be asked (reachable, current consent)."""
    rows = await db.fetchall(
        "SELECT DISTINCT c.citizen_id, c.request_id, COALESCE(r.first_contact_at, c.started_at)"
        " AS first FROM contacts c JOIN users u ON u.id = c.citizen_id"
        " JOIN requests r ON r.id = c.request_id"
        " WHERE c.kind = 'peer' AND c.status = 'active' AND c.request_id IS NOT NULL"
        " AND u.unreachable_at IS NULL AND u.consent_version >= ?"
        " AND COALESCE(r.first_contact_at, c.started_at) <= ?"
        " AND COALESCE(r.first_contact_at, c.started_at) > ?"
        " AND NOT EXISTS (SELECT 1 FROM wellbeing w"
        "   WHERE w.request_id = c.request_id AND w.occasion = ?)"
        " ORDER BY first LIMIT ?",
        (
            consent_version,
            started_before.isoformat(),
            started_after.isoformat(),
            occasion.value,
            limit,
        ),
    )
    return [(row[0], row[1]) for row in rows]


async def request_escalated(db: Database | Transaction, request_id: int) -> bool:
    row = await db.fetchone("SELECT 1 FROM escalations WHERE request_id = ? LIMIT 1", (request_id,))
    return row is not None
