"""Everything stored about one person: gathered for /mydata, erased for /delete, aged out.

Kept in one module so that a new table with personal data has one obvious place to be added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.storage import reports as report_store
from bot.storage import statistics as stats
from bot.storage.database import Database, Row, Transaction


def _rows(rows: list[Row], *columns: str) -> list[dict[str, Any]]:
    return [{column: row[column] for column in columns} for row in rows]


async def export(db: Database | Transaction, user_id: int) -> dict[str, Any]:
    """A plain dictionary of the person's rows, with other people shown by pseudonym only."""
    user = await db.fetchone(
        "SELECT role, language, pseudonym, consent_version, consent_at, created_at, barred_until"
        " FROM users WHERE id = ?",
        (user_id,),
    )
    if user is None:
        return {}
    requests = await db.fetchall(
        "SELECT id, status, age_band, topic, language, contact_form, times, note, created_at,"
        " submitted_at, first_contact_at, requeued_at, closed_at, close_reason FROM requests"
        " WHERE citizen_id = ?"
        " ORDER BY id",
        (user_id,),
    )
    contacts = await db.fetchall(
        "SELECT c.id, c.kind, c.status, c.started_at, c.ended_at,"
        " CASE WHEN c.citizen_id = ? THEN p.pseudonym ELSE ci.pseudonym END AS other_side"
        " FROM contacts c JOIN users p ON p.id = c.peer_id JOIN users ci ON ci.id = c.citizen_id"
        " WHERE c.citizen_id = ? OR c.peer_id = ? ORDER BY c.id",
        (user_id, user_id, user_id),
    )
    feedback = await db.fetchall(
        "SELECT rating, comment, created_at FROM feedback WHERE citizen_id = ? ORDER BY id",
        (user_id,),
    )
    escalations = await db.fetchall(
        "SELECT id, reason, created_at, acknowledged_at FROM escalations WHERE citizen_id = ?"
        " ORDER BY id",
        (user_id,),
    )
    handover = await db.fetchall(
        "SELECT note, status, created_at FROM handover_notes WHERE citizen_id = ? ORDER BY id",
        (user_id,),
    )
    wellbeing = await db.fetchall(
        "SELECT occasion, status, answers, score, offered_at, answered_at, talk_asked_at"
        " FROM wellbeing WHERE citizen_id = ? ORDER BY id",
        (user_id,),
    )
    recent = await db.fetchall(
        "SELECT r.message_id, r.sent_at, r.from_bot FROM recent_messages r"
        " JOIN users u ON u.telegram_id = r.chat_id WHERE u.id = ? ORDER BY r.message_id",
        (user_id,),
    )
    profile = await db.fetchone(
        "SELECT status, topics, languages, capacity, availability, away, away_until,"
        " approved_at, last_active_at, undertaking_version, undertaking_at"
        " FROM peer_profiles WHERE user_id = ?",
        (user_id,),
    )
    reports = await db.fetchall(
        "SELECT r.id, CASE WHEN r.citizen_id = ? THEN 'about you' ELSE 'made by you' END AS kind,"
        " CASE WHEN r.citizen_id = ? THEN p.pseudonym ELSE c.pseudonym END AS other_side,"
        " r.reason, r.note, r.status, r.created_at, r.decided_at, r.barred_until"
        " FROM reports r LEFT JOIN users p ON p.id = r.peer_id"
        " LEFT JOIN users c ON c.id = r.citizen_id"
        " WHERE r.citizen_id = ? OR r.peer_id = ? ORDER BY r.id",
        (user_id, user_id, user_id, user_id),
    )
    return {
        "person": dict(user),
        "requests": _rows(requests, *requests[0].keys()) if requests else [],
        "contacts": _rows(contacts, *contacts[0].keys()) if contacts else [],
        "feedback": _rows(feedback, *feedback[0].keys()) if feedback else [],
        "escalations": _rows(escalations, *escalations[0].keys()) if escalations else [],
        "handover_notes": _rows(handover, *handover[0].keys()) if handover else [],
        "wellbeing": _rows(wellbeing, *wellbeing[0].keys()) if wellbeing else [],
        "peer_profile": dict(profile) if profile else None,
        "reports": _rows(reports, *reports[0].keys()) if reports else [],
        "recent_message_ids": _rows(recent, *recent[0].keys()) if recent else [],
    }


