import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.errors import MigrationError, StorageError
from bot.storage import Database
from bot.storage.database import urgent_work
from bot.storage.migrations import MIGRATIONS


async def test_new_file_is_private_and_current(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "new.sqlite3")
    try:
        assert await db.schema_version() == len(MIGRATIONS)
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
    finally:
        await db.close()
    assert stat.S_IMODE((tmp_path / "new.sqlite3").stat().st_mode) == 0o600


async def _schema(db: Database) -> list[tuple[str, str]]:
    rows = await db.fetchall("SELECT name, sql FROM sqlite_master ORDER BY name")
    return [(row[0], row[1]) for row in rows]


@pytest.mark.parametrize("start", range(len(MIGRATIONS) + 1))
async def test_migrates_from_every_earlier_version(tmp_path: Path, start: int) -> None:
    reference = await Database.open(tmp_path / "reference.sqlite3")
    expected = await _schema(reference)
    await reference.close()

    db = await Database.open(tmp_path / "old.sqlite3", migrate=False)
    await db.migrate(start)
    assert await db.schema_version() == start
    await db.migrate()
    assert await _schema(db) == expected
    await db.migrate()
    assert await _schema(db) == expected
    await db.close()


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.sqlite3")
    await db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    with pytest.raises(MigrationError):
        await db.migrate()
    await db.close()


async def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.sqlite3")
    with pytest.raises(StorageError):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO users (telegram_id, role, created_at) VALUES (1, 'citizen', 'now')"
            )
            await tx.execute("INSERT INTO users (telegram_id, role, created_at) VALUES (1)")
    assert (await db.fetchone("SELECT COUNT(*) FROM users"))[0] == 0
    await db.close()


async def test_online_backup_copies_rows(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "live.sqlite3")
    await db.execute(
        "INSERT INTO users (telegram_id, role, created_at) VALUES (7, 'citizen', 'now')"
    )
    await db.backup(tmp_path / "copy.sqlite3")
    await db.close()
    copy = await Database.open(tmp_path / "copy.sqlite3", migrate=False)
    assert (await copy.fetchone("SELECT COUNT(*) FROM users"))[0] == 1
    await copy.close()
    assert stat.S_IMODE((tmp_path / "copy.sqlite3").stat().st_mode) == 0o600


def test_every_migration_is_described() -> None:
    from bot.storage.migrations import DESCRIPTIONS

    assert len(DESCRIPTIONS) == len(MIGRATIONS)


async def test_start_up_backs_up_an_old_database_before_migrating(tmp_path: Path) -> None:
    from bot.app import open_with_backup
    from bot.clock import FakeClock
    from bot.runtime import Runtime
    from tests.helpers.harness import make_config

    config = make_config(tmp_path)
    old = await Database.open(config.database, migrate=False)
    await old.migrate(1)
    await old.execute(
        "INSERT INTO users (telegram_id, role, created_at) VALUES (7, 'citizen', 'now')"
    )
    await old.close()
    db = await open_with_backup(Runtime(config=config, clock=FakeClock()))
    assert await db.schema_version() == len(MIGRATIONS)
    await db.close()
    copy = config.database.with_name(config.database.name + ".before-migration-from-v1")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    restored = await Database.open(copy, migrate=False)
    assert await restored.schema_version() == 1
    assert (await restored.fetchone("SELECT COUNT(*) FROM users"))[0] == 1
    await restored.close()


async def test_every_read_sees_what_another_writer_committed(tmp_path: Path) -> None:
    """Nothing answers from memory: a change made behind the bot's back is read at once."""
    from datetime import UTC, datetime

    from bot.storage import contacts, users
    from bot.storage.users import Role

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    db = await Database.open(tmp_path / "db.sqlite3")
    async with db.transaction() as tx:
        citizen = await users.ensure(tx, 1, Role.CITIZEN, now, language="da", pseudonym="Ida")
        peer = await users.ensure(tx, 2, Role.PEER, now, language="da", pseudonym="Bo")
        contact_id = await contacts.create_contact(tx, None, citizen.id, peer.id, now)
    assert (await users.by_telegram_id(db, 1)).language == "da"  # type: ignore[union-attr]
    assert [c.id for c in await contacts.active_involving(db, citizen.id)] == [contact_id]
    with sqlite3.connect(tmp_path / "db.sqlite3") as other:
        other.execute("UPDATE users SET language = 'en', pseudonym = 'Ada' WHERE id = ?", (1,))
        other.execute("UPDATE contacts SET status = 'ended' WHERE id = ?", (contact_id,))
    assert (await users.by_telegram_id(db, 1)).language == "en"  # type: ignore[union-attr]
    assert (await users.by_id(db, citizen.id)).pseudonym == "Ada"  # type: ignore[union-attr]
    assert await contacts.active_involving(db, citizen.id) == []
    assert not (await contacts.contact(db, contact_id)).active  # type: ignore[union-attr]
    await db.close()


async def test_urgent_work_takes_the_next_turn_before_ordinary_work(tmp_path: Path) -> None:
    """Ordinary reads queued first still wait while an urgent one goes ahead of them; the
    turn in progress (an open transaction) is never interrupted."""
    db = await Database.open(tmp_path / "db.sqlite3")
    order: list[str] = []

    async def read(name: str, urgent: bool) -> None:
        if urgent:
            with urgent_work():
                await db.fetchone("SELECT 1")
        else:
            await db.fetchone("SELECT 1")
        order.append(name)

    async with db.transaction() as tx:
        waiting = [asyncio.create_task(read(f"ordinary {n}", False)) for n in range(3)]
        await asyncio.sleep(0)
        waiting.append(asyncio.create_task(read("urgent", True)))
        await asyncio.sleep(0)
        await tx.execute("CREATE TABLE t (x)")
        order.append("transaction")
    await asyncio.gather(*waiting)
    assert order == ["transaction", "urgent", "ordinary 0", "ordinary 1", "ordinary 2"]
    await db.close()


async def test_a_waiter_cancelled_gives_its_turn_on(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    async with db.transaction():
        gone = asyncio.create_task(db.fetchone("SELECT 1"))
        after = asyncio.create_task(db.fetchone("SELECT 2"))
        await asyncio.sleep(0)
        gone.cancel()
    assert (await after)[0] == 2
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert (await db.fetchone("SELECT 3"))[0] == 3  # the connection is free again
    await db.close()
