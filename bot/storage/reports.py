"""Reports a peer makes when ending a contact, and the bars coordinators decide on them.

A bar lives on the citizen's row (``users.barred_until``), so checking it costs nothing beyond
the lookup every update already does; it ends by itself when the time has passed.

When a reported citizen erases their data, their reports stay until retention removes them,
with the note and every link to the person removed, under a keyed mark of their Telegram id
(HMAC with a random key kept in the database). If the same person comes back, the mark joins
the reports to their new row: a bar still runs, and the reporting peers are still never
offered them. Without this, `/delete` would undo the protection of the peers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from bot.domain import Report, ReportStatus
from bot.storage.database import Database, Row, Transaction

REPORT_SQL = """
    SELECT r.*, cu.pseudonym AS citizen_name, pu.pseudonym AS peer_name,
        pu.telegram_id AS peer_chat, pu.language AS peer_language
    FROM reports r
    LEFT JOIN users cu ON cu.id = r.citizen_id
    LEFT JOIN users pu ON pu.id = r.peer_id
"""


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _report(row: Row) -> Report:
    return Report(
        id=row["id"],
        citizen_id=row["citizen_id"],
        peer_id=row["peer_id"],
        contact_id=row["contact_id"],
        reason=row["reason"],
        note=row["note"],
        status=ReportStatus(row["status"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        decided_at=_dt(row["decided_at"]),
        barred_until=_dt(row["barred_until"]),
        citizen_name=row["citizen_name"],
        peer_name=row["peer_name"],
        peer_chat=row["peer_chat"],
    )


async def create(
    tx: Transaction, citizen_id: int, peer_id: int, contact_id: int, reason: str, now: datetime
) -> int:
    return await tx.execute(
        "INSERT INTO reports (citizen_id, peer_id, contact_id, reason, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (citizen_id, peer_id, contact_id, reason, now.isoformat()),
    )


async def by_id(db: Database | Transaction, report_id: int) -> Report | None:
    row = await db.fetchone(REPORT_SQL + " WHERE r.id = ?", (report_id,))
    return _report(row) if row else None


async def set_note(tx: Transaction, report_id: int, note: str) -> bool:
    """Add the peer's note once; False if the report has one already."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE reports SET note = ? WHERE id = ? AND note IS NULL", (note, report_id)
        )
    )


async def recent(db: Database, since: datetime, limit: int = 20) -> list[Report]:
    """Open reports, and decided ones since `since`; open ones first."""
    rows = await db.fetchall(
        REPORT_SQL + " WHERE r.status = 'open' OR r.created_at >= ?"
        " ORDER BY r.status != 'open', r.id DESC LIMIT ?",
        (since.isoformat(), limit),
    )
    return [_report(row) for row in rows]


async def decide(
    tx: Transaction,
    report_id: int,
    status: ReportStatus,
    actor_telegram_id: int,
    now: datetime,
    barred_until: datetime | None,
) -> bool:
    """Record the first decision on an open report; False if it was decided already."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE reports SET status = ?, decided_by = ?, decided_at = ?, barred_until = ?"
            " WHERE id = ? AND status = 'open'",
            (
                status.value,
                actor_telegram_id,
                now.isoformat(),
                barred_until.isoformat() if barred_until else None,
                report_id,
            ),
        )
    )


async def bar(tx: Transaction, citizen_id: int, until: datetime) -> None:
    """Bar the citizen until `until`, keeping a longer bar that already runs."""
    await tx.execute(
        "UPDATE users SET barred_until = ?"
        " WHERE id = ? AND (barred_until IS NULL OR barred_until < ?)",
        (until.isoformat(), citizen_id, until.isoformat()),
    )


async def peers_who_reported(db: Database | Transaction, citizen_id: int) -> set[int]:
    """Peers who reported this citizen are never offered them again."""
    rows = await db.fetchall(
        "SELECT DISTINCT peer_id FROM reports WHERE citizen_id = ? AND peer_id IS NOT NULL",
        (citizen_id,),
    )
    return {row[0] for row in rows}


MARK_KEY = "reports.mark_key"


async def _mark(tx: Transaction, telegram_id: int) -> str:
    row = await tx.fetchone("SELECT value FROM meta WHERE key = ?", (MARK_KEY,))
    if row is None:
        key = secrets.token_hex(32)
        await tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (MARK_KEY, key))
    else:
        key = row[0]
    return hmac.new(bytes.fromhex(key), str(telegram_id).encode(), hashlib.sha256).hexdigest()


async def keep_after_erasure(tx: Transaction, citizen_id: int, telegram_id: int) -> None:
    """Before the citizen's row goes: reports about them lose the note and every link to the
    person but keep the reporting peer, the decision and the bar, under the keyed mark."""
    await tx.execute("DELETE FROM reports WHERE citizen_id = ? AND peer_id IS NULL", (citizen_id,))
    await tx.execute(
        "UPDATE reports SET citizen_id = NULL, contact_id = NULL, note = NULL, citizen_mark = ?"
        " WHERE citizen_id = ?",
        (await _mark(tx, telegram_id), citizen_id),
    )


async def reclaim(tx: Transaction, citizen_id: int, telegram_id: int, now: datetime) -> None:
    """A new row for someone who erased their data: their marked reports, and a bar still
    running, are theirs again."""
    mark = await _mark(tx, telegram_id)
    if not await tx.execute_rowcount(
        "UPDATE reports SET citizen_id = ?, citizen_mark = NULL WHERE citizen_mark = ?",
        (citizen_id, mark),
    ):
        return
    row = await tx.fetchone(
        "SELECT MAX(barred_until) FROM reports WHERE citizen_id = ? AND status = 'barred'"
        " AND barred_until > ?",
        (citizen_id, now.isoformat()),
    )
    if row is not None and row[0] is not None:
        await bar(tx, citizen_id, datetime.fromisoformat(row[0]))


async def set_note_prompt(
    db: Database | Transaction, report_id: int, peer_id: int, message_id: int
) -> bool:
    """Remember which message in the reporting peer's chat asks for a note on the report;
    False if the report is not the peer's."""
    return bool(
        await db.execute_rowcount(
            "UPDATE reports SET note_prompt_id = ? WHERE id = ? AND peer_id = ?",
            (message_id, report_id, peer_id),
        )
    )


async def by_note_prompt(db: Database | Transaction, peer_id: int, message_id: int) -> int | None:
    """The peer's report whose note prompt is `message_id`."""
    row = await db.fetchone(
        "SELECT id FROM reports WHERE note_prompt_id = ? AND peer_id = ?", (message_id, peer_id)
    )
    return int(row[0]) if row else None
