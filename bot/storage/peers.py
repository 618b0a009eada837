"""Volunteer peers' profiles and the single-use invitations they join through."""

from __future__ import annotations

from datetime import datetime

from bot.domain import PeerProfile, PeerStatus
from bot.storage.database import Database, Row, Transaction
from bot.storage.group_commit import GroupWriter


def _split(value: str) -> frozenset[str]:
    return frozenset(v for v in value.split(",") if v)


def _join(values: frozenset[str] | set[str]) -> str:
    return ",".join(sorted(values))


PROFILE_SQL = """
    SELECT p.*, u.telegram_id, u.pseudonym, u.language, u.unreachable_at,
        (SELECT COUNT(*) FROM contacts c WHERE c.peer_id = p.user_id AND c.status = 'active')
            AS active_contacts
    FROM peer_profiles p JOIN users u ON u.id = p.user_id
"""


def _profile(row: Row) -> PeerProfile:
    return PeerProfile(
        user_id=row["user_id"],
        telegram_id=row["telegram_id"],
        pseudonym=row["pseudonym"],
        language=row["language"],
        status=PeerStatus(row["status"]),
        step=row["step"],
        topics=_split(row["topics"]),
        languages=_split(row["languages"]),
        capacity=row["capacity"],
        availability=_split(row["availability"]),
        away=bool(row["away"]),
        away_until=datetime.fromisoformat(row["away_until"]) if row["away_until"] else None,
        focus_contact_id=row["focus_contact_id"],
        active_contacts=row["active_contacts"],
        last_active_at=(
            datetime.fromisoformat(row["last_active_at"]) if row["last_active_at"] else None
        ),
        undertaking_version=row["undertaking_version"],
        undertaking_asked_version=row["undertaking_asked_version"],
        unreachable=row["unreachable_at"] is not None,
    )


async def profile(db: Database | Transaction, user_id: int) -> PeerProfile | None:
    row = await db.fetchone(PROFILE_SQL + " WHERE p.user_id = ?", (user_id,))
    return _profile(row) if row else None


async def all_profiles(db: Database | Transaction) -> list[PeerProfile]:
    rows = await db.fetchall(PROFILE_SQL + " WHERE p.status != 'removed' ORDER BY u.pseudonym")
    return [_profile(row) for row in rows]


async def approved(db: Database | Transaction) -> list[PeerProfile]:
    rows = await db.fetchall(PROFILE_SQL + " WHERE p.status = 'approved'")
    return [_profile(row) for row in rows]


async def create(tx: Transaction, user_id: int, step: str) -> None:
    await tx.execute(
        "INSERT OR REPLACE INTO peer_profiles (user_id, status, step) VALUES (?, 'onboarding', ?)",
        (user_id, step),
    )


async def update(
    db: Database | Transaction,
    user_id: int,
    *,
    step: str | None = None,
    clear_step: bool = False,
    topics: frozenset[str] | None = None,
    languages: frozenset[str] | None = None,
    capacity: int | None = None,
    availability: frozenset[str] | None = None,
) -> None:
    """Change the given profile fields; the rest stay as they are."""
    assignments: list[str] = []
    values: list[object] = []
    for column, value in (
        ("topics", topics),
        ("languages", languages),
        ("availability", availability),
    ):
        if value is not None:
            assignments.append(f"{column} = ?")
            values.append(_join(value))
    if capacity is not None:
        assignments.append("capacity = ?")
        values.append(capacity)
    if step is not None or clear_step:
        assignments.append("step = ?")
        values.append(step)
    if not assignments:
        return
    sql = f"UPDATE peer_profiles SET {', '.join(assignments)} WHERE user_id = ?"
    await db.execute(sql, (*values, user_id))


async def set_status(
    tx: Transaction, user_id: int, status: PeerStatus, now: datetime | None = None
) -> bool:
    approved_at = now.isoformat() if status is PeerStatus.APPROVED and now else None
    return bool(
        await tx.execute_rowcount(
            "UPDATE peer_profiles SET status = ?, step = NULL,"
            " approved_at = COALESCE(?, approved_at) WHERE user_id = ?",
            (status.value, approved_at, user_id),
        )
    )


async def change_status(
    tx: Transaction, user_id: int, status: PeerStatus, expected: tuple[PeerStatus, ...]
) -> bool:
    """Move a peer on only from an expected status (a stale or doubled button changes nothing)."""
    marks = ", ".join("?" for _ in expected)
    return bool(
        await tx.execute_rowcount(
            f"UPDATE peer_profiles SET status = ?, step = NULL"
            f" WHERE user_id = ? AND status IN ({marks})",
            (status.value, user_id, *(s.value for s in expected)),
        )
    )


async def set_away(db: Database, user_id: int, away: bool, until: datetime | None) -> None:
    await db.execute(
        "UPDATE peer_profiles SET away = ?, away_until = ? WHERE user_id = ?",
        (int(away), until.isoformat() if until else None, user_id),
    )


