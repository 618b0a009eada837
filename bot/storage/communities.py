"""Communities and activities: what a citizen saved, the follow-ups they agreed to, and the
anonymous counts behind the statistics.

The list itself lives in the configuration (`bot.config.Community`); rows refer to an entry by
its key, so an entry removed from the list leaves rows that the service treats as stale.
A follow-up keeps which activity and when to ask only until it is answered; then only the
answer stays (with the contact it came from, so "contacts that led to trying" counts each
contact once), or nothing at all when it came from no contact. The counts have no link to
anyone: a day, an activity key (or "" for the overall figures), an event and a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.storage.database import Database, Row, Transaction

Db = Database | Transaction
ANSWERS = ("yes", "not_yet", "not_for_me")


@dataclass(frozen=True)
class Saved:
    id: int
    citizen_id: int
    key: str
    saved_at: datetime


@dataclass(frozen=True)
class FollowUp:
    id: int
    citizen_id: int
    contact_id: int | None
    key: str | None
    due_at: datetime
    asked_at: datetime | None
    answer: str | None
    citizen_chat: int
    language: str | None


def _saved(row: Row) -> Saved:
    return Saved(
        row["id"], row["citizen_id"], row["community_key"], datetime.fromisoformat(row["saved_at"])
    )


def _followup(row: Row) -> FollowUp:
    asked = row["asked_at"]
    return FollowUp(
        id=row["id"],
        citizen_id=row["citizen_id"],
        contact_id=row["contact_id"],
        key=row["community_key"],
        due_at=datetime.fromisoformat(row["due_at"]),
        asked_at=datetime.fromisoformat(asked) if asked else None,
        answer=row["answer"],
        citizen_chat=row["telegram_id"],
        language=row["language"],
    )


FOLLOWUP_SQL = """
    SELECT f.*, u.telegram_id, u.language FROM community_followups f
    JOIN users u ON u.id = f.citizen_id
"""


async def saved_of(db: Db, citizen_id: int) -> list[Saved]:
    rows = await db.fetchall(
        "SELECT * FROM community_saved WHERE citizen_id = ? ORDER BY id", (citizen_id,)
    )
    return [_saved(row) for row in rows]


async def saved_item(db: Db, saved_id: int) -> Saved | None:
    row = await db.fetchone("SELECT * FROM community_saved WHERE id = ?", (saved_id,))
    return _saved(row) if row else None


async def save(tx: Transaction, citizen_id: int, key: str, now: datetime) -> bool:
    """Keep `key` on the citizen's list; False when it was there already."""
    added = await tx.execute_rowcount(
        "INSERT OR IGNORE INTO community_saved (citizen_id, community_key, saved_at)"
        " VALUES (?, ?, ?)",
        (citizen_id, key, now.isoformat()),
    )
    return added > 0


async def remove_saved(tx: Transaction, saved_id: int, citizen_id: int) -> bool:
    removed = await tx.execute_rowcount(
        "DELETE FROM community_saved WHERE id = ? AND citizen_id = ?", (saved_id, citizen_id)
    )
    return removed > 0


async def followup_waiting(db: Db, citizen_id: int, key: str) -> bool:
    """Whether a follow-up about `key` is planned and not yet asked (one asked and left
    unanswered is not asked again, so it does not stand in the way of a new one)."""
    row = await db.fetchone(
        "SELECT 1 FROM community_followups WHERE citizen_id = ? AND community_key = ?"
        " AND asked_at IS NULL",
        (citizen_id, key),
    )
    return row is not None


async def add_followup(
    tx: Transaction,
    citizen_id: int,
    contact_id: int | None,
    key: str,
    now: datetime,
    due_at: datetime,
) -> bool:
    """Plan a follow-up (the citizen agreed); none when one about `key` is still to be asked."""
    if await followup_waiting(tx, citizen_id, key):
        return False
    await tx.execute(
        "INSERT INTO community_followups (citizen_id, contact_id, community_key, created_at,"
        " due_at) VALUES (?, ?, ?, ?, ?)",
        (citizen_id, contact_id, key, now.isoformat(), due_at.isoformat()),
    )
    return True


async def followup(db: Db, followup_id: int) -> FollowUp | None:
    row = await db.fetchone(f"{FOLLOWUP_SQL} WHERE f.id = ?", (followup_id,))
    return _followup(row) if row else None


async def due_followups(db: Db, now: datetime, limit: int = 100) -> list[FollowUp]:
    rows = await db.fetchall(
        f"{FOLLOWUP_SQL} WHERE f.asked_at IS NULL AND f.due_at <= ? AND u.unreachable_at IS NULL"
        " ORDER BY f.due_at LIMIT ?",
        (now.isoformat(), limit),
    )
    return [_followup(row) for row in rows]


