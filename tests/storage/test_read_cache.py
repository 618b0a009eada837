import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.errors import StorageError
from bot.storage import Database
from bot.storage.read_cache import ReadCache, Reads, assigned_columns, cascades

USERS = Reads.of(["users"])
USER = "SELECT language FROM users WHERE telegram_id = ?"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "cache.sqlite3")
    database.verify_cached_reads = False  # these tests look at the cache itself
    await database.execute(
        "INSERT INTO users (telegram_id, role, language, created_at)"
        " VALUES (1, 'citizen', 'da', '')"
    )
    try:
        yield database
    finally:
        await database.close()


def _behind_its_back(path: Path, sql: str) -> None:
    """A write the cache cannot see, to tell an answer from memory from a fresh read."""
    with sqlite3.connect(path) as conn:
        conn.execute(sql)


async def _language(db: Database) -> str:
    row = await db.fetchone_cached(USER, (1,), reads=USERS)
    assert row is not None
    return str(row[0])


# contacts and peers point at users; relay_messages points at contacts.
SCHEMA = {"users": [], "inbox": [], "contacts": ["users"], "peers": ["users"]}
SCHEMA["relay_messages"] = ["contacts"]
FROM_USERS = {("users", None), ("contacts", None), ("peers", None), ("relay_messages", None)}


@pytest.mark.parametrize(
    ("sql", "changes"),
    [
        ("SELECT * FROM users", set()),
        ("PRAGMA user_version", set()),
        ("INSERT INTO users (x) VALUES (1)", {("users", None)}),
        ("insert or ignore into Contacts (x) values (1)", {("contacts", None)}),
        ("  UPDATE peers SET x = 1", {("peers", "x")}),
        ("UPDATE peers SET x = ?, Y=coalesce(y, ?) WHERE z = 1", {("peers", "x"), ("peers", "y")}),
        ("UPDATE peers SET some_where = ? WHERE id = ?", {("peers", "some_where")}),
        (
            "UPDATE peers SET x = (SELECT a FROM b WHERE c = 1), y = 2",
            {("peers", "x"), ("peers", "y")},
        ),
        ("UPDATE peers SET x = 'a, b = c' WHERE id = 1", {("peers", None)}),
        ("UPDATE peers SET (x, y) = (1, 2)", {("peers", None)}),
        ("DELETE FROM inbox WHERE id = 1", {("inbox", None)}),
        ("DELETE FROM contacts", {("contacts", None), ("relay_messages", None)}),
        ("DELETE FROM users WHERE id = 1", FROM_USERS),
        ("INSERT OR REPLACE INTO users (x) VALUES (1)", FROM_USERS),
        ("REPLACE INTO users (x) VALUES (1)", FROM_USERS),
        ("DELETE FROM elsewhere", None),
        ("CREATE TABLE t (x)", None),
        ("WITH a AS (SELECT 1) INSERT INTO users SELECT * FROM a", None),
    ],
)
def test_what_statements_change(sql: str, changes: set[tuple[str, str | None]] | None) -> None:
    cache = ReadCache()
    cache.know_schema(cascades(SCHEMA))
    assert cache.changes(sql) == changes


def test_deletes_change_everything_while_the_schema_is_unknown() -> None:
    cache = ReadCache()
    assert cache.changes("DELETE FROM inbox") is None
    assert cache.changes("UPDATE inbox SET x = 1") == {("inbox", "x")}


def test_unbalanced_set_clause_is_not_trusted() -> None:
    assert assigned_columns("x = (1, y = 2") is None
    assert assigned_columns("x = 1), y = (2") is None


async def test_answer_kept_until_its_table_is_written(db: Database) -> None:
    assert await _language(db) == "da"
    _behind_its_back(db.path, "UPDATE users SET language = 'en'")
    assert await _language(db) == "da"  # from memory

    async with db.transaction() as tx:
        await tx.execute("UPDATE outbox SET attempts = attempts")
    assert await _language(db) == "da"  # another table: still from memory

    async with db.transaction() as tx:
        await tx.execute("UPDATE users SET language = 'en' WHERE telegram_id = 1")
    assert await _language(db) == "en"


@pytest.mark.parametrize(
    ("write", "dropped"),
    [
        ("UPDATE users SET pseudonym = 'x'", True),
        ("DELETE FROM users WHERE telegram_id = 2", True),
        ("DELETE FROM users WHERE telegram_id = 3", False),  # no row changed: nothing written
        ("DELETE FROM inbox", False),  # nothing points at the inbox
        (
            "INSERT OR REPLACE INTO inbox (update_id, payload, received_at) VALUES (1, '', '')",
            False,
        ),
    ],
)
async def test_single_statements_drop_answers(db: Database, write: str, dropped: bool) -> None:
    await db.execute("INSERT INTO users (telegram_id, role, created_at) VALUES (2, 'citizen', '')")
    assert await _language(db) == "da"
    _behind_its_back(db.path, "UPDATE users SET language = 'en'")
    await db.execute(write)
    assert await _language(db) == ("en" if dropped else "da")


