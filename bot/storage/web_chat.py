"""The web chat's conversations: one row per device, and its transcript.

A web conversation is, to the rest of the bot, a private chat with a reserved chat id
(`bot.domain.WEB_CHAT_BASE`); here is what Telegram would otherwise keep for it: the messages
in it (the bot's and the person's, numbered per chat as Telegram numbers them) and a change
counter (`seq`) that lets a browser ask for "everything since". The browser's secret is kept
only as a SHA-256 hash; no address, browser name or time of day beyond the last visit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Database, Row, Transaction

Db = Database | Transaction


@dataclass(frozen=True)
class Session:
    chat_id: int
    language: str
    seen_at: datetime
    push: dict[str, Any] | None
    seq: int


@dataclass(frozen=True)
class WebMessage:
    chat_id: int
    message_id: int
    seq: int
    from_bot: bool
    text: str
    entities: list[dict[str, Any]]
    markup: dict[str, Any] | None
    file_name: str | None
    sent_at: datetime
    deleted: bool


@dataclass(frozen=True)
class Numbered:
    """What a new message or change got: its message id and the chat's new change number."""

    message_id: int
    seq: int


def _session(row: Row) -> Session:
    push = row["push_subscription"]
    return Session(
        chat_id=row["chat_id"],
        language=row["language"],
        seen_at=datetime.fromisoformat(row["seen_at"]),
        push=json.loads(push) if push else None,
        seq=row["seq"],
    )


def _message(row: Row) -> WebMessage:
    markup = row["reply_markup"]
    return WebMessage(
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        seq=row["seq"],
        from_bot=bool(row["from_bot"]),
        text=row["text"],
        entities=json.loads(row["entities"]) if row["entities"] else [],
        markup=json.loads(markup) if markup else None,
        file_name=row["file_name"],
        sent_at=datetime.fromisoformat(row["sent_at"]),
        deleted=bool(row["deleted"]),
    )


_SESSION = "SELECT chat_id, language, seen_at, push_subscription, seq FROM web_sessions"
_MESSAGE = (
    "SELECT chat_id, message_id, seq, from_bot, text, entities, reply_markup, file_name,"
    " sent_at, deleted FROM web_messages"
)


async def create_session(
    tx: Transaction, chat_id: int, secret_hash: bytes, language: str, now: datetime
) -> bool:
    """False when the chat id is taken (the caller draws another). Times to the minute, as
    every visit is kept (`seen`)."""
    minute = now.replace(second=0, microsecond=0).isoformat()
    return bool(
        await tx.execute_rowcount(
            "INSERT OR IGNORE INTO web_sessions (chat_id, secret_hash, language, created_at,"
            " seen_at) VALUES (?, ?, ?, ?, ?)",
            (chat_id, secret_hash, language, minute, minute),
        )
    )


async def by_secret(db: Db, secret_hash: bytes) -> Session | None:
    row = await db.fetchone(f"{_SESSION} WHERE secret_hash = ?", (secret_hash,))
    return _session(row) if row else None


async def by_chat(db: Db, chat_id: int) -> Session | None:
    row = await db.fetchone(f"{_SESSION} WHERE chat_id = ?", (chat_id,))
    return _session(row) if row else None


async def seen(db: Db, chat_id: int, now: datetime) -> None:
    """The last visit, to the minute: what retention needs and no finer."""
    minute = now.replace(second=0, microsecond=0).isoformat()
    await db.execute(
        "UPDATE web_sessions SET seen_at = ? WHERE chat_id = ? AND seen_at < ?",
        (minute, chat_id, minute),
    )


async def set_language(db: Db, chat_id: int, language: str) -> None:
    await db.execute("UPDATE web_sessions SET language = ? WHERE chat_id = ?", (language, chat_id))


async def set_push(db: Db, chat_id: int, subscription: dict[str, Any] | None) -> None:
    await db.execute(
        "UPDATE web_sessions SET push_subscription = ? WHERE chat_id = ?",
        (json.dumps(subscription) if subscription is not None else None, chat_id),
    )


async def delete_session(tx: Transaction, chat_id: int) -> None:
    """The device is forgotten: its transcript goes with it (ON DELETE CASCADE)."""
    await tx.execute("DELETE FROM web_messages WHERE chat_id = ?", (chat_id,))
    await tx.execute("DELETE FROM web_sessions WHERE chat_id = ?", (chat_id,))


async def idle_since(db: Db, before: datetime) -> list[int]:
    rows = await db.fetchall(
        "SELECT chat_id FROM web_sessions WHERE seen_at < ?", (before.isoformat(),)
    )
    return [row[0] for row in rows]