async def mark_asked(tx: Transaction, followup_id: int, now: datetime) -> bool:
    changed = await tx.execute_rowcount(
        "UPDATE community_followups SET asked_at = ? WHERE id = ? AND asked_at IS NULL",
        (now.isoformat(), followup_id),
    )
    return changed > 0


def _not_in(keys: tuple[str, ...]) -> str:
    return f"community_key NOT IN ({', '.join('?' * len(keys))})" if keys else "1"


async def any_saved_not_in(db: Db, keys: tuple[str, ...]) -> bool:
    """Whether anyone saved an activity the list no longer has (a read, for the sweep)."""
    row = await db.fetchone(f"SELECT 1 FROM community_saved WHERE {_not_in(keys)} LIMIT 1", keys)
    return row is not None


async def drop_saved_not_in(tx: Transaction, keys: tuple[str, ...]) -> int:
    """Saved activities the list no longer has: nobody can see or remove them any more."""
    return await tx.execute_rowcount(f"DELETE FROM community_saved WHERE {_not_in(keys)}", keys)


async def drop_followup(tx: Transaction, followup_id: int) -> None:
    await tx.execute("DELETE FROM community_followups WHERE id = ?", (followup_id,))


async def contact_tried_before(tx: Transaction, contact_id: int) -> bool:
    """Whether an earlier answer from the same contact was already "yes"."""
    row = await tx.fetchone(
        "SELECT 1 FROM community_followups WHERE contact_id = ? AND answer = 'yes'",
        (contact_id,),
    )
    return row is not None


async def record_answer(
    tx: Transaction, followup_id: int, citizen_id: int, answer: str, now: datetime
) -> bool:
    """Keep only the answer: which activity it was, and when to ask, go. An answer that came
    from no contact is not kept at all (it lives on in the anonymous counts only)."""
    assert answer in ANSWERS
    changed = await tx.execute_rowcount(
        "UPDATE community_followups SET answer = ?, answered_at = ?, community_key = NULL"
        " WHERE id = ? AND citizen_id = ? AND asked_at IS NOT NULL AND answer IS NULL",
        (answer, now.isoformat(), followup_id, citizen_id),
    )
    await tx.execute(
        "DELETE FROM community_followups"
        " WHERE id = ? AND contact_id IS NULL AND answer IS NOT NULL",
        (followup_id,),
    )
    return changed > 0


async def latest_topic(db: Db, citizen_id: int) -> str | None:
    """The topic of the citizen's latest request, to choose activities that fit."""
    row = await db.fetchone(
        "SELECT topic FROM requests WHERE citizen_id = ? AND topic IS NOT NULL"
        " ORDER BY id DESC LIMIT 1",
        (citizen_id,),
    )
    return row[0] if row else None


async def add_count(tx: Transaction, day: date, key: str, event: str) -> None:
    await tx.execute(
        "INSERT INTO community_counts (day, community_key, event, n) VALUES (?, ?, ?, 1)"
        " ON CONFLICT (day, community_key, event) DO UPDATE SET n = n + 1",
        (day.isoformat(), key, event),
    )


async def counts(db: Db, first: date, last: date) -> list[tuple[str, str, int]]:
    """(activity key or "", event, total) over the local days `first` to `last`."""
    rows = await db.fetchall(
        "SELECT community_key, event, SUM(n) FROM community_counts WHERE day >= ? AND day <= ?"
        " GROUP BY community_key, event",
        (first.isoformat(), last.isoformat()),
    )
    return [(row[0], row[1], int(row[2])) for row in rows]


async def keep_pending(tx: Transaction, contacts_sql: str, params: tuple[object, ...]) -> None:
    """Before the contacts `contacts_sql` selects are deleted (one side's erasure, retention):
    a follow-up not yet answered is the citizen's own wish and loses only its link to the
    contact, instead of going with it (ON DELETE CASCADE); answered ones go with the contact."""
    await tx.execute(
        "UPDATE community_followups SET contact_id = NULL"
        f" WHERE answer IS NULL AND contact_id IN ({contacts_sql})",
        params,
    )


async def erase(tx: Transaction, citizen_id: int) -> None:
    """Everything kept about one citizen here (the counts hold nothing of theirs)."""
    await tx.execute("DELETE FROM community_saved WHERE citizen_id = ?", (citizen_id,))
    await tx.execute("DELETE FROM community_followups WHERE citizen_id = ?", (citizen_id,))


async def purge_expired(tx: Transaction, before: datetime) -> int:
    """Retention: saved activities saved before `before`; a follow-up once its last step (due,
    asked, answered) is that old, so a short retention period neither cancels a question the
    citizen agreed to nor takes it away before they could answer."""
    cutoff = before.isoformat()
    removed = await tx.execute_rowcount(
        "DELETE FROM community_saved WHERE saved_at <= ?", (cutoff,)
    )
    removed += await tx.execute_rowcount(
        "DELETE FROM community_followups WHERE COALESCE(answered_at, asked_at, due_at) <= ?",
        (cutoff,),
    )
    return removed
