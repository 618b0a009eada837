"""Messages that must arrive: written with the event that causes them, sent by the dispatcher."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from bot.storage.database import Database, Row, Transaction


class Priority(IntEnum):
    URGENT = 0
    NORMAL = 1
    BULK = 2


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    chat_id: int
    method: str
    params: dict[str, Any]
    priority: Priority
    purpose: str
    ref_id: int | None
    attempts: int
    # How often sending was started: more than `attempts` means a try whose answer was lost
    # (a crash or a time-out after Telegram may have accepted it).
    tried: int = 0
    # Added to a resent message's text when an earlier try may have arrived.
    repeat_note: str | None = None

    def may_repeat(self) -> bool:
        return self.repeat_note is not None and self.tried > 0


def _message(row: Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        chat_id=row["chat_id"],
        method=row["method"],
        params=json.loads(row["params"]),
        priority=Priority(row["priority"]),
        purpose=row["purpose"],
        ref_id=row["ref_id"],
        attempts=row["attempts"],
        tried=row["tried"],
        repeat_note=row["repeat_note"],
    )


async def enqueue(
    tx: Transaction,
    *,
    chat_id: int,
    method: str,
    params: dict[str, Any],
    purpose: str,
    now: datetime,
    priority: Priority = Priority.NORMAL,
    ref_id: int | None = None,
    repeat_note: str | None = None,
) -> int:
    """Add a message inside the caller's transaction, so it exists exactly when its cause does.

    `repeat_note`: a line added to the text if it is sent again after a try whose answer was
    lost; such a row also counts its tries before each send (one write more, so only for rows
    that need it)."""
    return await tx.execute(
        "INSERT INTO outbox (chat_id, method, params, priority, purpose, ref_id, not_before,"
        " created_at, repeat_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            chat_id,
            method,
            json.dumps(params, ensure_ascii=False),
            int(priority),
            purpose,
            ref_id,
            now.isoformat(),
            now.isoformat(),
            repeat_note,
        ),
    )


async def mark_tried(db: Database, message_id: int) -> None:
    """Committed before the send, so a crash after Telegram accepted it is known later."""
    await db.execute("UPDATE outbox SET tried = tried + 1 WHERE id = ?", (message_id,))


async def due(db: Database, now: datetime, limit: int = 50) -> list[OutboxMessage]:
    """Pending messages whose time has come, urgent first, then oldest."""
    rows = await db.fetchall(
        "SELECT * FROM outbox WHERE status = 'pending' AND not_before <= ?"
        " ORDER BY priority, not_before, id LIMIT ?",
        (now.isoformat(), limit),
    )
    return [_message(row) for row in rows]


async def next_due_at(db: Database) -> datetime | None:
    row = await db.fetchone("SELECT MIN(not_before) FROM outbox WHERE status = 'pending'")
    return datetime.fromisoformat(row[0]) if row and row[0] else None


async def mark_sent(
    db: Database, message_id: int, telegram_message_id: int | None, now: datetime
) -> None:
    # Once delivered the text is no longer needed here: keep only what edits need (the id).
    await db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, params = '{}',"
        " attempts = attempts + 1 WHERE id = ?",
        (now.isoformat(), telegram_message_id, message_id),
    )


async def postpone(db: Database, message_id: int, not_before: datetime) -> None:
    await db.execute(
        "UPDATE outbox SET not_before = ?, attempts = attempts + 1 WHERE id = ?",
        (not_before.isoformat(), message_id),
    )


async def give_up(db: Database, message_id: int, status: str) -> None:
    """Stop trying: ``unreachable`` (blocked the bot) or ``failed`` (Telegram refused it). The
    text is not kept: it will not be sent again."""
    await db.execute(
        "UPDATE outbox SET status = ?, params = '{}', attempts = attempts + 1 WHERE id = ?",
        (status, message_id),
    )


async def move_chat(db: Database, old_chat_id: int, new_chat_id: int) -> None:
    """Follow a group that became a supergroup."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE outbox SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
        )
        rows = await tx.fetchall(
            "SELECT id, params FROM outbox WHERE chat_id = ? AND status = 'pending'",
            (new_chat_id,),
        )
        for row in rows:
            params = json.loads(row["params"])
            params["chat_id"] = new_chat_id
            await tx.execute(
                "UPDATE outbox SET params = ? WHERE id = ?",
                (json.dumps(params, ensure_ascii=False), row["id"]),
            )


