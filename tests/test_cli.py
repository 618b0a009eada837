"""The command line: exit codes, messages, and that the README documents every command."""

import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot import __version__
from bot.cli import build_parser, main
from tests.helpers.ready import READY_FOR_CITIZENS

ROOT = Path(__file__).resolve().parent.parent
GOOD = '[coordinators]\nuser_ids = [1]\n[storage]\ndatabase = "db.sqlite3"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "peerbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"peerbot {__version__}"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2


def test_check_config_names_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERBOT_TOKEN", raising=False)
    path = write(tmp_path, '[locale]\ntimezone = "Nowhere/Land"\n')
    assert main(["--config", str(path), "check-config"]) == 1
    err = capsys.readouterr().err
    assert "telegram.token" in err and "locale.timezone" in err and "coordinators" in err


def test_check_config_accepts_a_good_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    path = write(tmp_path, GOOD)
    assert main(["--config", str(path), "check-config"]) == 0
    assert "configuration OK" in capsys.readouterr().out


def test_run_without_token_explains_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERBOT_TOKEN", raising=False)
    assert main(["--config", str(write(tmp_path, GOOD)), "run"]) == 1
    assert "@BotFather" in capsys.readouterr().err


def test_init_db_and_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, GOOD)
    assert main(["--config", str(path), "init-db"]) == 0
    assert stat.S_IMODE((tmp_path / "db.sqlite3").stat().st_mode) == 0o600
    backup = tmp_path / "backups" / "copy.sqlite3"
    assert main(["--config", str(path), "backup", str(backup)]) == 0
    assert backup.exists()
    assert "backup written" in capsys.readouterr().out


def test_backup_without_database_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD)
    assert main(["--config", str(path), "backup", str(tmp_path / "x.sqlite3")]) == 1
    assert capsys.readouterr().err.startswith("error: no database")


def test_python_m_bot_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0 and "peerbot" in result.stdout


def test_every_command_is_in_the_readme_and_has_help() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():  # type: ignore[union-attr]
        assert f"peerbot {name}" in readme, name
        assert command.description and "Example:" in command.description, name


def test_quick_start_has_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None
    assert block.group(1).strip().splitlines() == ["make run", "make test"]


def _count_users(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def _add_user(path: Path, telegram_id: int) -> None:
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO users (telegram_id, role, created_at) VALUES (?, 'citizen', 'now')",
            (telegram_id,),
        )


def test_encrypted_backup_then_restore_brings_the_data_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path, GOOD)
    database = tmp_path / "db.sqlite3"
    assert main(["--config", str(config), "init-db"]) == 0
    _add_user(database, 1)
    capsys.readouterr()
    assert main(["backup-key"]) == 0
    key = capsys.readouterr().out.strip()
    monkeypatch.setenv("PEERBOT_BACKUP_KEY", key)
    backup = tmp_path / "b.sqlite3.enc"
    assert main(["--config", str(config), "backup", str(backup)]) == 0
    assert b"SQLite format" not in backup.read_bytes()
    _add_user(database, 2)
    assert _count_users(database) == 2
    assert main(["--config", str(config), "restore", str(backup)]) == 0
    assert _count_users(database) == 1
    assert main(["--config", str(config), "migrate", "--dry-run"]) == 0  # the bot's open path
    assert "0 migration(s) pending" in capsys.readouterr().out

    monkeypatch.setenv("PEERBOT_BACKUP_KEY", key[:-4] + "AAA=")
    assert main(["--config", str(config), "restore", str(backup)]) == 1
    monkeypatch.delenv("PEERBOT_BACKUP_KEY")
    assert main(["--config", str(config), "restore", str(backup)]) == 1
    assert "encrypted" in capsys.readouterr().err


def test_restore_refuses_a_broken_file_and_a_running_bot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.runner import InstanceLock

    config = write(tmp_path, GOOD)
    assert main(["--config", str(config), "init-db"]) == 0
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not a database at all" * 100)
    assert main(["--config", str(config), "restore", str(broken)]) == 1
    assert "not a usable database" in capsys.readouterr().err
    good = tmp_path / "good.sqlite3"
    assert main(["--config", str(config), "backup", str(good)]) == 0
    lock = InstanceLock(tmp_path / "db.sqlite3")
    lock.acquire()
    try:
        assert main(["--config", str(config), "restore", str(good)]) == 1
        assert "already running" in capsys.readouterr().err
    finally:
        lock.release()


