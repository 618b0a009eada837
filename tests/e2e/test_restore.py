"""`peerbot restore` as a real process: wrong files are refused and the database stays intact;
a right one replaces it, keeps the old one as a copy, and leaves files the service can open."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.fakebot import FakeTelegram
from bot.storage.migrations import MIGRATIONS
from tests.helpers.process import BotProcess

SERVICE_USER = 65534  # nobody: what a restore run as root must hand the files back to


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(FakeTelegram(), tmp_path)
    await process.serve()
    try:
        yield process
    finally:
        await process.close()


def add_user(database: Path, telegram_id: int) -> None:
    with closing(sqlite3.connect(database, isolation_level=None)) as conn:
        conn.execute(
            "INSERT INTO users (telegram_id, role, created_at) VALUES (?, 'citizen', '')",
            (telegram_id,),
        )


def users(database: Path) -> int:
    with closing(sqlite3.connect(database)) as conn:
        return conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def names(directory: Path, part: str) -> list[Path]:
    return [path for path in directory.iterdir() if part in path.name]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sqlite_file(path: Path, sql: str) -> Path:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.executescript(sql)
    return path


async def test_wrong_files_are_refused_and_the_database_stays_intact(
    bot: BotProcess, tmp_path: Path
) -> None:
    assert (await bot.command("init-db"))[0] == 0
    add_user(bot.database, 1)
    good = tmp_path / "good.sqlite3"
    assert (await bot.command("backup", str(good)))[0] == 0
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(good.read_bytes())
    sqlite_file(newer, f"PRAGMA user_version = {len(MIGRATIONS) + 1};")
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    wrong = {
        empty: "the file is empty",
        sqlite_file(tmp_path / "notes.sqlite3", "CREATE TABLE notes (t TEXT);"): "schema version 0",
        sqlite_file(tmp_path / "zero.sqlite3", "PRAGMA user_version = 0;"): "schema version 0",
        sqlite_file(
            tmp_path / "other.sqlite3", "CREATE TABLE notes (t TEXT); PRAGMA user_version = 5;"
        ): "tables missing",
        newer: "newer version",
        tmp_path / "text.txt": "not a usable database",
    }
    (tmp_path / "text.txt").write_text("hello\n" * 100)
    before = digest(bot.database)
    for path, reason in wrong.items():
        code, out, err = await bot.command("restore", str(path))
        assert code == 1, path.name
        assert out == "" and err.count("\n") == 1 and err.startswith("error: ")
        assert reason in err, (path.name, err)
        assert digest(bot.database) == before
        assert users(bot.database) == 1
    assert names(tmp_path, ".restoring") == names(tmp_path, ".replaced") == []


@pytest.mark.skipif(os.geteuid() != 0, reason="handing files to another user needs root")
async def test_restore_as_root_keeps_the_replaced_database_and_the_owner(
    bot: BotProcess, tmp_path: Path
) -> None:
    key = Fernet.generate_key().decode()
    bot.env = {"PEERBOT_BACKUP_KEY": key}
    assert (await bot.command("init-db"))[0] == 0
    add_user(bot.database, 1)
    backup = tmp_path / "backup.sqlite3.enc"
    assert (await bot.command("backup", str(backup)))[0] == 0
    add_user(bot.database, 2)
    os.chown(bot.database, SERVICE_USER, SERVICE_USER)
    bot.database.chmod(0o640)
    lock = bot.database.with_name(bot.database.name + ".lock")
    lock.unlink(missing_ok=True)

    code, out, err = await bot.command("restore", str(backup))
    assert (code, err) == (0, ""), err
    assert users(bot.database) == 1
    info = bot.database.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (SERVICE_USER, SERVICE_USER, 0o640)
    assert lock.stat().st_uid == SERVICE_USER
    kept = names(tmp_path, ".replaced-")
    assert len(kept) == 1 and kept[0].name.endswith(".enc")
    assert f"kept as {kept[0]}" in out
    copy = kept[0].stat()
    assert (copy.st_uid, copy.st_mode & 0o777) == (SERVICE_USER, 0o600)
    plain = tmp_path / "replaced.sqlite3"
    plain.write_bytes(Fernet(key.encode()).decrypt(kept[0].read_bytes()))
    assert users(plain) == 2  # the replaced database, whole
    plain.unlink()
    for suffix in ("-wal", "-shm", ".restoring", ".restoring-wal", ".restoring-shm"):
        assert not bot.database.with_name(bot.database.name + suffix).exists(), suffix