async def test_delete_drops_answers_from_tables_it_cascades_to(db: Database) -> None:
    async def requests() -> int:
        rows = await db.fetchall_cached("SELECT * FROM requests", (), reads=Reads.of(["requests"]))
        return len(rows)

    await db.execute(
        "INSERT INTO requests (citizen_id, status, created_at) VALUES (1, 'closed', '')"
    )
    assert await requests() == 1
    _behind_its_back(
        db.path,
        "INSERT INTO requests (citizen_id, status, created_at) VALUES (1, 'waiting', '')",
    )
    _behind_its_back(
        db.path, "INSERT INTO users (telegram_id, role, created_at) VALUES (999, 'citizen', '')"
    )
    await db.execute("DELETE FROM recent_messages")  # nothing points there
    assert await requests() == 1
    await db.execute("DELETE FROM users WHERE telegram_id = 999")  # requests point at users
    assert await requests() == 2


async def test_empty_answers_are_not_kept(db: Database) -> None:
    stranger = await db.fetchone_cached(USER, (42,), reads=USERS)
    assert stranger is None
    _behind_its_back(
        db.path,
        "INSERT INTO users (telegram_id, role, language, created_at)"
        " VALUES (42, 'citizen', 'en', '')",
    )
    row = await db.fetchone_cached(USER, (42,), reads=USERS)
    assert row is not None and row[0] == "en"


async def test_writes_with_returning_and_failed_batches_count_as_changes(db: Database) -> None:
    assert await _language(db) == "da"
    _behind_its_back(db.path, "UPDATE users SET language = 'en'")
    await db.execute("UPDATE users SET pseudonym = 'x' WHERE telegram_id = 1 RETURNING id")
    assert await _language(db) == "en"
    _behind_its_back(db.path, "UPDATE users SET language = 'sv'")
    with pytest.raises(StorageError):
        await db.executemany(
            "INSERT INTO users (telegram_id, role, created_at) VALUES (?, 'citizen', '')",
            [(7,), (7,)],  # the second row fails; the first stays
        )
    assert await _language(db) == "sv"


async def test_rolled_back_transaction_keeps_answers(db: Database) -> None:
    assert await _language(db) == "da"
    _behind_its_back(db.path, "UPDATE users SET language = 'en'")
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute("UPDATE users SET language = 'sv'")
            raise RuntimeError
    assert await _language(db) == "da"


async def test_forget_drops_answers(db: Database) -> None:
    assert await _language(db) == "da"
    _behind_its_back(db.path, "UPDATE users SET language = 'en'")
    db.forget_cached(["users"])
    assert await _language(db) == "en"


async def test_read_overlapping_a_write_is_not_kept(db: Database) -> None:
    async def write() -> None:
        async with db.transaction() as tx:
            await asyncio.sleep(0.01)
            await tx.execute("UPDATE users SET language = 'en'")

    writing = asyncio.create_task(write())
    await asyncio.sleep(0)  # the write holds the connection; the read waits for it
    generation_before = await _language(db)
    await writing
    assert generation_before == "en"
    _behind_its_back(db.path, "UPDATE users SET language = 'sv'")
    assert await _language(db) == "sv"  # the overlapping answer was not kept


async def test_reads_inside_a_transaction_see_its_own_writes(db: Database) -> None:
    assert await _language(db) == "da"
    async with db.transaction() as tx:
        await tx.execute("UPDATE users SET language = 'en'")
        row = await tx.fetchone_cached(USER, (1,), reads=USERS)
        assert row is not None and row[0] == "en"


async def test_verification_catches_a_stale_answer(db: Database) -> None:
    db.verify_cached_reads = True
    assert await _language(db) == "da"
    _behind_its_back(db.path, "UPDATE users SET language = 'en'")
    with pytest.raises(StorageError, match="out of date"):
        await _language(db)


async def test_trailing_columns_keep_answers_and_pass_verification(db: Database) -> None:
    db.verify_cached_reads = True
    await db.execute(
        "INSERT INTO users (telegram_id, role, language, created_at) VALUES (2, 'peer', 'da', '')"
    )
    await db.execute(
        "INSERT INTO requests (citizen_id, status, created_at) VALUES (1, 'active', '')"
    )
    await db.execute(
        "INSERT INTO contacts (request_id, citizen_id, peer_id, status, started_at)"
        " VALUES (1, 1, 2, 'active', '')"
    )

    async def spoken() -> list[tuple[str | None, str]]:
        rows = await db.fetchall_cached(
            "SELECT last_sender, status FROM contacts WHERE peer_id = ?",
            (2,),
            reads=Reads.of(["contacts"], trailing=["contacts.last_sender"]),
        )
        return [(row[0], row[1]) for row in rows]

    assert await spoken() == [(None, "active")]
    await db.execute("UPDATE contacts SET last_sender = ? WHERE id = 1", ("peer",))
    assert await spoken() == [(None, "active")]  # trails, as declared
    await db.execute("UPDATE contacts SET status = ? WHERE id = 1", ("ended",))
    assert await spoken() == [("peer", "ended")]


async def test_reads_inside_a_transaction_use_memory_until_it_writes_their_tables(
    db: Database,
) -> None:
    assert await _language(db) == "da"
    _behind_its_back(db.path, "UPDATE users SET language = 'en'")
    async with db.transaction() as tx:
        await tx.execute("UPDATE outbox SET attempts = attempts + 1")  # no row: changes nothing
        row = await tx.fetchone_cached(USER, (1,), reads=USERS)
        assert row is not None and row[0] == "da"  # from memory
        await tx.execute("UPDATE users SET pseudonym = 'x' WHERE telegram_id = 1")
        row = await tx.fetchone_cached(USER, (1,), reads=USERS)
        assert row is not None and row[0] == "en"  # its own table changed: read afresh
    assert await _language(db) == "en"