def test_privacy_docs_command_writes_six_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, GOOD)
    assert main(["--config", str(config), "privacy-docs", "--out", str(tmp_path / "docs")]) == 0
    written = capsys.readouterr().out.split()
    assert len(written) == 6 and all(Path(p).exists() for p in written)


def test_migrate_dry_run_lists_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from bot.storage import Database
    from bot.storage.migrations import MIGRATIONS

    async def make_old() -> None:
        db = await Database.open(tmp_path / "db.sqlite3", migrate=False)
        await db.migrate(2)
        await db.close()

    asyncio.run(make_old())
    config = write(tmp_path, GOOD)
    assert main(["--config", str(config), "migrate", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("3: escalations")
    assert f"{len(MIGRATIONS) - 2} migration(s) pending" in out

    async def version() -> int:
        db = await Database.open(tmp_path / "db.sqlite3", migrate=False)
        try:
            return await db.schema_version()
        finally:
            await db.close()

    assert asyncio.run(version()) == 2
    assert main(["--config", str(config), "migrate"]) == 0
    assert asyncio.run(version()) == len(MIGRATIONS)


def test_migrate_and_init_db_refuse_while_another_process_holds_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """They take the lock `peerbot run` takes: two writers never meet. A dry run writes
    nothing and may look while the bot runs."""
    import asyncio

    from bot.storage import Database
    from bot.storage.migrations import MIGRATIONS

    async def version() -> int:
        db = await Database.open(tmp_path / "db.sqlite3", migrate=False)
        try:
            if version_wanted is not None:
                await db.migrate(version_wanted)
            return await db.schema_version()
        finally:
            await db.close()

    version_wanted: int | None = 2
    asyncio.run(version())
    version_wanted = None
    config = write(tmp_path, GOOD)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from bot.runner import InstanceLock; "
            "lock = InstanceLock(Path(sys.argv[1])); lock.acquire(); print('held', flush=True); "
            "sys.stdin.read()",
            str(tmp_path / "db.sqlite3"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        for command in (["migrate"], ["init-db"]):
            assert main(["--config", str(config), *command]) == 1
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "already running" in err
        assert asyncio.run(version()) == 2  # nothing was migrated
        assert main(["--config", str(config), "migrate", "--dry-run"]) == 0
    finally:
        holder.communicate("")
    assert main(["--config", str(config), "migrate"]) == 0
    assert asyncio.run(version()) == len(MIGRATIONS)
    assert main(["--config", str(config), "init-db"]) == 0


def test_check_config_warns_about_unverified_emergency_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    old = GOOD + (
        '[[emergency]]\nphone = "112"\nname = { da = "Alarm", en = "Emergency" }\n'
        'hours = { da = "altid", en = "always" }\nverified = 2020-01-01\n'
        '[[emergency]]\nphone = "1813"\nname = { da = "Akut", en = "Urgent" }\n'
        'hours = { da = "altid", en = "always" }\n'
    )
    assert main(["--config", str(write(tmp_path, old)), "check-config"]) == 0
    err = capsys.readouterr().err
    assert "emergency[0] (112): last verified 2020-01-01" in err
    assert "emergency[1] (1813): no verified date" in err


def test_check_config_warns_about_the_dates_earlier_examples_shipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    copied = GOOD + (
        '[[emergency]]\nphone = "1813"\nname = { da = "Psykiatrisk akutmodtagelse", '
        'en = "Psychiatric emergency line" }\nhours = { da = "døgnet rundt", en = "24 hours" }\n'
        "verified = 2026-11-24\n"
    )
    assert main(["--config", str(write(tmp_path, copied)), "check-config"]) == 0
    err = capsys.readouterr().err
    assert "warning: emergency[0] (1813): verified 2026-11-24 is the date earlier example" in err
    assert "not a psychiatric line" in err


def run_process(tmp_path: Path, toml: str) -> subprocess.CompletedProcess[str]:
    """`peerbot run` as a real process with a real-looking token, against a closed port: if it
    got past its own checks it would fail on the network instead."""
    unreachable = f'[telegram]\napi_base_url = "http://127.0.0.1:{closed_port()}/bot"\n'
    path = write(tmp_path, GOOD + toml + unreachable)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(path), "run"],
        env=env | {"PEERBOT_TOKEN": "123:real-looking"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_run_refuses_unverified_emergency_lines_and_youth_services(tmp_path: Path) -> None:
    region = '[emergency]\nregion = "syddanmark"\n'
    verified_112 = '[[emergency.lines]]\nkey = "112"\nverified = 2026-12-01\n'
    limits = '[limits]\nda = "Vores egen tekst."\nen = "Our own text."\n'
    done = run_process(tmp_path, region + verified_112 + limits)
    assert done.returncode == 1
    err = done.stderr
    assert err.startswith("error: not starting: ") and "not ready for citizens" in err
    assert "peerbot sandbox" in err, "says what runs without it"
    # Each unverified line is named, with what to check and where to write the date.
    assert 'emergency "livslinien" (70 201 201): not verified; check number and hours at ' in err
    assert "sources disagree: 11-05 or 11-04" in err
    assert 'emergency "laegevagt" (70 11 07 07): not verified' in err
    assert 'in an [[emergency.lines]] entry with key = "laegevagt"' in err
    assert 'emergency "psykiatrisk_akutmodtagelse"' in err
    assert "minors.services[0] (116 111): not verified" in err
    assert "in minors.services[1]" in err
    assert 'emergency "112"' not in err, "the verified line is not named"
    assert "limits" not in err.split("\n", 1)[1], "the limits text was written"
    assert "cannot reach Telegram" not in err and "Traceback" not in err


def test_run_refuses_without_the_organisations_own_limits_text(tmp_path: Path) -> None:
    done = run_process(tmp_path, READY_FOR_CITIZENS.replace("[limits]", "[unused_limits]"))
    assert done.returncode == 1
    problems = [line for line in done.stderr.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1 and problems[0].startswith("  - limits: ")
    assert "[limits] with da =" in problems[0]


def test_run_starts_once_every_line_is_verified_and_limits_written(tmp_path: Path) -> None:
    done = run_process(tmp_path, READY_FOR_CITIZENS)
    assert done.returncode == 1
    assert "error: cannot reach Telegram" in done.stderr, "it got past its own checks"
    assert "not ready" not in done.stderr


def test_check_config_warns_when_no_region_and_no_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    assert main(["--config", str(write(tmp_path, GOOD)), "check-config"]) == 0
    err = capsys.readouterr().err
    assert "warning: emergency.region: not set" in err
    assert "warning: limits: not written; `peerbot run` will not start" in err
    assert 'warning: emergency "livslinien" (70 201 201): no verified date' in err
    region = GOOD + '[emergency]\nregion = "nordjylland"\n'
    assert main(["--config", str(write(tmp_path, region)), "check-config"]) == 0
    err = capsys.readouterr().err
    assert "emergency.region" not in err
    assert 'warning: emergency "laegevagt" (70 15 03 00): no verified date' in err


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_without_network_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    unreachable = f'[telegram]\napi_base_url = "http://127.0.0.1:{closed_port()}/bot"\n'
    path = write(tmp_path, GOOD + READY_FOR_CITIZENS + unreachable)
    assert main(["--config", str(path), "run"]) == 1
    err = capsys.readouterr().err
    assert "error: cannot reach Telegram: " in err
    assert "Traceback" not in err and "stopped cleanly" not in err


def test_webhook_without_secret_stops_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    monkeypatch.delenv("PEERBOT_WEBHOOK_SECRET", raising=False)
    path = write(tmp_path, GOOD + READY_FOR_CITIZENS)
    assert main(["--config", str(path), "run", "--webhook", "https://bot.example.org/t"]) == 1
    assert capsys.readouterr().err == (
        "error: webhook mode needs a secret: set PEERBOT_WEBHOOK_SECRET\n"
    )
    assert not (tmp_path / "db.sqlite3").exists()


def test_migrate_dry_run_on_a_missing_database_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.storage.migrations import MIGRATIONS

    config = write(tmp_path, GOOD)
    assert main(["--config", str(config), "migrate", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("1: ")
    assert f"{len(MIGRATIONS)} migration(s) pending" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["peerbot.toml"]


@pytest.mark.parametrize(
    "command",
    [["health"], ["export-stats", "--from", "2026-10-01", "--to", "2026-10-31", "--csv", "s.csv"]],
)
def test_reading_a_database_never_set_up_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    import sqlite3

    sqlite3.connect(tmp_path / "db.sqlite3").close()  # an empty file, as an old dry run left
    config = write(tmp_path, GOOD)
    assert main(["--config", str(config), *command]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not set up: run `peerbot init-db`" in err
    assert "no such table" not in err


def test_reading_a_database_behind_the_code_asks_for_migrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from bot.storage import Database

    async def make_old() -> None:
        db = await Database.open(tmp_path / "db.sqlite3", migrate=False)
        await db.migrate(2)
        await db.close()

    asyncio.run(make_old())
    assert main(["--config", str(write(tmp_path, GOOD)), "health"]) == 1
    assert "run `peerbot migrate` first" in capsys.readouterr().err
