"""`peerbot run` as a real process against the HTTP fake Bot API."""

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fakebot import FakeTelegram, Fault
from tests.helpers.process import COORDINATOR, BotProcess, eventually


@pytest.fixture
async def bot_process(tmp_path: Path) -> AsyncIterator[BotProcess]:
    bot = BotProcess(FakeTelegram(), tmp_path)
    await bot.serve()
    try:
        yield bot
    finally:
        await bot.close()


def alerts(fake: FakeTelegram) -> list[str]:
    return [t for t in fake.user(COORDINATOR).texts if "#1" in t]


async def test_talks_to_a_user_and_stops_cleanly(bot_process: BotProcess) -> None:
    fake = bot_process.fake
    citizen = fake.user(1001, "Ada", language_code="en")
    await bot_process.start()
    citizen.send_text("/start")
    await eventually(lambda: any("Hi, and welcome" in t for t in citizen.texts))
    citizen.press_button("Language")
    await eventually(lambda: any("Which language" in t for t in citizen.texts))
    assert await bot_process.kill(signal.SIGTERM) == 0
    log = bot_process.log_text
    assert "stopped cleanly" in log
    assert "Ada" not in log and "1001" not in log and fake.token not in log


async def test_urgent_request_survives_sigkill_before_any_send(bot_process: BotProcess) -> None:
    fake = bot_process.fake
    fake.user(COORDINATOR, "Coco", language_code="en")
    citizen = fake.user(1001, language_code="en")
    # Every send hangs, so the process dies after storing the request but before sending.
    fake.inject(Fault.timeout(delay=60), method="sendMessage", times=100)
    await bot_process.start()
    citizen.send_text("/help_now")
    await eventually(lambda: any(c.method == "sendMessage" for c in fake.calls))
    await bot_process.kill(signal.SIGKILL)
    assert alerts(fake) == []

    fake.clear_faults()
    await bot_process.start()
    await eventually(lambda: len(alerts(fake)) >= 1)
    await eventually(lambda: any("You are not alone" in t for t in citizen.texts))
    await bot_process.kill(signal.SIGTERM)
    assert len(alerts(fake)) == 1


async def test_update_fetched_but_not_handled_is_not_lost(bot_process: BotProcess) -> None:
    fake = bot_process.fake
    fake.user(COORDINATOR, "Coco", language_code="en")
    citizen = fake.user(1001, language_code="en")
    await bot_process.start()
    await eventually(lambda: any(c.method == "getMe" for c in fake.calls))
    citizen.send_text("/help_now")
    await eventually(lambda: not fake.pending_updates() or len(alerts(fake)) > 0, within=20)
    await bot_process.kill(signal.SIGKILL)
    await bot_process.start()
    await eventually(lambda: len(alerts(fake)) >= 1)
    await bot_process.kill(signal.SIGTERM)
    assert len(alerts(fake)) == 1


async def test_second_instance_on_the_same_database_refuses(bot_process: BotProcess) -> None:
    await bot_process.start()
    await eventually(lambda: any(c.method == "getMe" for c in bot_process.fake.calls))
    second = BotProcess(bot_process.fake, bot_process.directory, server=bot_process.server)
    await second.start()
    assert second.process is not None
    assert await second.process.wait() == 1
    await bot_process.kill(signal.SIGTERM)
