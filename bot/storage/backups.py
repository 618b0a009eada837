"""Backups that can be encrypted, and a restore that checks before it replaces anything.

A backup is SQLite's online copy of the live database; with a key (``PEERBOT_BACKUP_KEY``, a
Fernet key from ``peerbot backup-key``) the file is encrypted and authenticated, so a lost copy
reveals nothing. Restore decrypts, runs ``PRAGMA integrity_check`` and checks the schema
version on a temporary copy, and only then replaces the database.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from bot.errors import StorageError
from bot.storage.database import Database
from bot.storage.migrations import MIGRATIONS

FERNET_PREFIX = b"gAAAAA"


def new_key() -> str:
    return Fernet.generate_key().decode()


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError) as exc:
        raise StorageError("the backup key is not a valid key (make one with backup-key)") from exc


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


async def back_up(db: Database, target: Path, key: str | None) -> None:
    """Copy the live database to `target`, encrypted when a key is given."""
    if key is None:
        await db.backup(target)
        return
    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch) / "copy.sqlite3"
        await db.backup(plain)
        _write_private(target, _fernet(key).encrypt(plain.read_bytes()))


def restore(source: Path, database: Path, key: str | None) -> int:
    """Check the backup, then put it in place of `database`; returns its schema version.

    The caller holds the instance lock, so no bot is running on the database.
    """
    data = source.read_bytes()
    if data.startswith(FERNET_PREFIX):
        if key is None:
            raise StorageError("this backup is encrypted: set PEERBOT_BACKUP_KEY")
        try:
            data = _fernet(key).decrypt(data)
        except InvalidToken as exc:
            raise StorageError("the backup key does not open this backup") from exc
    candidate = database.with_name(database.name + ".restoring")
    _write_private(candidate, data)
    try:
        version = _verify(candidate)
    except (sqlite3.DatabaseError, StorageError):
        candidate.unlink(missing_ok=True)
        raise
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    candidate.replace(database)
    return version


def _verify(path: Path) -> int:
    try:
        with sqlite3.connect(path) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()
            version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"not a usable database: {exc}") from exc
    if result is None or result[0] != "ok":
        raise StorageError("the backup failed its integrity check")
    if version > len(MIGRATIONS):
        raise StorageError(f"the backup is from a newer version (schema {version})")
    return int(version)
