"""People known to the bot: citizens who consented (or asked for urgent help), peers."""

from __future__ import annotations

from datetime import datetime

from bot.domain import Role, User
from bot.storage import reports
from bot.storage.database import Database, Row, Transaction


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        telegram_id=row["telegram_id"],
        role=Role(row["role"]),
        language=row["language"],
        pseudonym=row["pseudonym"],
        consent_version=row["consent_version"],
        unreachable=row["unreachable_at"] is not None,
        barred_until=(datetime.fromisoformat(row["barred_until"]) if row["barred_until"] else None),
    )


async def by_telegram_id(db: Database | Transaction, telegram_id: int) -> User | None:
    row = await db.fetchone("SELECT * FROM users WHERE telegram_id = ?", (telegram_id,))
    return _user(row) if row else None


async def by_id(db: Database | Transaction, user_id: int) -> User | None:
    row = await db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
    return _user(row) if row else None


async def ensure(
    tx: Transaction,
    telegram_id: int,
    role: Role,
    now: datetime,
    *,
    language: str | None = None,
    pseudonym: str | None = None,
) -> User:
    """Return the user, creating them with `role` if unknown (with any reports about them
    that outlived an earlier erasure, see `bot.storage.reports`)."""
    created = await tx.execute_rowcount(
        "INSERT OR IGNORE INTO users (telegram_id, role, language, pseudonym, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (telegram_id, role.value, language, pseudonym, now.isoformat()),
    )
    user = await by_telegram_id(tx, telegram_id)
    assert user is not None
    if created:
        await reports.reclaim(tx, user.id, telegram_id, now)
        user = await by_telegram_id(tx, telegram_id)
        assert user is not None
    return user


async def record_consent(tx: Transaction, user_id: int, version: int, now: datetime) -> None:
    await tx.execute(
        "UPDATE users SET consent_version = ?, consent_at = ? WHERE id = ?",
        (version, now.isoformat(), user_id),
    )


async def set_language(db: Database, telegram_id: int, language: str) -> bool:
    """Store a chosen language for a known user; False when the user is not stored."""
    async with db.transaction() as tx:
        return bool(
            await tx.execute_rowcount(
                "UPDATE users SET language = ? WHERE telegram_id = ?", (language, telegram_id)
            )
        )


async def set_role(tx: Transaction, user_id: int, role: Role, pseudonym: str | None) -> None:
    await tx.execute(
        "UPDATE users SET role = ?, pseudonym = COALESCE(?, pseudonym) WHERE id = ?",
        (role.value, pseudonym, user_id),
    )


async def set_pseudonym(tx: Transaction, user_id: int, pseudonym: str) -> None:
    await tx.execute("UPDATE users SET pseudonym = ? WHERE id = ?", (pseudonym, user_id))


async def set_on_duty(db: Database, telegram_id: int, on_duty: bool) -> None:
    await db.execute(
        "UPDATE users SET on_duty = ? WHERE telegram_id = ?",
        (int(on_duty), telegram_id),
    )


async def on_duty(db: Database | Transaction) -> list[int]:
    """Telegram ids of people who said they are on duty (who is staff is decided in memory,
    see `bot.services.coordinators.on_duty_chats`: a peer can be a coordinator too)."""
    rows = await db.fetchall("SELECT telegram_id FROM users WHERE on_duty = 1")
    return [row[0] for row in rows]


async def mark_unreachable(db: Database, telegram_id: int, now: datetime | None) -> None:
    """Record that a person blocked the bot (``now``) or came back (``None``)."""
    await db.execute(
        "UPDATE users SET unreachable_at = ? WHERE telegram_id = ?",
        (now.isoformat() if now else None, telegram_id),
    )


async def mark_unreachable_once(tx: Transaction, telegram_id: int, now: datetime) -> bool:
    """Record that a person blocked the bot; True only the first time (so that what follows,
    such as telling coordinators, happens once)."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE users SET unreachable_at = ? WHERE telegram_id = ? AND unreachable_at IS NULL",
            (now.isoformat(), telegram_id),
        )
    )
