"""`peerbot export-stats`: exit codes, one-line errors, and a CSV of aggregates only."""

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import Database
from tests.services.test_statistics import seed


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "peerbot.toml"
    path.write_text(
        '[coordinators]\nuser_ids = [1]\n[storage]\ndatabase = "db.sqlite3"\n', encoding="utf-8"
    )
    return path


async def seeded(path: Path) -> None:
    db = await Database.open(path)
    try:
        await seed(db)
    finally:
        await db.close()


def test_writes_the_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = config_file(tmp_path)
    asyncio.run(seeded(tmp_path / "db.sqlite3"))
    out = tmp_path / "october.csv"
    argv = ["--config", str(config), "export-stats", "--from", "2026-10-01", "--to", "2026-10-31"]
    assert main([*argv, "--csv", str(out)]) == 0
    assert capsys.readouterr().out.strip() == (f"statistics 2026-10-01..2026-10-31 written: {out}")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "period,measure,value"
    assert "2026-10-01..2026-10-31,requests,8" in lines
    assert "2026-10-01..2026-10-31,offers_declined,<5" in lines
    assert "2026-W41,requests,<5" in lines


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-10-32", "2026-10-31"),
        ("2026-11-01", "2026-10-01"),
        ("x", "y"),
        ("0001-01-01", "0001-01-02"),  # before the first representable time in the zone
        ("9999-12-30", "9999-12-31"),  # the day after does not exist
    ],
)
def test_bad_dates_are_one_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], start: str, end: str
) -> None:
    config = config_file(tmp_path)
    asyncio.run(seeded(tmp_path / "db.sqlite3"))
    out = tmp_path / "x.csv"
    argv = ["--config", str(config), "export-stats", "--from", start, "--to", end]
    assert main([*argv, "--csv", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: not a period") and "\n" not in err
    assert not out.exists()


def test_missing_arguments_are_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config_file(tmp_path)), "export-stats", "--from", "2026-10-01"])
    assert exited.value.code == 2


def test_no_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--config", str(config_file(tmp_path)), "export-stats"]
    assert main([*argv, "--from", "2026-10-01", "--to", "2026-10-31", "--csv", "x.csv"]) == 1
    assert "no database" in capsys.readouterr().err


def test_a_long_period_is_allowed_for_the_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_file(tmp_path)
    asyncio.run(seeded(tmp_path / "db.sqlite3"))
    out = tmp_path / "years.csv"
    argv = ["--config", str(config), "export-stats", "--from", "2020-01-01", "--to", "2026-12-31"]
    assert main([*argv, "--csv", str(out)]) == 0
    assert "2020-01-01..2026-12-31,requests,10" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("version", "advice"), [(0, "peerbot init-db"), (1, "peerbot migrate")])
def test_an_old_schema_points_to_migrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: int, advice: str
) -> None:
    async def old() -> None:
        db = await Database.open(tmp_path / "db.sqlite3", migrate=False)
        try:
            await db.migrate(version)
            await db.execute("CREATE TABLE IF NOT EXISTS keep (x)")  # a real, non-empty file
        finally:
            await db.close()

    asyncio.run(old())
    argv = ["--config", str(config_file(tmp_path)), "export-stats"]
    out = tmp_path / "x.csv"
    assert main([*argv, "--from", "2026-10-01", "--to", "2026-10-31", "--csv", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert advice in err and "\n" not in err
    assert not out.exists()
