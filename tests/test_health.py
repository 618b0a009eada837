"""Health: the command, /healthz and /metrics on the loopback listener."""

import asyncio
import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from telegram.error import NetworkError

from bot import metrics
from bot.cli import main
from bot.clock import FakeClock
from bot.fakebot import FakeBotApiServer, FakeTelegram, Fault
from bot.runner import serve
from bot.scheduling import PROBE_AFTER, keep_in_touch
from bot.services import health
from tests.e2e.test_webhook import free_port
from tests.helpers.harness import Harness, make_config
from tests.helpers.process import eventually


async def get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_healthz_and_metrics_while_polling(tmp_path: Path) -> None:
    fake = FakeTelegram()
    server = FakeBotApiServer(fake)
    await server.start()
    port = free_port()
    config = replace(
        make_config(tmp_path), api_base_url=server.base_url, health_listen=f"127.0.0.1:{port}"
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(config, stop=stop))
    try:
        citizen = fake.user(1001, "Ada", language_code="en")
        fake.user(9001, "Coco", language_code="en")
        await eventually(lambda: any(c.method == "getMe" for c in fake.calls))
        citizen.send_text("/help_now")
        await eventually(lambda: any("You are not alone" in t for t in citizen.texts))
        status, body = await get(port, "/healthz")
        report = json.loads(body)
        assert report["database"] == "ok" and report["escalations_open"] == 1
        assert status in (200, 503)
        status, body = await get(port, "/metrics")
        assert status == 200
        text = body.decode()
        assert 'peerbot_escalations_raised_total{reason="button"}' in text
        assert "peerbot_updates_handled_total" in text
        # The id as a number of its own (a float timestamp may contain the digits by chance).
        assert not re.search(r"(?<![\d.])1001(?![\d.e])", text) and "Ada" not in text
        assert (await get(port, "/nothing"))[0] == 404
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
        await server.stop()


def test_health_command_reports_and_exits_1_without_telegram_contact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "peerbot.toml"
    config.write_text('[coordinators]\nuser_ids = [1]\n[storage]\ndatabase = "db.sqlite3"\n')
    assert main(["--config", str(config), "init-db"]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "health", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["database"] == "ok"
    assert "no recent successful contact with Telegram" in report["problems"]


def test_health_json_is_json_even_without_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "peerbot.toml"
    config.write_text('[coordinators]\nuser_ids = [1]\n[storage]\ndatabase = "db.sqlite3"\n')
    assert main(["--config", str(config), "health", "--json"]) == 1
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert report["database"] == "missing" and report["healthy"] is False
    assert report["problems"] == [f"no database at {tmp_path / 'db.sqlite3'}"]
    assert main(["--config", str(config), "health"]) == 1
    assert capsys.readouterr().err == f"error: no database at {tmp_path / 'db.sqlite3'}\n"


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def test_request_gauge_drops_to_zero_for_a_state_without_rows(harness: Harness) -> None:
    rt = harness.rt
    await rt.storage.execute(
        "INSERT INTO users (id, telegram_id, role, created_at) VALUES (1, 1001, 'citizen', '')"
    )
    await rt.storage.execute(
        "INSERT INTO requests (citizen_id, status, created_at) VALUES (1, 'waiting', '')"
    )
    await health.refresh_gauges(rt)
    assert sample("peerbot_requests", {"state": "waiting"}) == 1
    await rt.storage.execute("UPDATE requests SET status = 'cancelled'")
    await health.refresh_gauges(rt)
    assert sample("peerbot_requests", {"state": "waiting"}) == 0
    assert sample("peerbot_requests", {"state": "cancelled"}) == 1
    assert sample("peerbot_requests", {"state": "active"}) == 0  # shown, though never seen


async def test_a_failing_get_updates_is_counted_as_a_telegram_error(harness: Harness) -> None:
    assert harness.poller is not None
    before = sample("peerbot_telegram_errors_total", {"kind": "network"})
    harness.fake.inject(Fault.server_error(502), method="getUpdates")
    with pytest.raises(NetworkError):
        await harness.poller.poll_once()
    assert sample("peerbot_telegram_errors_total", {"kind": "network"}) == before + 1


async def test_any_successful_call_is_contact_and_a_young_bot_is_not_unhealthy(
    harness: Harness, clock: FakeClock
) -> None:
    rt = harness.rt
    problem = "no recent successful contact with Telegram"
    await rt.storage.execute("DELETE FROM meta WHERE key = ?", (health.TELEGRAM_STAMP,))
    rt.telegram_last_ok = None
    assert problem not in (await health.report(rt)).problems  # just started
    clock.advance(health.START_GRACE + timedelta(seconds=1))
    assert problem in (await health.report(rt)).problems
    harness.user(1001, language="en").send_text("/start")  # the bot answers: a successful call
    await harness.settle()
    assert health.last_contact(rt) == clock.now()
    await health.note_telegram_ok(rt)
    assert (await health.report(rt)).healthy


async def test_a_quiet_bot_asks_telegram_once_a_minute_so_contact_stays_known(
    harness: Harness, clock: FakeClock
) -> None:
    rt = harness.rt
    assert harness.app is not None
    calls = len(harness.fake.calls_to("getWebhookInfo"))
    await keep_in_touch(harness.app.bot, rt)  # contact was just made at start-up
    assert len(harness.fake.calls_to("getWebhookInfo")) == calls
    clock.advance(PROBE_AFTER)
    await keep_in_touch(harness.app.bot, rt)
    assert len(harness.fake.calls_to("getWebhookInfo")) == calls + 1
    assert health.last_contact(rt) == clock.now()
    before = sample("peerbot_telegram_errors_total", {"kind": "network"})
    harness.fake.inject(Fault.server_error(502), method="getWebhookInfo")
    clock.advance(PROBE_AFTER)
    await keep_in_touch(harness.app.bot, rt)  # a failure is counted, not raised
    assert sample("peerbot_telegram_errors_total", {"kind": "network"}) == before + 1
