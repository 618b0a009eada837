"""Health: the command, /healthz and /metrics on the loopback listener."""

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.fakebot import FakeBotApiServer, FakeTelegram
from bot.runner import serve
from tests.e2e.test_webhook import free_port
from tests.helpers.harness import make_config
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
        assert "1001" not in text and "Ada" not in text
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
