import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import backups
from bot.storage.backups import new_key
from tests.helpers.harness import Harness
from tests.services import given


async def test_daily_backup_once_a_day_encrypted_and_old_ones_pruned(
    harness: Harness, tmp_path: Path
) -> None:
    h = harness
    folder = tmp_path / "backups"
    h.config = replace(h.config, backup_directory=folder, backup_keep_days=3, backup_key=new_key())
    await h.restart()
    folder.mkdir(exist_ok=True)
    (folder / "notes.txt").write_text("not ours")
    await h.tick()
    first = sorted(p.name for p in folder.glob("peerbot-*"))
    assert first == ["peerbot-2026-03-02.sqlite3.enc"]
    assert b"SQLite format" not in (folder / first[0]).read_bytes()
    await h.tick(timedelta(hours=2))
    assert len(list(folder.glob("peerbot-*"))) == 1
    for _ in range(5):
        await h.tick(timedelta(days=1))
    names = sorted(p.name for p in folder.glob("peerbot-*"))
    assert names == [f"peerbot-2026-03-0{d}.sqlite3.enc" for d in (4, 5, 6, 7)]
    assert (folder / "notes.txt").exists()


async def test_daily_backup_waits_for_its_time_of_day(harness: Harness, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    h = harness
    folder = tmp_path / "backups"
    h.config = replace(h.config, backup_directory=folder)
    h.clock.set(datetime(2026, 3, 3, 0, 0, tzinfo=UTC))  # 01:00 in Copenhagen
    await h.restart()
    await h.tick()
    assert not folder.exists() or not list(folder.iterdir())
    await h.tick(timedelta(hours=2, minutes=30))  # 03:30
    assert [p.name for p in folder.iterdir()] == ["peerbot-2026-03-03.sqlite3"]


# Without Telegram: the service called directly, as the sweep calls it.


async def test_the_service_writes_a_readable_copy_once_a_day_after_its_time(
    rt: Runtime, clock: FakeClock, tmp_path: Path
) -> None:
    folder = tmp_path / "direct"
    folder.mkdir()
    rt.config = replace(rt.config, backup_directory=folder, backup_keep_days=2)
    await given.citizen(rt)
    clock.set(datetime(2026, 3, 3, 1, 59, tzinfo=UTC))  # 02:59 in Copenhagen
    assert await backups.daily_backup(rt) is None
    clock.set(datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    written = await backups.daily_backup(rt)
    assert written == folder / "peerbot-2026-03-03.sqlite3"
    with closing(sqlite3.connect(written)) as copy:
        assert copy.execute("SELECT telegram_id FROM users").fetchall() == [(given.CITIZEN,)]
    clock.advance(timedelta(hours=20))  # 23:00 the same day
    assert await backups.daily_backup(rt) is None
    for day in (4, 5, 6):
        clock.set(datetime(2026, 3, day, 8, 0, tzinfo=UTC))
        assert await backups.daily_backup(rt) is not None
    assert sorted(p.name for p in folder.iterdir()) == [
        "peerbot-2026-03-04.sqlite3",
        "peerbot-2026-03-05.sqlite3",
        "peerbot-2026-03-06.sqlite3",
    ]


async def test_a_copy_taken_before_a_migration_is_deleted_after_keep_days(
    rt: Runtime, clock: FakeClock
) -> None:
    rt.config = replace(rt.config, backup_keep_days=3)
    copy = backups.migration_copy_path(rt.config.database, 20)
    copy.write_bytes(b"copy")
    await backups.note_migration_copy(rt, copy)
    assert await backups.copies_remain(rt)
    clock.advance(timedelta(days=3) - timedelta(seconds=1))
    assert await backups.prune_migration_copies(rt) == 0 and copy.exists()
    clock.advance(timedelta(seconds=1))
    assert await backups.prune_migration_copies(rt) == 1 and not copy.exists()
    assert not await backups.copies_remain(rt)