async def return_from_away(db: Database, now: datetime) -> int:
    """Peers whose chosen return date has passed are available again."""
    async with db.transaction() as tx:
        return await tx.execute_rowcount(
            "UPDATE peer_profiles SET away = 0, away_until = NULL"
            " WHERE away = 1 AND away_until IS NOT NULL AND away_until <= ?",
            (now.isoformat(),),
        )


async def set_focus(db: Database | Transaction, user_id: int, contact_id: int | None) -> None:
    await db.execute(
        "UPDATE peer_profiles SET focus_contact_id = ? WHERE user_id = ?", (contact_id, user_id)
    )


async def touch(db: Database | Transaction, user_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE peer_profiles SET last_active_at = ? WHERE user_id = ?",
        (now.isoformat(), user_id),
    )


def touch_later(writer: GroupWriter, user_id: int, now: datetime) -> None:
    """Note a peer's activity in the next group commit (the relay must stay cheap)."""
    writer.add(
        "UPDATE peer_profiles SET last_active_at = ? WHERE user_id = ?", (now.isoformat(), user_id)
    )


async def with_status(db: Database | Transaction, *statuses: PeerStatus) -> list[PeerProfile]:
    marks = ", ".join("?" for _ in statuses)
    rows = await db.fetchall(
        PROFILE_SQL + f" WHERE p.status IN ({marks}) ORDER BY u.pseudonym",
        tuple(s.value for s in statuses),
    )
    return [_profile(row) for row in rows]


async def onboarding(db: Database) -> list[tuple[int, str]]:
    """(telegram id, step) of peers in the middle of onboarding, to resume the dialogue."""
    rows = await db.fetchall(
        "SELECT u.telegram_id, p.step FROM peer_profiles p JOIN users u ON u.id = p.user_id"
        " WHERE p.step IS NOT NULL"
    )
    return [(row[0], row[1]) for row in rows]


async def create_invite(tx: Transaction, code: str, now: datetime, expires: datetime) -> int:
    return await tx.execute(
        "INSERT INTO invites (code, created_at, expires_at) VALUES (?, ?, ?)",
        (code, now.isoformat(), expires.isoformat()),
    )


async def redeem_invite(tx: Transaction, code: str, user_id: int, now: datetime) -> bool:
    """Use an invitation once, before it expires."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE invites SET used_at = ?, used_by = ?"
            " WHERE code = ? AND used_at IS NULL AND expires_at > ?",
            (now.isoformat(), user_id, code, now.isoformat()),
        )
    )


async def accept_undertaking(tx: Transaction, user_id: int, version: int, now: datetime) -> None:
    await tx.execute(
        "UPDATE peer_profiles SET undertaking_version = ?, undertaking_at = ? WHERE user_id = ?",
        (version, now.isoformat(), user_id),
    )


async def undertaking_outdated(db: Database, version: int) -> list[int]:
    """Telegram ids of peers past onboarding who have not accepted `version` of the undertaking."""
    rows = await db.fetchall(
        "SELECT u.telegram_id FROM peer_profiles p JOIN users u ON u.id = p.user_id"
        " WHERE p.status IN ('pending', 'approved', 'paused')"
        " AND (p.undertaking_version IS NULL OR p.undertaking_version != ?)",
        (version,),
    )
    return [row[0] for row in rows]


async def undertaking_to_ask(tx: Transaction, version: int) -> list[PeerProfile]:
    """Approved (or paused) peers who have neither accepted nor been asked about `version`."""
    rows = await tx.fetchall(
        PROFILE_SQL + " WHERE p.status IN ('approved', 'paused')"
        " AND (p.undertaking_version IS NULL OR p.undertaking_version != ?)"
        " AND (p.undertaking_asked_version IS NULL OR p.undertaking_asked_version != ?)"
        " ORDER BY p.user_id",
        (version, version),
    )
    return [_profile(row) for row in rows]


async def mark_undertaking_asked(tx: Transaction, user_id: int, version: int) -> bool:
    """Once per version: False when this peer was asked about it already."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE peer_profiles SET undertaking_asked_version = ? WHERE user_id = ?"
            " AND (undertaking_asked_version IS NULL OR undertaking_asked_version != ?)",
            (version, user_id, version),
        )
    )


async def undertaking_acceptance(tx: Transaction, version: int) -> tuple[int, int]:
    """(approved peers, of whom accepted `version`)."""
    row = await tx.fetchone(
        "SELECT COUNT(*), COALESCE(SUM(undertaking_version = ?), 0) FROM peer_profiles"
        " WHERE status = 'approved'",
        (version,),
    )
    return (row[0], row[1]) if row else (0, 0)


async def claim_meta(tx: Transaction, key: str, value: str) -> bool:
    """Set a fact of the bot's once: False when it already has this value."""
    row = await tx.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
    if row is not None and row[0] == value:
        return False
    await tx.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
    return True