async def erase(tx: Transaction, user_id: int, telegram_id: int, *, zone: ZoneInfo) -> None:
    """Delete every row about the person; rows that others need lose the link to them."""
    contact_ids = [
        row[0]
        for row in await tx.fetchall(
            "SELECT id FROM contacts WHERE citizen_id = ? OR peer_id = ?", (user_id, user_id)
        )
    ]
    for contact_id in contact_ids:
        await tx.execute("DELETE FROM relay_messages WHERE contact_id = ?", (contact_id,))
        await tx.execute(
            "UPDATE escalations SET contact_id = NULL, note = NULL WHERE contact_id = ?",
            (contact_id,),
        )
        await tx.execute(
            "UPDATE feedback SET contact_id = NULL WHERE contact_id = ?", (contact_id,)
        )
    await tx.execute(
        "UPDATE escalations SET note = NULL, request_id = NULL WHERE citizen_id = ?", (user_id,)
    )
    # The anonymous figures stay as they were (see bot/storage/statistics.py).
    own_requests = "SELECT id FROM requests WHERE citizen_id = ?"
    own_contacts = "SELECT id FROM contacts WHERE citizen_id = ? OR peer_id = ?"
    await stats.archive(tx, "feedback", "citizen_id = ?", (user_id,), zone=zone)
    await stats.archive(tx, "wellbeing", "citizen_id = ?", (user_id,), zone=zone)
    await stats.archive(
        tx, "checkins", f"contact_id IN ({own_contacts})", (user_id, user_id), zone=zone
    )
    await stats.archive(
        tx,
        "offers",
        f"peer_id = ? OR request_id IN ({own_requests})",
        (user_id, user_id),
        zone=zone,
    )
    await stats.archive(tx, "requests", "citizen_id = ?", (user_id,), zone=zone)
    await tx.execute("DELETE FROM feedback WHERE citizen_id = ?", (user_id,))
    await tx.execute("DELETE FROM handover_notes WHERE citizen_id = ?", (user_id,))
    await tx.execute("DELETE FROM wellbeing WHERE citizen_id = ?", (user_id,))
    await report_store.keep_after_erasure(tx, user_id, telegram_id)
    await tx.execute("UPDATE reports SET peer_id = NULL WHERE peer_id = ?", (user_id,))
    await tx.execute("DELETE FROM contacts WHERE citizen_id = ? OR peer_id = ?", (user_id, user_id))
    await tx.execute("DELETE FROM offers WHERE peer_id = ?", (user_id,))
    await tx.execute(f"DELETE FROM offers WHERE request_id IN ({own_requests})", (user_id,))
    await tx.execute("DELETE FROM requests WHERE citizen_id = ?", (user_id,))
    await tx.execute(
        "DELETE FROM relay_messages WHERE chat_id = ? OR other_chat_id = ?",
        (telegram_id, telegram_id),
    )
    await tx.execute("DELETE FROM outbox WHERE chat_id = ?", (telegram_id,))
    await tx.execute("DELETE FROM recent_messages WHERE chat_id = ?", (telegram_id,))
    await tx.execute("DELETE FROM command_menus WHERE chat_id = ?", (telegram_id,))
    await tx.execute("DELETE FROM peer_profiles WHERE user_id = ?", (user_id,))
    await tx.execute("DELETE FROM users WHERE id = ?", (user_id,))


