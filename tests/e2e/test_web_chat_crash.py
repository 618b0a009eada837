"""The web chat loses nothing to SIGKILL: `peerbot run` with the web chat on, killed at random
moments while a web citizen and their Telegram peer write to each other.

Every message the web chat accepted (answered 202) reaches the peer, and every message the
peer sent reaches the web citizen's transcript, after the restarts. The page's own rule is
followed: a send that got no answer is sent again, so delivery is at least once.
"""

from __future__ import annotations

import asyncio
import random
import signal
import socket
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.domain import WEB_CHAT_BASE
from bot.fakebot import FakeTelegram
from bot.storage import Database
from bot.storage import contacts as contact_store
from bot.storage import users as user_store
from bot.storage import web_chat as web_store
from bot.storage.users import Role
from bot.web.chats import hash_secret
from tests.helpers.process import BotProcess, eventually

PEER = 2001
WEB_CHAT = WEB_CHAT_BASE + 4242
SECRET = "a-secret-only-this-test-knows-0123456789abc"
MESSAGES = 30
KILLS = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def seed(path: Path, now: datetime) -> None:
    db = await Database.open(path)
    async with db.transaction() as tx:
        await web_store.create_session(tx, WEB_CHAT, hash_secret(SECRET), "en", now)
        citizen = await user_store.ensure(
            tx, WEB_CHAT, Role.CITIZEN, now, language="en", pseudonym="Lærke 42"
        )
        peer = await user_store.ensure(tx, PEER, Role.PEER, now, language="en", pseudonym="Maja")
        await contact_store.create_contact(tx, None, citizen.id, peer.id, now)
    await db.close()


async def send(http: aiohttp.ClientSession, base: str, text: str) -> None:
    """As the page does: again until the web chat says it has the message."""
    while True:
        try:
            async with http.post(
                f"{base}/api/send",
                json={"text": text},
                headers={"Authorization": f"Bearer {SECRET}"},
                timeout=aiohttp.ClientTimeout(total=5),
            ) as response:
                if response.status == 202:
                    return
        except (aiohttp.ClientError, TimeoutError):
            pass
        await asyncio.sleep(0.05)


async def up(http: aiohttp.ClientSession, base: str) -> None:
    """Wait until the (re)started process serves the web chat."""
    for _ in range(600):
        try:
            async with http.get(base + "/", timeout=aiohttp.ClientTimeout(total=2)) as page:
                if page.status == 200:
                    return
        except (aiohttp.ClientError, TimeoutError):
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the web chat did not come up")


def transcript(db_path: Path) -> list[str]:
    """The bot's messages in the web conversation (read beside the running process: WAL)."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT text FROM web_messages WHERE chat_id = ? AND from_bot = 1", (WEB_CHAT,)
        ).fetchall()
    return [row[0] for row in rows]


def all_in(texts: list[str], lines: list[str]) -> bool:
    return all(any(text in line for line in lines) for text in texts)


async def test_sigkill_while_both_sides_write_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261203)
    fake = FakeTelegram()
    peer = fake.user(PEER, "Maja", language_code="en")
    await seed(tmp_path / "bot.sqlite3", datetime.now(UTC))
    port = free_port()
    bot = BotProcess(fake, tmp_path, config_extra=f'[web_chat]\nlisten = "127.0.0.1:{port}"\n')
    base = f"http://127.0.0.1:{port}/chat"
    await bot.serve()
    to_peer = [f"web message {n}" for n in range(MESSAGES)]
    to_web = [f"peer message {n}" for n in range(MESSAGES)]
    try:
        async with aiohttp.ClientSession() as http:
            sent = 0
            for kill in range(KILLS + 1):
                await bot.start()
                await up(http, base)
                batch = MESSAGES // (KILLS + 1)
                writing = asyncio.gather(
                    *(send(http, base, text) for text in to_peer[sent : sent + batch])
                )
                for text in to_web[sent : sent + batch]:
                    peer.send_text(text)
                if kill < KILLS:
                    await asyncio.sleep(rng.uniform(0.05, 0.8))
                    await bot.kill(signal.SIGKILL)
                    await bot.start()  # the page's resends find the bot again
                await writing
                sent += batch
                if kill < KILLS:
                    await bot.kill(signal.SIGKILL)
            database = tmp_path / "bot.sqlite3"
            await eventually(
                lambda: all_in(to_peer, peer.texts) and all_in(to_web, transcript(database)),
                120,
            )
            await bot.kill(signal.SIGTERM)
    finally:
        await bot.close()
    assert all_in(to_web, transcript(tmp_path / "bot.sqlite3"))
    assert all_in(to_peer, peer.texts)
