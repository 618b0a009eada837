"""The sandbox's configuration, clock and command line, without starting a browser."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot import cli
from bot.clock import RunningClock
from bot.sandbox.config import COORDINATOR_ID, demo_start, sandbox_config
from bot.sandbox.view import shown_path
from tests.helpers.ready import READY_FOR_CITIZENS

ROOT = Path(__file__).resolve().parent.parent.parent
CPH = ZoneInfo("Europe/Copenhagen")

REAL = """\
[telegram]
token = "999:REAL-TOKEN"
api_base_url = "https://api.telegram.org/bot"
[storage]
database = "/var/lib/peerbot/peerbot.sqlite3"
[organisation]
name = "Peer-støtte Aarhus"
[coordinators]
user_ids = [111111111]
[health]
listen = "127.0.0.1:9108"
[backup]
directory = "backups"
[escalation]
ack_timeout_minutes = 7
[minors]
minimum_age = 16
age_bands = [16, 18, 25]
[[minors.services]]
name = { da = "Ungelinjen Aarhus", en = "Aarhus youth line" }
phone = "86 00 00 00"
hours = { da = "hverdage 15-21", en = "weekdays 15-21" }
verified = 2026-11-30
[alarm]
smtp_host = "smtp.example.dk"
from = "peerbot@example.dk"
to = ["duty@example.dk"]
"""


def test_the_sandbox_keeps_the_settings_but_never_the_secrets_or_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEERBOT_TOKEN", "888:FROM-ENVIRONMENT")
    monkeypatch.setenv("PEERBOT_BACKUP_KEY", "secret")
    path = tmp_path / "peerbot.toml"
    path.write_text(REAL, encoding="utf-8")
    config = sandbox_config(path, tmp_path / "sandbox-data")
    assert config.organisation_name == "Peer-støtte Aarhus"
    assert config.escalation_ack_minutes == 7
    assert config.minimum_age == 16 and config.age_limits == (16, 18, 25)
    assert [line.phone for line in config.youth_services] == ["86 00 00 00"]
    assert config.token == ""
    assert config.backup_key is None and config.backup_directory is None
    assert config.health_listen is None
    assert config.alarm.smtp_host == "" and not config.alarm.to  # never a real e-mail
    assert config.database == (tmp_path / "sandbox-data" / "sandbox.db").resolve()
    assert config.coordinator_ids == (COORDINATOR_ID,) and config.backup_coordinator_ids == ()


def test_without_a_configuration_file_the_sandbox_uses_defaults(tmp_path: Path) -> None:
    config = sandbox_config(tmp_path / "peerbot.toml", tmp_path / "data")
    assert config.coordinator_ids == (COORDINATOR_ID,)
    assert config.default_language == "da"


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (datetime(2026, 3, 4, 11, 30, tzinfo=CPH), datetime(2026, 3, 4, 11, 30, tzinfo=CPH)),
        (datetime(2026, 3, 4, 20, 0, tzinfo=CPH), datetime(2026, 3, 5, 10, 0, tzinfo=CPH)),
        (datetime(2026, 3, 4, 7, 0, tzinfo=CPH), datetime(2026, 3, 4, 10, 0, tzinfo=CPH)),
        (datetime(2026, 3, 7, 12, 0, tzinfo=CPH), datetime(2026, 3, 9, 10, 0, tzinfo=CPH)),
    ],
)
def test_the_sandbox_clock_starts_in_office_hours(
    tmp_path: Path, now: datetime, start: datetime
) -> None:
    config = sandbox_config(None, tmp_path)
    assert demo_start(config, now.astimezone(UTC)) == start


def test_running_clock_runs_and_jumps() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = RunningClock(start)
    first = clock.now()
    assert start <= first < start + timedelta(minutes=1)
    assert clock.advance(timedelta(hours=2)) >= first + timedelta(hours=2)
    assert clock.now() >= first + timedelta(hours=2)


def test_run_without_token_starts_the_sandbox_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PEERBOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    started: list[dict[str, object]] = []

    async def fake_serve(config: object, **options: object) -> None:
        started.append({"config": config, **options})

    monkeypatch.setattr("bot.sandbox.serve_sandbox", fake_serve)
    monkeypatch.setattr(cli, "configure_logging", lambda *args, **kwargs: None)
    assert cli.main(["run"]) == 1  # a service unit without a token fails, as before
    assert started == []
    assert cli.main(["run", "--sandbox-without-token"]) == 0
    assert "@BotFather" in capsys.readouterr().err
    (options,) = started
    assert options["host"] == "127.0.0.1" and options["port"] == 8080
    assert options["config"].database == tmp_path / "sandbox-data" / "sandbox.db"  # type: ignore[attr-defined]
    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    (tmp_path / "peerbot.toml").write_text("[coordinators]\nuser_ids = [1]\n", encoding="utf-8")
    started.clear()
    monkeypatch.setattr("bot.runner.serve", fake_serve)
    # With a token it is the real bot: unverified lines keep it from starting, sandbox or not.
    assert cli.main(["run", "--sandbox-without-token"]) == 1
    assert started == [] and "not ready for citizens" in capsys.readouterr().err
    (tmp_path / "peerbot.toml").write_text(
        "[coordinators]\nuser_ids = [1]\n" + READY_FOR_CITIZENS, encoding="utf-8"
    )
    assert cli.main(["run", "--sandbox-without-token"]) == 0
    assert started and "webhook_url" in started[0]  # with a token: the real bot


def test_make_run_is_the_sandbox_without_a_token() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: .*\n\t\$\(BIN\)/peerbot run --sandbox-without-token$", makefile, re.M)


async def test_peerbot_sandbox_serves_the_page_and_stops_cleanly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PEERBOT_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--port",
        "0",
        "--no-open",
        "--data",
        str(tmp_path / "data"),
        "--start",
        "2026-03-02T10:00",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        url = None
        for _ in range(50):  # log lines may come first
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert line, "the sandbox ended before it served the page"
            url = re.search(rb"Sandbox running at (http://127\.0\.0\.1:\d+/)", line)
            if url is not None:
                break
        assert url is not None
        async with httpx.AsyncClient(base_url=url[1].decode(), timeout=10) as http:
            assert "SANDBOX" in (await http.get("/")).text
            state = (await http.get("/api/state")).json()
        assert [p["role"] for p in state["phones"]] == ["citizen", "peer", "coordinator"]
        assert state["database"] == str((tmp_path / "data" / "sandbox.db").resolve())
        assert state["database_shown"] == "data/sandbox.db"  # relative to where it started
        assert datetime.fromtimestamp(state["clock_ms"] / 1000, CPH).hour == 10
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_taken_port_is_one_clear_error(tmp_path: Path) -> None:
    from bot.errors import PeerbotError
    from bot.sandbox import serve_sandbox

    taken = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = taken.sockets[0].getsockname()[1]
    try:
        with pytest.raises(PeerbotError, match="--port"):
            await serve_sandbox(sandbox_config(None, tmp_path), port=port)
    finally:
        taken.close()
        await taken.wait_closed()
    assert not (tmp_path / "sandbox.db").exists()  # nothing was started


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/srv/peerbot/sandbox-data/sandbox.db", "sandbox-data/sandbox.db"),
        ("/home/kim/try/sandbox.db", "~/try/sandbox.db"),
        (
            "/tmp/pytest-of-root/pytest-7/test_a_long_name0/sandbox-data/sandbox.db",
            "…/sandbox-data/sandbox.db",
        ),
        ("/var/sandbox.db", "/var/sandbox.db"),
    ],
)
def test_the_page_shows_the_database_path_short(path: str, shown: str) -> None:
    assert shown_path(Path(path), cwd=Path("/srv/peerbot"), home=Path("/home/kim")) == shown
