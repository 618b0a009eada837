from pathlib import Path

from bot.storage import Database
from bot.storage.group_commit import GroupWriter


async def test_statements_are_committed_together_on_flush(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.sqlite3")
    writer = GroupWriter(db)
    for n in range(3):
        writer.add(
            "INSERT INTO users (telegram_id, role, created_at) VALUES (?, 'citizen', 'now')", (n,)
        )
    writer.add("UPDATE users SET language = 'en' WHERE telegram_id = ?", (1,))
    await writer.flush()
    rows = await db.fetchall("SELECT telegram_id, language FROM users ORDER BY telegram_id")
    assert [tuple(r) for r in rows] == [(0, None), (1, "en"), (2, None)]
    await db.close()


async def test_a_failing_batch_is_logged_and_the_writer_goes_on(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.sqlite3")
    writer = GroupWriter(db)
    writer.add("INSERT INTO nowhere VALUES (1)")
    await writer.flush()
    writer.add("INSERT INTO users (telegram_id, role, created_at) VALUES (5, 'citizen', 'now')")
    await writer.flush()
    assert (await db.fetchone("SELECT COUNT(*) FROM users"))[0] == 1
    await db.close()