async def next_number(tx: Transaction, chat_id: int, *, new_message: bool) -> Numbered | None:
    """Count one change in the chat (and one message id for a new message); None when the
    conversation does not exist (any more)."""
    row = await tx.fetchone(
        "UPDATE web_sessions SET seq = seq + 1, next_message_id = next_message_id + ?"
        " WHERE chat_id = ? RETURNING seq, next_message_id",
        (1 if new_message else 0, chat_id),
    )
    if row is None:
        return None
    return Numbered(message_id=row["next_message_id"] - 1, seq=row["seq"])


async def add_message(
    tx: Transaction,
    chat_id: int,
    number: Numbered,
    *,
    from_bot: bool,
    text: str,
    entities: list[dict[str, Any]],
    markup: dict[str, Any] | None,
    now: datetime,
    file: tuple[str, bytes] | None = None,
) -> None:
    await tx.execute(
        "INSERT INTO web_messages (chat_id, message_id, seq, from_bot, text, entities,"
        " reply_markup, file_name, file_body, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            chat_id,
            number.message_id,
            number.seq,
            int(from_bot),
            text,
            json.dumps(entities) if entities else None,
            json.dumps(markup) if markup is not None else None,
            file[0] if file else None,
            file[1] if file else None,
            now.isoformat(),
        ),
    )


async def message(db: Db, chat_id: int, message_id: int) -> WebMessage | None:
    row = await db.fetchone(
        f"{_MESSAGE} WHERE chat_id = ? AND message_id = ? AND deleted = 0", (chat_id, message_id)
    )
    return _message(row) if row else None


async def change_message(
    tx: Transaction,
    chat_id: int,
    message_id: int,
    seq: int,
    *,
    text: str | None,
    entities: list[dict[str, Any]] | None,
    markup: dict[str, Any] | None,
) -> bool:
    """An edit: a new text (when given) and always the new buttons (None removes them)."""
    if text is None:
        changed = await tx.execute_rowcount(
            "UPDATE web_messages SET seq = ?, reply_markup = ?"
            " WHERE chat_id = ? AND message_id = ? AND deleted = 0",
            (seq, json.dumps(markup) if markup is not None else None, chat_id, message_id),
        )
    else:
        changed = await tx.execute_rowcount(
            "UPDATE web_messages SET seq = ?, text = ?, entities = ?, reply_markup = ?"
            " WHERE chat_id = ? AND message_id = ? AND deleted = 0",
            (
                seq,
                text,
                json.dumps(entities) if entities else None,
                json.dumps(markup) if markup is not None else None,
                chat_id,
                message_id,
            ),
        )
    return changed > 0


async def delete_message(tx: Transaction, chat_id: int, message_id: int, seq: int) -> bool:
    """Nothing of it stays but the number, so a browser that had it takes it away too."""
    changed = await tx.execute_rowcount(
        "UPDATE web_messages SET seq = ?, deleted = 1, text = '', entities = NULL,"
        " reply_markup = NULL, file_name = NULL, file_body = NULL"
        " WHERE chat_id = ? AND message_id = ? AND deleted = 0",
        (seq, chat_id, message_id),
    )
    return changed > 0


async def since(db: Db, chat_id: int, seq: int) -> list[WebMessage]:
    rows = await db.fetchall(
        f"{_MESSAGE} WHERE chat_id = ? AND seq > ? ORDER BY message_id", (chat_id, seq)
    )
    return [_message(row) for row in rows]


async def oldest(db: Db, chat_id: int) -> int | None:
    """The first message id still kept; the ones before it were erased (/delete)."""
    row = await db.fetchone(
        "SELECT MIN(message_id) AS oldest FROM web_messages WHERE chat_id = ?", (chat_id,)
    )
    return row["oldest"] if row else None


async def file_of(db: Db, chat_id: int, message_id: int) -> tuple[str, bytes] | None:
    row = await db.fetchone(
        "SELECT file_name, file_body FROM web_messages WHERE chat_id = ? AND message_id = ?"
        " AND deleted = 0 AND file_body IS NOT NULL",
        (chat_id, message_id),
    )
    return (row["file_name"], bytes(row["file_body"])) if row else None


async def erase_transcript(tx: Transaction, chat_id: int) -> int:
    """An erasure (/delete): every message in the conversation goes, the device stays."""
    return await tx.execute_rowcount("DELETE FROM web_messages WHERE chat_id = ?", (chat_id,))


async def new_update_id(tx: Transaction) -> int:
    """A negative update id, never used before: Telegram's are positive, so the two never meet
    in the inbox and the polling offset never moves for a web update."""
    row = await tx.fetchone("UPDATE web_update_ids SET last = last + 1 RETURNING last")
    assert row is not None  # the migration put the one row there
    return -int(row[0])
