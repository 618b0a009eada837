"""Everything stored about one person: gathered for /mydata, erased for /delete, aged out.

Kept in one module so that a new table with personal data has one obvious place to be added.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.storage import communities as community_store
from bot.storage import reports as report_store
from bot.storage import statistics as stats
from bot.storage import web_chat as web_chat_store
from bot.storage.database import Database, Transaction
from bot.storage.inventory import INVENTORY


async def export(db: Database | Transaction, user_id: int) -> dict[str, Any]:
    """The person's rows of every table the inventory lists, other people by pseudonym only.

    Generated from `bot.storage.inventory`, so a column described there is either in the copy
    or named under ``not_included`` with the reason (a test keeps the two equal)."""
    person = await db.fetchone("SELECT telegram_id FROM users WHERE id = ?", (user_id,))
    if person is None:
        return {}
    keys = {"user": user_id, "telegram": person["telegram_id"]}
    data: dict[str, Any] = {}
    for table in INVENTORY:
        if table.mine is None:
            continue
        shown = [
            f"{table.shown_as.get(column.name, column.name)} AS {column.name}"
            for column in table.columns
            if column.name not in table.withheld
        ]
        names = re.findall(r":(user|telegram)\b", table.mine)
        rows = await db.fetchall(
            f"SELECT {', '.join(shown)} FROM {table.name}"
            f" WHERE {re.sub(r':(user|telegram)', '?', table.mine)}"
            f" ORDER BY {table.columns[0].name}",
            tuple(keys[name] for name in names),
        )
        data[table.name] = [dict(row) for row in rows]
    return data


def not_included() -> dict[str, str]:
    """``table`` or ``table.column`` -> why it is not in the copy (message ids, untranslated)."""
    reasons: dict[str, str] = {}
    for table in INVENTORY:
        if table.mine is None:
            assert table.not_in_copy is not None, table.name
            reasons[table.name] = table.not_in_copy
        for column, reason in table.withheld.items():
            reasons[f"{table.name}.{column}"] = reason
    return reasons


async def words_of(tx: Transaction, user_id: int) -> list[str]:
    """Every free text stored about or by the person (their notes, comments, a peer's note on
    them), so that an erasure can take them out of messages not yet sent."""
    sql = (
        "SELECT note FROM requests WHERE citizen_id = :u"
        " UNION SELECT note FROM checkins WHERE contact_id IN"
        "  (SELECT id FROM contacts WHERE citizen_id = :u OR peer_id = :u)"
        " UNION SELECT comment FROM feedback WHERE citizen_id = :u"
        " UNION SELECT note FROM handover_notes WHERE citizen_id = :u OR from_peer_id = :u"
        " UNION SELECT note FROM reports WHERE citizen_id = :u OR peer_id = :u"
        " UNION SELECT note FROM escalations WHERE citizen_id = :u"
    )
    rows = await tx.fetchall(sql.replace(":u", "?"), (user_id,) * sql.count(":u"))
    return [row[0] for row in rows if row[0]]


# Outbox purposes whose ref_id points at a row of this kind (see the services that send them).
CAUSES: dict[str, tuple[str, ...]] = {
    "offers": ("offer", "offer-closed"),
    "checkins": ("reminder", "checkin", "checkin-unanswered", "checkin-answer"),
    "escalations": ("escalation", "escalation-note", "escalation-ack"),
    "reports": ("report", "report-note", "report-decided"),
    "handover_notes": ("handover",),
    "wellbeing": ("wellbeing", "wellbeing-talk"),
}


async def causes_of(tx: Transaction, user_id: int) -> set[tuple[str, int]]:
    """(outbox purpose, ref_id) of every message sent because of something about the person:
    their offers, check-ins, urgent alerts, reports, handover notes and questionnaires."""
    sql = {
        "offers": "SELECT id FROM offers WHERE peer_id = :u"
        " OR request_id IN (SELECT id FROM requests WHERE citizen_id = :u)",
        "checkins": "SELECT id FROM checkins WHERE contact_id IN"
        " (SELECT id FROM contacts WHERE citizen_id = :u OR peer_id = :u)",
        "escalations": "SELECT id FROM escalations WHERE citizen_id = :u",
        "reports": "SELECT id FROM reports WHERE citizen_id = :u OR peer_id = :u",
        "handover_notes": "SELECT id FROM handover_notes WHERE citizen_id = :u"
        " OR from_peer_id = :u",
        "wellbeing": "SELECT id FROM wellbeing WHERE citizen_id = :u",
    }
    causes: set[tuple[str, int]] = set()
    for kind, query in sql.items():
        rows = await tx.fetchall(query.replace(":u", "?"), (user_id,) * query.count(":u"))
        causes |= {(purpose, row[0]) for row in rows for purpose in CAUSES[kind]}
    return causes


async def report_mark_until(tx: Transaction, user_id: int, retention_days: int) -> datetime | None:
    """Until when a keyed mark outlives this person's erasure (a peer reported them): the
    retention period after the report, or after the bar it led to, whichever ends later."""
    row = await tx.fetchone(
        "SELECT MAX(MAX(created_at, COALESCE(barred_until, created_at))) FROM reports"
        " WHERE citizen_id = ? AND peer_id IS NOT NULL",
        (user_id,),
    )
    if row is None or row[0] is None:
        return None
    return datetime.fromisoformat(row[0]) + timedelta(days=retention_days)


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
    await community_store.erase(tx, user_id)
    await web_chat_store.erase_transcript(tx, telegram_id)
    await report_store.keep_after_erasure(tx, user_id, telegram_id)
    await tx.execute("UPDATE reports SET peer_id = NULL WHERE peer_id = ?", (user_id,))
    await community_store.keep_pending(tx, own_contacts, (user_id, user_id))
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
    await community_store.keep_pending(tx, old_contacts, (cutoff,))
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
    removed += await community_store.purge_expired(tx, before)
    old_citizens = (
        "SELECT id FROM users WHERE role = 'citizen' AND created_at <= ?"
        " AND barred_until IS NULL"
        " AND id NOT IN (SELECT citizen_id FROM requests)"
        " AND id NOT IN (SELECT citizen_id FROM contacts)"
        # What is left of these after the purge above is still theirs to keep: a saved
        # activity and a follow-up still to come do not go with an old citizen row.
        " AND id NOT IN (SELECT citizen_id FROM community_saved)"
        " AND id NOT IN (SELECT citizen_id FROM community_followups)"
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
