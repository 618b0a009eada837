"""Backups that can be encrypted, and a restore that checks before it replaces anything.

A backup is SQLite's online copy of the live database; with a key (``PEERBOT_BACKUP_KEY``, a
Fernet key from ``peerbot backup-key``) the file is encrypted and authenticated, so a lost copy
reveals nothing. Restore decrypts, runs ``PRAGMA integrity_check`` and checks that it is a
peerbot database of a known schema on a temporary copy, keeps a copy of the database it
replaces, and only then replaces it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from bot.errors import StorageError
from bot.storage.database import Database
from bot.storage.migrations import MIGRATIONS, split_statements

FERNET_PREFIX = b"gAAAAA"
SQLITE_HEADER = b"SQLite format 3\x00"


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


@dataclass(frozen=True)
class Restored:
    version: int
    kept: Path | None  # the copy of the database that was replaced, if there was one


def restore(source: Path, database: Path, key: str | None, now: datetime) -> Restored:
    """Check the backup, keep a copy of the database it replaces, then put it in place.

    Refused, with the database untouched: an empty file, anything that is not SQLite, a SQLite
    database that is not peerbot's (schema 0, or tables missing for its version), a schema newer
    than this program, one that fails the integrity check. The replaced database is copied
    beside itself first (encrypted when a key is set, mode 0600); the new file gets the owner and
    mode of the old one, so a restore run as root leaves nothing the service user cannot open.
    The caller holds the instance lock, so no bot is running on the database.
    """
    data = source.read_bytes()
    if not data:
        raise StorageError("the file is empty: not a backup")
    if data.startswith(FERNET_PREFIX):
        if key is None:
            raise StorageError("this backup is encrypted: set PEERBOT_BACKUP_KEY")
        try:
            data = _fernet(key).decrypt(data)
        except InvalidToken as exc:
            raise StorageError("the backup key does not open this backup") from exc
    if not data.startswith(SQLITE_HEADER):
        raise StorageError("not a usable database: neither a SQLite file nor an encrypted backup")
    candidate = database.with_name(database.name + ".restoring")
    _write_private(candidate, data)
    try:
        version = _verify(candidate)
    except (sqlite3.DatabaseError, StorageError):
        candidate.unlink(missing_ok=True)
        raise
    finally:
        _remove_journals(candidate)
    owner = database.stat() if database.exists() else None
    kept = None
    if owner is not None:
        kept = database.with_name(
            f"{database.name}.replaced-{now:%Y%m%dT%H%M%S}" + (".enc" if key else "")
        )
        _copy_private(database, kept, key)
        _same_owner(kept, owner, mode=0o600)
    _remove_journals(database)
    candidate.replace(database)
    if owner is not None:
        _same_owner(database, owner, mode=stat.S_IMODE(owner.st_mode))
    return Restored(version, kept)


def _remove_journals(database: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def _copy_private(database: Path, target: Path, key: str | None) -> None:
    """SQLite's own copy (it includes what is still in the WAL), encrypted when a key is set."""
    with tempfile.TemporaryDirectory(dir=database.parent) as scratch:
        plain = Path(scratch) / "copy.sqlite3"
        with closing(sqlite3.connect(database)) as live, closing(sqlite3.connect(plain)) as copy:
            live.backup(copy)
        data = plain.read_bytes()
    _write_private(target, _fernet(key).encrypt(data) if key else data)


def _same_owner(path: Path, owner: os.stat_result, *, mode: int) -> None:
    path.chmod(mode)
    if os.geteuid() == 0:
        os.chown(path, owner.st_uid, owner.st_gid)


def give_to_owner_of(path: Path, database: Path) -> None:
    """Run as root for a service user, a file made beside the database (the lock) is the
    service user's too, or the service cannot open it afterwards."""
    if os.geteuid() == 0 and database.exists() and path.exists():
        owner = database.stat()
        os.chown(path, owner.st_uid, owner.st_gid)


def _verify(path: Path) -> int:
    try:
        with closing(sqlite3.connect(path)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"not a usable database: {exc}") from exc
    if result is None or result[0] != "ok":
        raise StorageError("the backup failed its integrity check")
    if version > len(MIGRATIONS):
        raise StorageError(
            f"the backup is from a newer version (schema {version}; this program knows "
            f"{len(MIGRATIONS)})"
        )
    if version < 1:
        raise StorageError("not a peerbot database (schema version 0)")
    missing = expected_tables(version) - tables
    if missing:
        raise StorageError(
            f"not a peerbot database: tables missing for schema {version}: "
            + ", ".join(sorted(missing))
        )
    return int(version)


def expected_tables(version: int) -> set[str]:
    """The tables a peerbot database of `version` has: the migrations run on an empty one."""
    with closing(sqlite3.connect(":memory:", isolation_level=None)) as conn:
        for script in MIGRATIONS[:version]:
            for statement in split_statements(script):
                conn.execute(statement)
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
