"""E-mail alarms: written with the decision that causes them, sent by
`bot.delivery.email_alarm.AlarmDispatcher`.

One row per escalation and stage (the UNIQUE constraint is the deduplication). A row is pending
until every configured address accepted it; the addresses already served are kept meanwhile so
a retry never e-mails them twice, and cleared once it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.storage.database import Database, Row, Transaction


class Stage(StrEnum):
    UNACKNOWLEDGED = "unacknowledged"  # still open after the backups were alerted
    UNREACHABLE = "unreachable"  # no coordinator could be reached at all


@dataclass(frozen=True)
class Alarm:
    id: int
    escalation_id: int
    stage: Stage
    reason: str
    raised_at: datetime
    delivered_to: frozenset[str]
    attempts: int
    not_before: datetime


def _alarm(row: Row) -> Alarm:
    return Alarm(
        id=row["id"],
        escalation_id=row["escalation_id"],
        stage=Stage(row["stage"]),
        reason=row["reason"],
        raised_at=datetime.fromisoformat(row["raised_at"]),
        delivered_to=frozenset(a for a in row["delivered_to"].split("\n") if a),
        attempts=row["attempts"],
        not_before=datetime.fromisoformat(row["not_before"]),
    )


async def queue(
    tx: Transaction,
    *,
    escalation_id: int,
    stage: Stage,
    reason: str,
    raised_at: datetime,
    now: datetime,
) -> bool:
    """Add the alarm inside the caller's transaction; False when this stage already has one."""
    return bool(
        await tx.execute_rowcount(
            "INSERT OR IGNORE INTO alarms (escalation_id, stage, reason, raised_at, not_before,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                escalation_id,
                stage.value,
                reason,
                raised_at.isoformat(),
                now.isoformat(),
                now.isoformat(),
            ),
        )
    )


async def recent_for_citizen(
    tx: Transaction, citizen_id: int, stage: Stage, since: datetime
) -> bool:
    """Whether this citizen's escalations already caused an alarm of this stage since `since`
    (cancelled ones do not count: somebody answered those)."""
    row = await tx.fetchone(
        "SELECT 1 FROM alarms JOIN escalations ON escalations.id = alarms.escalation_id"
        " WHERE escalations.citizen_id = ? AND alarms.stage = ? AND alarms.status != 'cancelled'"
        " AND alarms.created_at >= ? LIMIT 1",
        (citizen_id, stage.value, since.isoformat()),
    )
    return row is not None


async def due(db: Database, now: datetime, limit: int = 20) -> list[Alarm]:
    rows = await db.fetchall(
        "SELECT * FROM alarms WHERE status = 'pending' AND not_before <= ?"
        " ORDER BY not_before, id LIMIT ?",
        (now.isoformat(), limit),
    )
    return [_alarm(row) for row in rows]


async def is_pending(db: Database, alarm_id: int) -> bool:
    """Still to be sent: not cancelled by an acknowledgement in the meantime."""
    row = await db.fetchone("SELECT status FROM alarms WHERE id = ?", (alarm_id,))
    return row is not None and row[0] == "pending"


async def delivered(db: Database, alarm_id: int, address: str) -> None:
    """Remember one address that accepted the alarm (so a retry skips it)."""
    await db.execute(
        "UPDATE alarms SET delivered_to = delivered_to || ? || char(10) WHERE id = ?",
        (address, alarm_id),
    )


async def mark_sent(db: Database, alarm_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE alarms SET status = 'sent', sent_at = ?, delivered_to = '', last_error = NULL,"
        " attempts = attempts + 1 WHERE id = ? AND status = 'pending'",
        (now.isoformat(), alarm_id),
    )


async def postpone(db: Database, alarm_id: int, not_before: datetime, error: str) -> None:
    await db.execute(
        "UPDATE alarms SET not_before = ?, last_error = ?, attempts = attempts + 1 WHERE id = ?",
        (not_before.isoformat(), error, alarm_id),
    )


async def cancel_for(tx: Transaction, escalation_id: int) -> int:
    """An acknowledged escalation needs no alarm any more."""
    return await tx.execute_rowcount(
        "UPDATE alarms SET status = 'cancelled', delivered_to = ''"
        " WHERE escalation_id = ? AND status = 'pending'",
        (escalation_id,),
    )


async def backlog(db: Database) -> tuple[int, datetime | None]:
    """How many alarms wait to be sent, and since when the oldest."""
    row = await db.fetchone("SELECT COUNT(*), MIN(created_at) FROM alarms WHERE status = 'pending'")
    if row is None or not row[0]:
        return 0, None
    return int(row[0]), datetime.fromisoformat(row[1])


async def all_for(db: Database | Transaction, escalation_id: int) -> list[tuple[str, str]]:
    """(stage, status) of one escalation's alarms, oldest first."""
    rows = await db.fetchall(
        "SELECT stage, status FROM alarms WHERE escalation_id = ? ORDER BY id", (escalation_id,)
    )
    return [(row["stage"], row["status"]) for row in rows]


async def purge(tx: Transaction, before: datetime) -> int:
    """Retention: alarms that were sent or cancelled long ago."""
    return await tx.execute_rowcount(
        "DELETE FROM alarms WHERE status != 'pending' AND created_at <= ?", (before.isoformat(),)
    )