async def purge_expired(
    tx: Transaction, before: datetime, relay_before: datetime, *, zone: ZoneInfo
) -> int:
    """Retention: closed cases older than `before`; relay mappings of contacts ended earlier."""
    cutoff, relay_cutoff = before.isoformat(), relay_before.isoformat()
    removed = await tx.execute_rowcount(
        "DELETE FROM relay_messages WHERE contact_id IN (SELECT id FROM contacts"
        " WHERE status = 'ended' AND ended_at <= ?)",
        (relay_cutoff,),
    )
    await tx.execute(
        "UPDATE feedback SET comment = NULL, contact_id = NULL, citizen_id = NULL"
        " WHERE created_at <= ?",
        (cutoff,),
    )
    old_escalations = "status = 'acknowledged' AND created_at <= ?"
    await stats.archive(tx, "escalations", old_escalations, (cutoff,), zone=zone)
    removed += await tx.execute_rowcount(
        f"DELETE FROM escalations WHERE {old_escalations}", (cutoff,)
    )
    old_contacts = "SELECT id FROM contacts WHERE status = 'ended' AND ended_at <= ?"
    await stats.archive(tx, "checkins", f"contact_id IN ({old_contacts})", (cutoff,), zone=zone)
    await tx.execute(
        f"UPDATE escalations SET contact_id = NULL WHERE contact_id IN ({old_contacts})",
        (cutoff,),
    )
    removed += await tx.execute_rowcount(
        "DELETE FROM contacts WHERE status = 'ended' AND ended_at <= ?", (cutoff,)
    )
    old_requests = (
        "SELECT id FROM requests WHERE status IN ('closed', 'cancelled') AND closed_at <= ?"
        " AND id NOT IN (SELECT request_id FROM contacts WHERE request_id IS NOT NULL)"
    )
    await tx.execute(
        f"UPDATE escalations SET request_id = NULL WHERE request_id IN ({old_requests})",
        (cutoff,),
    )
    old_wellbeing = f"request_id IS NULL OR request_id IN ({old_requests})"
    await stats.archive(tx, "wellbeing", old_wellbeing, (cutoff,), zone=zone)
    removed += await tx.execute_rowcount(f"DELETE FROM wellbeing WHERE {old_wellbeing}", (cutoff,))
    await stats.archive(tx, "offers", f"request_id IN ({old_requests})", (cutoff,), zone=zone)
    await stats.archive(tx, "requests", f"id IN ({old_requests})", (cutoff,), zone=zone)
    removed += await tx.execute_rowcount(
        f"DELETE FROM requests WHERE id IN ({old_requests})",
        (cutoff,),
    )
    removed += await tx.execute_rowcount(
        "DELETE FROM outbox WHERE status != 'pending' AND created_at <= ?", (cutoff,)
    )
    removed += await tx.execute_rowcount("DELETE FROM broadcasts WHERE created_at <= ?", (cutoff,))
    removed += await tx.execute_rowcount(
        "DELETE FROM reports WHERE created_at <= ? AND (barred_until IS NULL OR barred_until <= ?)",
        (cutoff, cutoff),
    )
    await tx.execute("UPDATE users SET barred_until = NULL WHERE barred_until <= ?", (cutoff,))
    removed += await tx.execute_rowcount(
        "DELETE FROM alarms WHERE status != 'pending' AND created_at <= ?", (cutoff,)
    )
    old_citizens = (
        "SELECT id FROM users WHERE role = 'citizen' AND created_at <= ?"
        " AND barred_until IS NULL"
        " AND id NOT IN (SELECT citizen_id FROM requests)"
        " AND id NOT IN (SELECT citizen_id FROM contacts)"
        " AND id NOT IN (SELECT citizen_id FROM escalations WHERE citizen_id IS NOT NULL"
        "   AND status = 'open')"
    )
    # Their remaining feedback and questionnaires go with them (ON DELETE CASCADE).
    await stats.archive(tx, "feedback", f"citizen_id IN ({old_citizens})", (cutoff,), zone=zone)
    await stats.archive(tx, "wellbeing", f"citizen_id IN ({old_citizens})", (cutoff,), zone=zone)
    removed += await tx.execute_rowcount(
        f"DELETE FROM users WHERE id IN ({old_citizens})", (cutoff,)
    )
    return removed
