"""Coordinators and administrators added through the bot (the configured ones live in config)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import StaffRole
from bot.storage.database import Database, Transaction


@dataclass(frozen=True)
class StaffEntry:
    telegram_id: int
    role: StaffRole
    added_by: int
    added_at: datetime


async def all_entries(db: Database | Transaction) -> list[StaffEntry]:
    rows = await db.fetchall("SELECT * FROM staff_roles ORDER BY role, added_at")
    return [
        StaffEntry(
            row["telegram_id"],
            StaffRole(row["role"]),
            row["added_by"],
            datetime.fromisoformat(row["added_at"]),
        )
        for row in rows
    ]


async def add(
    tx: Transaction, telegram_id: int, role: StaffRole, actor: int, now: datetime
) -> bool:
    """True if the role was new."""
    return bool(
        await tx.execute_rowcount(
            "INSERT OR IGNORE INTO staff_roles (telegram_id, role, added_by, added_at)"
            " VALUES (?, ?, ?, ?)",
            (telegram_id, role.value, actor, now.isoformat()),
        )
    )


async def remove(tx: Transaction, telegram_id: int, role: StaffRole) -> bool:
    return bool(
        await tx.execute_rowcount(
            "DELETE FROM staff_roles WHERE telegram_id = ? AND role = ?", (telegram_id, role.value)
        )
    )


async def demote_user(tx: Transaction, telegram_id: int) -> None:
    """A former coordinator's stored row becomes an ordinary one, off duty."""
    await tx.execute(
        "UPDATE users SET on_duty = 0,"
        " role = CASE WHEN role = 'coordinator' THEN 'citizen' ELSE role END"
        " WHERE telegram_id = ?",
        (telegram_id,),
    )


async def administrators(tx: Transaction) -> set[int]:
    rows = await tx.fetchall("SELECT telegram_id FROM staff_roles WHERE role = 'administrator'")
    return {row[0] for row in rows}
