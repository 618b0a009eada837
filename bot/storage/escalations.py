"""Escalations to coordinators: raised once, acknowledged once, followed up until someone does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database, Row, Transaction


@dataclass(frozen=True)
class Escalation:
    id: int
    reason: str
    categories: frozenset[str]
    note: str | None
    citizen_id: int | None
    request_id: int | None
    contact_id: int | None
    acknowledged: bool
    created_at: datetime
    acknowledged_by: int | None
    acknowledged_at: datetime | None
    renotified: bool
    backup_notified: bool
    unreached: bool = False
    alarmed: bool = False
    repeat_count: int = 0
    last_repeat_at: datetime | None = None
    repeat_noted_at: datetime | None = None


def _escalation(row: Row) -> Escalation:
    return Escalation(
        id=row["id"],
        reason=row["reason"],
        categories=frozenset(c for c in row["categories"].split(",") if c),
        note=row["note"],
        citizen_id=row["citizen_id"],
        request_id=row["request_id"],
        contact_id=row["contact_id"],
        acknowledged=row["status"] == "acknowledged",
        created_at=datetime.fromisoformat(row["created_at"]),
        acknowledged_by=row["acknowledged_by"],
        acknowledged_at=(
            datetime.fromisoformat(row["acknowledged_at"]) if row["acknowledged_at"] else None
        ),
        renotified=row["renotified_at"] is not None,
        backup_notified=row["backup_notified_at"] is not None,
        unreached=row["unreached_at"] is not None,
        alarmed=row["alarmed_at"] is not None,
        repeat_count=row["repeat_count"],
        last_repeat_at=_time(row["last_repeat_at"]),
        repeat_noted_at=_time(row["repeat_noted_at"]),
    )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def create(
    tx: Transaction,
    *,
    source_key: str | None,
    reason: str,
    categories: frozenset[str],
    note: str | None,
    citizen_id: int | None,
    request_id: int | None,
    contact_id: int | None,
    now: datetime,
) -> Escalation | None:
    """Insert once per source; None when this source already raised one (a re-processed update).

    One round trip: the unique source key decides, and the new row comes back with it."""
    row = await tx.fetchone(
        "INSERT INTO escalations (source_key, reason, categories, note, citizen_id, request_id,"
        " contact_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (source_key) DO NOTHING RETURNING *",
        (
            source_key,
            reason,
            ",".join(sorted(categories)),
            note,
            citizen_id,
            request_id,
            contact_id,
            now.isoformat(),
        ),
    )
    return _escalation(row) if row else None


async def by_id(db: Database | Transaction, escalation_id: int) -> Escalation | None:
    row = await db.fetchone("SELECT * FROM escalations WHERE id = ?", (escalation_id,))
    return _escalation(row) if row else None


async def acknowledge(
    tx: Transaction, escalation_id: int, coordinator_telegram_id: int, now: datetime
) -> bool:
    """The first press wins; later ones change nothing."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE escalations SET status = 'acknowledged', acknowledged_by = ?,"
            " acknowledged_at = ? WHERE id = ? AND status = 'open'",
            (coordinator_telegram_id, now.isoformat(), escalation_id),
        )
    )


async def open_older_than(db: Database, moment: datetime) -> list[Escalation]:
    rows = await db.fetchall(
        "SELECT * FROM escalations WHERE status = 'open' AND created_at <= ? ORDER BY id",
        (moment.isoformat(),),
    )
    return [_escalation(row) for row in rows]


async def mark_followed_up(tx: Transaction, escalation_id: int, stage: str, now: datetime) -> bool:
    """Record a stage of the ladder once: renotified, backup, unreached (nobody could be
    reached) or alarm (the e-mail alarm was decided); False when it was recorded already."""
    column = {
        "renotified": "renotified_at",
        "backup": "backup_notified_at",
        "unreached": "unreached_at",
        "alarm": "alarmed_at",
    }[stage]
    return bool(
        await tx.execute_rowcount(
            f"UPDATE escalations SET {column} = ? WHERE id = ? AND {column} IS NULL"
            " AND status = 'open'",
            (now.isoformat(), escalation_id),
        )
    )


async def by_source_key(db: Database | Transaction, source_key: str) -> Escalation | None:
    row = await db.fetchone("SELECT * FROM escalations WHERE source_key = ?", (source_key,))
    return _escalation(row) if row else None


async def open_undelivered(db: Database) -> list[int]:
    """Open escalations whose every alert Telegram refused (blocked, chat not found) and that
    are not yet known to have reached nobody: the backstop if the dispatcher's note was lost."""
    rows = await db.fetchall(
        "SELECT e.id FROM escalations e WHERE e.status = 'open' AND e.unreached_at IS NULL"
        " AND EXISTS (SELECT 1 FROM outbox o WHERE o.purpose = 'escalation' AND o.ref_id = e.id)"
        " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.purpose = 'escalation'"
        "   AND o.ref_id = e.id AND o.status IN ('pending', 'sent'))"
        " ORDER BY e.id"
    )
    return [row[0] for row in rows]


