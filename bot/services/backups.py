"""The daily backup: one file a day (after `backup.time`) in the configured folder; the last
`backup.keep_days` days are kept, older ones deleted.

Backups are kept no longer than `backup.keep_days` (never more than the retention period), so
data erased with /delete does not live on in old copies. Encrypted when a key is configured.
The copy taken before a schema migration (`<database>.before-migration-from-vN`, encrypted
the same way) falls under the same rule: it is deleted `backup.keep_days` after it was taken,
whether or not daily backups are switched on.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.runtime import Runtime
from bot.storage import audit as audit_store
from bot.storage.backups import back_up

log = logging.getLogger(__name__)

STAMP = "backup.last_run"
MIGRATION_COPY = ".before-migration-from-v"
MIGRATION_STAMP = "backup.migration-copy:"  # + file name -> when it was taken
NAME = re.compile(r"^peerbot-(\d{4}-\d{2}-\d{2})\.sqlite3(\.enc)?$")


def backup_name(day: date, encrypted: bool) -> str:
    return f"peerbot-{day.isoformat()}.sqlite3" + (".enc" if encrypted else "")


def migration_copy_path(database: Path, version: int) -> Path:
    return database.with_name(f"{database.name}{MIGRATION_COPY}{version}")


async def note_migration_copy(rt: Runtime, copy: Path) -> None:
    """Remember when the pre-migration copy was taken, so that it ages like a backup."""
    await audit_store.set_meta(rt.storage, MIGRATION_STAMP + copy.name, rt.now().isoformat())


async def prune_migration_copies(rt: Runtime) -> int:
    """Delete pre-migration copies older than `backup.keep_days`; returns how many.

    A copy whose time is not noted (taken by an older version) is dated by its file's time,
    so it, too, is gone `backup.keep_days` after it was written."""
    database = rt.config.database
    now = rt.now()
    removed = 0
    for path in database.parent.glob(database.name + MIGRATION_COPY + "*"):
        key = MIGRATION_STAMP + path.name
        noted = await audit_store.get_meta(rt.storage, key)
        if noted is None:
            written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            noted = min(written, now).isoformat()
            await audit_store.set_meta(rt.storage, key, noted)
        if now - datetime.fromisoformat(noted) >= timedelta(days=rt.config.backup_keep_days):
            path.unlink(missing_ok=True)
            await audit_store.delete_meta(rt.storage, key)
            removed += 1
    if removed:
        log.info("%d pre-migration copy(ies) past backup.keep_days deleted", removed)
    return removed


async def copies_remain(rt: Runtime) -> bool:
    """Whether any copy of the database (a backup or a pre-migration copy) may exist."""
    database = rt.config.database
    return rt.config.backup_directory is not None or any(
        database.parent.glob(database.name + MIGRATION_COPY + "*")
    )


async def daily_backup(rt: Runtime) -> Path | None:
    """Take today's backup (once a day) and prune; None when off or already done today."""
    await prune_migration_copies(rt)
    directory = rt.config.backup_directory
    if directory is None:
        return None
    now = rt.now()
    local = now.astimezone(rt.config.timezone)
    today = local.date()
    last = await audit_store.get_meta(rt.storage, STAMP)
    if local.time() < rt.config.backup_time or last == today.isoformat():
        return None
    target = directory / backup_name(today, rt.config.backup_key is not None)
    await back_up(rt.storage, target, rt.config.backup_key)
    await audit_store.set_meta(rt.storage, STAMP, today.isoformat())
    removed = prune(directory, today - timedelta(days=rt.config.backup_keep_days))
    log.info("daily backup written; %d old backup(s) deleted", removed)
    return target


def prune(directory: Path, before: date) -> int:
    """Delete our backups dated before `before`; other files in the folder are left alone."""
    removed = 0
    for path in directory.iterdir():
        match = NAME.match(path.name)
        if match and date.fromisoformat(match.group(1)) < before:
            path.unlink()
            removed += 1
    return removed
