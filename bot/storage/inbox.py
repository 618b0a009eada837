"""Raw updates kept from arrival until their handlers finished, so a crash never loses one.

Three tables: ``inbox`` (updates not yet handled), ``inbox_seen`` (ids of updates already
handled, written in the same group commit that removes them from the inbox, kept a day and at most
`SEEN_KEEP` rows, so that Telegram delivering an update twice does not handle it twice), and
``inbox_set_aside`` (updates that could not be read or handled: their id, the names of their
fields and the kind of error, never a value, so an operator can see what arrived).

Updates are stored without names (`without_names`), and removed as soon as they are handled, or
at once when the person who sent them erases their data (`forget_chat`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.storage.database import Database, Transaction
from bot.storage.group_commit import GroupWriter

SEEN_KEEP = 10_000  # handled ids remembered at most (Telegram repeats within minutes)
SEEN_FOR = timedelta(days=1)
_FIELD = re.compile(r"^[a-z_]{1,40}$")  # Telegram's field names; anything else is not kept
MAX_FIELDS = 40


@dataclass(frozen=True)
class Unfinished:
    update_id: int
    payload: str
    tries: int


async def add_updates(db: Database, updates: list[dict[str, Any]], now: datetime) -> None:
    """Store a batch of updates in one statement (one round trip). Outside a transaction its rows
    commit one by one; if one fails, the poller's offset does not move, the batch is fetched
    again, and the ids already stored are ignored."""
    await db.executemany(
        "INSERT OR IGNORE INTO inbox (update_id, chat_id, payload, received_at)"
        " VALUES (?, ?, ?, ?)",
        [
            (
                update["update_id"],
                chat_of(update),
                json.dumps(without_names(update)),
                now.isoformat(),
            )
            for update in updates
        ],
    )


async def add_update(tx: Transaction, update: dict[str, Any], now: datetime) -> None:
    """Store one update inside the caller's transaction (the web chat stores it together with
    the message it carries, so neither exists without the other)."""
    await tx.execute(
        "INSERT INTO inbox (update_id, chat_id, payload, received_at) VALUES (?, ?, ?, ?)",
        (update["update_id"], chat_of(update), json.dumps(without_names(update)), now.isoformat()),
    )


# Telegram sends names with every update; the bot addresses people by pseudonym and never needs
# them, so they are not written down. `first_name` stays as "" because PTB requires the field.
_DROPPED = ("last_name", "username", "usernames", "active_usernames")
_BLANKED = ("first_name", "phone_number", "sender_user_name")


def without_names(value: Any) -> Any:
    """A copy of a raw update with every name, username and phone number taken out of every
    user, chat and contact in it (ids, language_code and message content stay: handling needs
    them)."""
    if isinstance(value, list):
        return [without_names(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: "" if key in _BLANKED else without_names(item)
        for key, item in value.items()
        if key not in _DROPPED
    }


async def unfinished(db: Database) -> list[dict[str, Any]]:
    rows = await db.fetchall("SELECT payload FROM inbox ORDER BY update_id")
    return [json.loads(row["payload"]) for row in rows]


async def count_a_try(db: Database) -> list[Unfinished]:
    """At start-up: every update still here was tried once more and did not finish."""
    await db.execute("UPDATE inbox SET tries = tries + 1")
    rows = await db.fetchall("SELECT update_id, payload, tries FROM inbox ORDER BY update_id")
    return [Unfinished(row["update_id"], row["payload"], row["tries"]) for row in rows]


async def not_tried(db: Database, update_ids: list[int]) -> None:
    """A clean stop never started these: the try counted for them at start-up did not happen,
    so restarts with a backlog never set an innocent update aside."""
    if update_ids:
        await db.executemany(
            "UPDATE inbox SET tries = tries - 1 WHERE update_id = ? AND tries > 0",
            [(update_id,) for update_id in update_ids],
        )


async def set_aside(
    db: Database, update_id: int, fields: str, error: str, tries: int, now: datetime
) -> None:
    """Keep what an operator needs to know about a failed update, drop the update itself."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT OR IGNORE INTO inbox_set_aside (update_id, fields, error, tries, set_aside_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (update_id, fields, error, tries, now.isoformat()),
        )
        await tx.execute("DELETE FROM inbox WHERE update_id = ?", (update_id,))


