"""A strict fake Telegram Bot API for tests and the sandbox.

    fake = FakeTelegram()
    bot = telegram.Bot(fake.token, request=FakeRequest(fake), get_updates_request=FakeRequest(fake))
    citizen = fake.user(1001, "Ada")
    citizen.send_text("/start")                       # the bot gets it from getUpdates
    assert citizen.texts[-1].startswith("Hej")        # what the bot answered, after edits

Every request is checked against the Bot API specification shipped beside this file
(``api.min.json``) and answered with Telegram's own envelopes, so PTB raises its real errors.
``FakeBotApiServer`` serves the same core over HTTP for a bot running as a real process.
"""

from bot.fakebot.actors import FakeChat, FakeUser
from bot.fakebot.core import FakeTelegram, Fault, RecordedCall
from bot.fakebot.errors import ApiError, InjectedTimeout
from bot.fakebot.http import FakeBotApiServer
from bot.fakebot.request import FakeRequest
from bot.fakebot.spec import BotApiSpec, UploadedFile

__all__ = [
    "ApiError",
    "BotApiSpec",
    "FakeBotApiServer",
    "FakeChat",
    "FakeRequest",
    "FakeTelegram",
    "FakeUser",
    "Fault",
    "InjectedTimeout",
    "RecordedCall",
    "UploadedFile",
]
