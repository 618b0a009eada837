"""The daily backup: one file a day (after `backup.time`) in the configured folder; the last
`backup.keep_days` days are kept, older ones deleted.

Backups are kept no longer than `backup.keep_days` (never more than the retention period), so
data erased with /delete does not live on in old copies. Encrypted when a key is configured.
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from pathlib import Path

from bot.runtime import Runtime
from bot.storage import audit as audit_store
from bot.storage.backups import back_up

log = logging.getLogger(__name__)

STAMP = "backup.last_run"
NAME = re.compile(r"^peerbot-(\d{4}-\d{2}-\d{2})\.sqlite3(\.enc)?$")


def backup_name(day: date, encrypted: bool) -> str:
    return f"peerbot-{day.isoformat()}.sqlite3" + (".enc" if encrypted else "")


async def daily_backup(rt: Runtime) -> Path | None:
    """Take today's backup (once a day) and prune; None when off or already done today."""
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