async def set_aside_count(db: Database) -> int:
    row = await db.fetchone("SELECT COUNT(*) FROM inbox_set_aside")
    return int(row[0]) if row else 0


async def known_ids(db: Database) -> list[int]:
    """Ids that must not be handled again: unfinished, handled recently, or set aside."""
    rows = await db.fetchall(
        "SELECT update_id FROM inbox UNION SELECT update_id FROM inbox_seen"
        " UNION SELECT update_id FROM inbox_set_aside"
    )
    return [row[0] for row in rows]


def finish_later(writer: GroupWriter, update_id: int, now: datetime) -> None:
    """Forget the update once handled (the bot keeps no message text) but remember its id, in
    the next group commit (a crash before it means handling again: at least once)."""
    writer.add("DELETE FROM inbox WHERE update_id = ?", (update_id,))
    writer.add(
        "INSERT OR IGNORE INTO inbox_seen (update_id, seen_at) VALUES (?, ?)",
        (update_id, now.isoformat()),
    )


async def prune_seen(db: Database, now: datetime) -> None:
    """Remember handled ids for a day, and never more than `SEEN_KEEP` of them."""
    await db.execute(
        "DELETE FROM inbox_seen WHERE seen_at < ? OR seen_at <= (SELECT seen_at FROM inbox_seen"
        " ORDER BY seen_at DESC LIMIT 1 OFFSET ?)",
        ((now - SEEN_FOR).isoformat(), SEEN_KEEP),
    )


async def forget_chat(tx: Transaction, chat_id: int) -> None:
    """An erasure: this chat's updates, the one being handled included, are not kept."""
    await tx.execute("DELETE FROM inbox WHERE chat_id = ?", (chat_id,))


async def last_update_id(db: Database) -> int | None:
    """The highest id received from Telegram, handled or not: the next ``getUpdates`` starts
    above it (the web chat's updates have negative ids and do not count)."""
    row = await db.fetchone(
        "SELECT MAX(m) FROM (SELECT MAX(update_id) AS m FROM inbox WHERE update_id >= 0"
        " UNION ALL SELECT MAX(update_id) FROM inbox_seen WHERE update_id >= 0"
        " UNION ALL SELECT MAX(update_id) FROM inbox_set_aside WHERE update_id >= 0)"
    )
    return row[0] if row and row[0] is not None else None


def field_names(raw: Any) -> str:
    """The field names of an update and of its content, e.g. ``message{chat,text}``: enough to
    see what was malformed, without any value (a name that is not Telegram-like is dropped)."""
    if not isinstance(raw, dict):
        return f"<{type(raw).__name__}>"
    parts = []
    for key, value in list(raw.items())[:MAX_FIELDS]:
        if not isinstance(key, str) or not _FIELD.match(key):
            parts.append("?")
            continue
        if isinstance(value, dict):
            inner = [k if isinstance(k, str) and _FIELD.match(k) else "?" for k in value]
            parts.append(f"{key}{{{','.join(sorted(inner)[:MAX_FIELDS])}}}")
        elif isinstance(value, list | type(None)):
            parts.append(f"{key}<{type(value).__name__}>")
        else:
            parts.append(key)
    return ",".join(parts)


def error_name(exc: BaseException) -> str:
    """The kind of error, plus the missing field for a KeyError (a field name, not a value)."""
    name = type(exc).__name__
    key = exc.args[0] if isinstance(exc, KeyError) and exc.args else None
    if isinstance(key, str) and _FIELD.match(key):
        return f"{name}: {key}"
    return name


def chat_of(update: dict[str, Any]) -> int | None:
    for key in ("message", "edited_message", "my_chat_member"):
        content = update.get(key)
        if isinstance(content, dict):
            chat = content.get("chat")
            chat_id = chat.get("id") if isinstance(chat, dict) else None
            return chat_id if is_sql_int(chat_id) else None
    query = update.get("callback_query")
    if isinstance(query, dict):
        sender = query.get("from")
        user_id = sender.get("id") if isinstance(sender, dict) else None
        return user_id if is_sql_int(user_id) else None
    return None


def is_sql_int(value: Any) -> bool:
    """A whole number SQLite can store (not a bool, not beyond 64 bits)."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
