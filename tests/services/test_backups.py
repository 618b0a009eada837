from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.storage.backups import new_key
from tests.helpers.harness import Harness


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
