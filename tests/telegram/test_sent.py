"""The note of sent message ids and of contact with Telegram (bot/telegram/sent.py), through
PTB's real `Bot` on the strict fake: the `BaseRequest` wrapper sees every call."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import Forbidden

from bot.clock import FakeClock
from bot.fakebot import FakeRequest, FakeTelegram, Fault
from bot.runtime import Runtime
from bot.telegram.sent import MessageLog, RecordingRequest, TelegramContact
from tests.conftest import START
from tests.helpers.harness import make_config


class Noted(MessageLog):
    """Keeps what the wrapper reports instead of writing it to the database."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self.ids: list[tuple[int, int, bool]] = []
        self.contacts = 0

    def noted(self, chat_id: int, message_id: int, *, from_bot: bool) -> None:
        self.ids.append((chat_id, message_id, from_bot))

    def contact(self) -> None:
        self.contacts += 1


def layered(fake: FakeTelegram, noted: Noted) -> RecordingRequest:
    """As the application layers them: sent ids noted above, Telegram's answers below."""
    return RecordingRequest(TelegramContact(FakeRequest(fake), noted), noted)


@pytest.fixture
def noted(tmp_path: Path) -> Noted:
    log = Noted(Runtime(config=make_config(tmp_path), clock=FakeClock(START)))
    log.recording = True
    return log


async def test_every_new_message_is_noted_and_every_success_is_contact(noted: Noted) -> None:
    fake = FakeTelegram()
    ada = fake.user(1001, "Ada")
    ada.send_text("/start")
    bot = Bot(fake.token, request=layered(fake, noted))
    async with bot:
        first = await bot.send_message(ada.id, "hej")
        await bot.send_chat_action(ada.id, "typing")  # no message
        await bot.edit_message_text("hej igen", chat_id=ada.id, message_id=first.message_id)
        copied = await bot.copy_message(ada.id, ada.id, first.message_id)
        forwarded = await bot.forward_message(ada.id, ada.id, first.message_id)
        contacts = noted.contacts
        fake.inject(Fault.forbidden(), method="sendMessage")
        with pytest.raises(Forbidden):
            await bot.send_message(ada.id, "blocked")
    assert noted.ids == [
        (ada.id, first.message_id, True),
        (ada.id, copied.message_id, True),
        (ada.id, forwarded.message_id, True),
    ]
    assert contacts >= 5 and noted.contacts == contacts  # a refused call is no contact


async def test_nothing_is_noted_before_start_up_or_after_shutdown(noted: Noted) -> None:
    noted.recording = False
    fake = FakeTelegram()
    ada = fake.user(1001, "Ada")
    ada.send_text("/start")
    bot = Bot(fake.token, request=layered(fake, noted))
    async with bot:
        await bot.send_message(ada.id, "hej")
    assert noted.ids == [] and noted.contacts == 0
