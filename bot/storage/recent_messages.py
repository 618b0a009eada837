"""Ids of the messages in people's private chats with the bot, for 48 hours, so `/forget` can
delete them from the chat (Telegram lets a bot delete messages only within 48 hours).

Only ids and times are kept, never text. Rows are written in group commits (they may trail a
send by milliseconds) and only for chats of people the bot already knows: someone who never
consented (a minor who was referred elsewhere, say) leaves no trace here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage.database import Database, Transaction
from bot.storage.group_commit import GroupWriter

KEEP = timedelta(hours=48)

_RECORD = (
    "INSERT OR IGNORE INTO recent_messages (chat_id, message_id, sent_at, from_bot)"
    " SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE telegram_id = ?)"
)


def record_later(
    writer: GroupWriter, chat_id: int, message_id: int, now: datetime, *, from_bot: bool
) -> None:
    """Note one message id in a private chat (committed within milliseconds)."""
    if chat_id > 0:
        writer.add(_RECORD, (chat_id, message_id, now.isoformat(), int(from_bot), chat_id))


async def since(db: Database | Transaction, chat_id: int, after: datetime) -> list[int]:
    """Message ids in the chat sent after `after`, oldest first."""
    rows = await db.fetchall(
        "SELECT message_id FROM recent_messages WHERE chat_id = ? AND sent_at > ?"
        " ORDER BY message_id",
        (chat_id, after.isoformat()),
    )
    return [row[0] for row in rows]


async def forget(db: Database, chat_id: int, message_ids: list[int]) -> None:
    """Drop the rows of messages that were deleted (or can no longer be)."""
    if not message_ids:
        return
    marks = ", ".join("?" for _ in message_ids)
    await db.execute(
        f"DELETE FROM recent_messages WHERE chat_id = ? AND message_id IN ({marks})",
        (chat_id, *message_ids),
    )


async def prune(db: Database, now: datetime) -> None:
    """Ids older than 48 hours are of no use: Telegram would refuse to delete them."""
    await db.execute("DELETE FROM recent_messages WHERE sent_at <= ?", ((now - KEEP).isoformat(),))