async def sent_messages(
    db: Database | Transaction, purpose: str, ref_id: int
) -> list[tuple[int, int]]:
    """(chat_id, message_id) of what was delivered for one cause, e.g. to edit it later."""
    rows = await db.fetchall(
        "SELECT chat_id, message_id FROM outbox WHERE purpose = ? AND ref_id = ?"
        " AND status = 'sent' AND message_id IS NOT NULL",
        (purpose, ref_id),
    )
    return [(row["chat_id"], row["message_id"]) for row in rows]


async def cancel_pending(tx: Transaction, purpose: str, ref_id: int) -> int:
    """Do not send what has not gone yet for one cause (e.g. an offer that was withdrawn)."""
    return await tx.execute_rowcount(
        "UPDATE outbox SET status = 'cancelled', params = '{}' WHERE purpose = ? AND ref_id = ?"
        " AND status = 'pending'",
        (purpose, ref_id),
    )


async def unreachable_chats(db: Database | Transaction, chats: list[int]) -> set[int]:
    """Chats whose latest finished message Telegram refused as undeliverable (blocked the bot,
    never started it, chat not found): the outbox is where that is learnt."""
    if not chats:
        return set()
    marks = ",".join("?" * len(chats))
    rows = await db.fetchall(
        f"SELECT chat_id, status FROM outbox WHERE id IN (SELECT MAX(id) FROM outbox"
        f" WHERE chat_id IN ({marks}) AND status IN ('sent', 'unreachable') GROUP BY chat_id)",
        tuple(chats),
    )
    return {row["chat_id"] for row in rows if row["status"] == "unreachable"}


async def delivery_state(db: Database | Transaction, purpose: str, ref_id: int) -> set[str]:
    """The statuses of everything sent for one cause (e.g. one escalation's alerts)."""
    rows = await db.fetchall(
        "SELECT DISTINCT status FROM outbox WHERE purpose = ? AND ref_id = ?", (purpose, ref_id)
    )
    return {row[0] for row in rows}


# Only what a person reads is searched and changed, never a button's callback data.
_READ = ("text", "caption")
MIN_WORDS = 4  # shorter free texts ("ok") carry nothing and would mangle an alert's own words


def _replace_in(params: dict[str, Any], texts: list[str], replacement: str) -> dict[str, Any]:
    """The parameters with each of `texts` replaced in what the recipient reads."""
    changed = dict(params)
    for key in _READ:
        if isinstance(changed.get(key), str):
            for text in texts:
                changed[key] = changed[key].replace(text, replacement)
    return changed


async def erase_words(
    tx: Transaction, causes: set[tuple[str, int]], words: list[str], name: str | None
) -> None:
    """An erasure: no row keeps a person's words, and what was about them is never sent.

    Rows already finished (sent, given up, cancelled) keep no text at all. A pending row sent
    because of something about them (`causes`: purpose and ref_id) is cancelled, except an
    urgent one (an alert to coordinators), which still goes with their `words` taken out. Any
    other pending row that names them by `name` (their pseudonym) goes with "-" instead."""
    await tx.execute("UPDATE outbox SET params = '{}' WHERE status != 'pending' AND params != '{}'")
    needles = [w for w in words if len(w) >= MIN_WORDS]
    for row in await tx.fetchall(
        "SELECT id, purpose, ref_id, params, priority FROM outbox WHERE status = 'pending'"
    ):
        about_them = (row["purpose"], row["ref_id"]) in causes
        if about_them and row["priority"] != Priority.URGENT:
            await tx.execute(
                "UPDATE outbox SET status = 'cancelled', params = '{}' WHERE id = ?", (row["id"],)
            )
            continue
        params = json.loads(row["params"])
        redacted = _replace_in(params, needles, "…") if about_them else params
        if name:
            redacted = _replace_in(redacted, [name], "-")
        if redacted != params:
            await tx.execute(
                "UPDATE outbox SET params = ? WHERE id = ?",
                (json.dumps(redacted, ensure_ascii=False), row["id"]),
            )


async def pending_count(db: Database) -> int:
    row = await db.fetchone("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
    return int(row[0]) if row else 0