async def recent(db: Database, since: datetime, limit: int = 20) -> list[Escalation]:
    """Open ones (however old) and those raised since `since`, newest first."""
    rows = await db.fetchall(
        "SELECT * FROM escalations WHERE status = 'open' OR created_at >= ?"
        " ORDER BY id DESC LIMIT ?",
        (since.isoformat(), limit),
    )
    return [_escalation(row) for row in rows]


async def last_for_citizen(db: Database | Transaction, citizen_id: int) -> Escalation | None:
    row = await db.fetchone(
        "SELECT * FROM escalations WHERE citizen_id = ? ORDER BY id DESC LIMIT 1", (citizen_id,)
    )
    return _escalation(row) if row else None


async def to_join(tx: Transaction, citizen_id: int, since: datetime) -> Escalation | None:
    """The citizen's latest "I need help now" escalation raised since `since`, which a new
    press joins (open or already taken)."""
    row = await tx.fetchone(
        "SELECT * FROM escalations WHERE citizen_id = ? AND reason = 'button'"
        " AND created_at >= ? ORDER BY id DESC LIMIT 1",
        (citizen_id, since.isoformat()),
    )
    return _escalation(row) if row else None


async def add_repeat(tx: Transaction, escalation_id: int, source_key: str, now: datetime) -> bool:
    """Count a repeated press once: False if this update was counted before (it is processed
    again after a restart, see DESIGN "Inbox before acknowledgement")."""
    if not await tx.execute_rowcount(
        "INSERT OR IGNORE INTO escalation_presses (source_key, escalation_id) VALUES (?, ?)",
        (source_key, escalation_id),
    ):
        return False
    await tx.execute(
        "UPDATE escalations SET repeat_count = repeat_count + 1, last_repeat_at = ? WHERE id = ?",
        (now.isoformat(), escalation_id),
    )
    return True


async def repeat_noted(tx: Transaction, escalation_id: int, now: datetime) -> None:
    await tx.execute(
        "UPDATE escalations SET repeat_noted_at = ? WHERE id = ?", (now.isoformat(), escalation_id)
    )


async def set_note(tx: Transaction, escalation_id: int, note: str) -> bool:
    return bool(
        await tx.execute_rowcount(
            "UPDATE escalations SET note = ? WHERE id = ? AND note IS NULL", (note, escalation_id)
        )
    )


async def open_citizens(db: Database | Transaction) -> set[int]:
    """Citizens with an urgent alert nobody has acknowledged yet (a request nobody answered
    in time is its own filter, not urgent)."""
    rows = await db.fetchall(
        "SELECT DISTINCT citizen_id FROM escalations WHERE status = 'open'"
        " AND reason != 'unanswered' AND citizen_id IS NOT NULL"
    )
    return {row[0] for row in rows}


async def acknowledged_by(tx: Transaction, coordinator_telegram_id: int) -> list[Escalation]:
    """Escalations this coordinator took and that are still theirs (status acknowledged)."""
    rows = await tx.fetchall(
        "SELECT * FROM escalations WHERE status = 'acknowledged' AND acknowledged_by = ?"
        " ORDER BY id",
        (coordinator_telegram_id,),
    )
    return [_escalation(row) for row in rows]


async def reopen(tx: Transaction, escalation_id: int) -> bool:
    """Back to the team: open again, nobody's; the ladder's stages already passed stay passed."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE escalations SET status = 'open', acknowledged_by = NULL,"
            " acknowledged_at = NULL WHERE id = ? AND status = 'acknowledged'",
            (escalation_id,),
        )
    )


async def set_note_prompt(
    db: Database | Transaction, escalation_id: int, peer_id: int, message_id: int
) -> bool:
    """Remember which message in the peer's chat asks for a note on their concern; False if
    the concern is not on one of the peer's contacts."""
    return bool(
        await db.execute_rowcount(
            "UPDATE escalations SET note_prompt_id = ? WHERE id = ?"
            " AND contact_id IN (SELECT id FROM contacts WHERE peer_id = ?)",
            (message_id, escalation_id, peer_id),
        )
    )


async def by_note_prompt(
    db: Database | Transaction, peer_id: int, message_id: int
) -> Escalation | None:
    """The concern on one of the peer's contacts whose note prompt is `message_id`."""
    row = await db.fetchone(
        "SELECT e.* FROM escalations e JOIN contacts c ON c.id = e.contact_id"
        " WHERE e.note_prompt_id = ? AND c.peer_id = ?",
        (message_id, peer_id),
    )
    return _escalation(row) if row else None
