import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.errors import MigrationError, StorageError
from bot.storage import Database
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


async def test_a_file_locked_by_another_process_is_waited_for_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    """Statements run on the loop's thread; one that finds the file locked waits in a thread.

    The other process lets go only from a task on the loop: had the wait blocked the loop, the
    lock would never be released and the statements would fail with "database is locked".
    """
    db = await Database.open(tmp_path / "x.sqlite3")
    other = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    add = "INSERT INTO users (telegram_id, role, created_at) VALUES (?, 'citizen', 'now')"

    async def let_go_soon() -> None:
        await asyncio.sleep(0.05)
        other.execute("COMMIT")

    for write in ("transaction", "single"):
        other.execute("BEGIN IMMEDIATE")
        other.execute(add, (100 if write == "transaction" else 200,))
        releaser = asyncio.create_task(let_go_soon())
        if write == "transaction":
            async with db.transaction() as tx:
                await tx.execute(add, (1,))
        else:
            await db.execute(add, (2,))
        await releaser
    rows = await db.fetchall("SELECT telegram_id FROM users ORDER BY telegram_id")
    assert [row[0] for row in rows] == [1, 2, 100, 200]
    other.close()
    await db.close()


async def test_using_the_database_inside_its_own_transaction_is_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.sqlite3")
    async with db.transaction():
        with pytest.raises(StorageError):
            await db.fetchone("SELECT 1")
    await db.close()
