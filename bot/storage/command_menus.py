"""Which command menu each chat was last given (only for menus other than the default one)."""

from __future__ import annotations

from bot.storage.database import Database, Transaction


async def given(db: Database | Transaction, chat_id: int) -> str | None:
    row = await db.fetchone("SELECT menu FROM command_menus WHERE chat_id = ?", (chat_id,))
    return row["menu"] if row else None


async def remember(db: Database, chat_id: int, menu: str | None) -> None:
    """Note the menu a chat now has; None: the default menu (nothing is kept)."""
    if menu is None:
        await db.execute("DELETE FROM command_menus WHERE chat_id = ?", (chat_id,))
    else:
        await db.execute(
            "INSERT INTO command_menus (chat_id, menu) VALUES (?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET menu = excluded.menu",
            (chat_id, menu),
        )


async def peer_and_menu_chats(db: Database) -> list[int]:
    """Peers' chats (any status) and every chat that was given a menu of its own."""
    rows = await db.fetchall(
        "SELECT u.telegram_id FROM users u JOIN peer_profiles p ON p.user_id = u.id"
        " UNION SELECT chat_id FROM command_menus"
    )
    return [row[0] for row in rows]
