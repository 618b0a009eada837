"""Every sentence a web citizen reads is true in the web chat: no Telegram names, menus or
settings, and what it says about the conversation kept on our server is what the code does.

A Telegram citizen still reads the Telegram texts (`tests/journeys/test_privacy.py`,
`test_forget.py` and `test_erasure.py` keep those exact)."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from bot.services import privacy
from bot.storage import users as user_store
from tests.helpers.flows import ADULT, INTAKE_ANSWERS, in_contact, make_peer, press
from tests.helpers.harness import Harness
from tests.helpers.web import WebCitizen

# The one sentence a web citizen reads about Telegram, because it is true: the peers and
# coordinators their words reach work there.
PEERS_IN_TELEGRAM = privacy.peers_work_in_telegram


class Seen:
    """Every text the web citizen was shown along the way, deleted ones included."""

    def __init__(self, web: WebCitizen) -> None:
        self.web = web
        self.texts: list[str] = []

    def note(self) -> None:
        for message in self.web.messages:
            if message["from"] == "bot" and message["text"] not in self.texts:
                self.texts.append(message["text"])
        for toast in self.web.toasts:
            if toast not in self.texts:
                self.texts.append(toast)

    async def write(self, text: str) -> str:
        await self.web.write(text)
        self.note()
        return self.web.texts[-1]

    async def press(self, label: str) -> str:
        await self.web.press(label)
        self.note()
        return self.web.texts[-1]


def assert_no_telegram(h: Harness, texts: list[str]) -> None:
    """No text speaks of Telegram, except the one true sentence about peers and coordinators."""
    allowed = {PEERS_IN_TELEGRAM(h.rt.translator(language)) for language in ("da", "en")}
    for text in texts:
        for sentence in allowed:
            text = text.replace(sentence, "")
        assert "Telegram" not in text, text
        for telegram_only in ("Clear history", "block the bot", "Message preview"):
            assert telegram_only not in text, text


async def test_a_web_citizens_whole_journey_speaks_of_the_web_chat_never_of_telegram(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    seen = Seen(web)
    await web.start("en")
    seen.note()
    age = await seen.press("Talk to a peer")
    assert "only this conversation, so that you can come back to it on this device" in age
    assert "Nothing is stored yet." not in age

    consent = await seen.press(ADULT)
    assert len(consent) <= 4096
    for truth in (
        "The web chat asks for no name, e-mail address or phone number",
        "we do not store your IP address or which browser you use",
        "We keep this conversation (your messages and the ones you get here) on our server",
        'It is deleted when you use /delete or "Forget this device" in the menu, or when you '
        "have not been here for 30 days and have no request or contact open.",
        'on a shared device, choose "Forget this device"',
        "Our peers and coordinators work in Telegram",
        "Everything else is deleted",
    ):
        assert truth in consent, truth
    for untrue in ("passed on, not kept", "ordinary Telegram chat", "Telegram name"):
        assert untrue not in consent, untrue

    for label in ("I agree", *INTAKE_ANSWERS, "Skip"):
        await seen.press(label)
    assert any("know you as:" in text for text in seen.texts)
    await seen.press("Send request")

    notice = await seen.write("/privacy")
    for truth in (
        "In the web chat we also keep this conversation itself",
        "have not been here for 30 days and have no request or contact open",
        "Your name: the web chat asks for no name",
        "The web chat runs on Peer-støtte Test's own server",
        "Your browser keeps a secret key",
        'so on a shared device choose "Forget this device" in the menu',
        "your browser's push service (for example Google's or Apple's) carries a short "
        "notification to you; it is encrypted",
        "How long: everything else is deleted",
        "Datatilsynet",
    ):
        assert truth in notice, truth
    assert "We never keep the messages you exchange" not in notice
    assert "ordinary Telegram cloud chat" not in notice

    name = await seen.write("/name")
    assert "know you as:" in name and "Telegram name" not in name
    await seen.press("Keep")
    helps = await seen.write("/help")
    assert "/forget: clear the last 48 hours of this conversation" in helps

    forget = await seen.write("/forget")
    assert forget.startswith("Clear this conversation?")
    assert "from this device and from our server" in forget
    done = await seen.press("Yes, delete them")
    assert done.startswith(
        "Done: the messages of the last 48 hours are deleted, from this device and from our server."
    )
    assert '"Forget this device" in the menu' in done and "under Notifications in the menu" in done

    await seen.write("/delete")
    answer = await seen.press("Yes, delete everything")
    assert "Our conversation here has been deleted too: only this answer remains" in answer
    assert "otherwise it goes after 30 days without a visit" in answer
    assert_no_telegram(h, seen.texts)


async def test_a_web_citizen_the_bot_keeps_nothing_about_is_told_the_conversation_is_kept(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    seen = Seen(web)
    await web.start("en")
    seen.note()
    for command in ("/mydata", "/delete"):
        text = await seen.write(command)
        assert text.startswith("We have nothing stored about you, apart from this conversation")
    forget = await seen.write("/forget")
    assert forget.startswith("Nothing about you is stored, so I keep no list of messages")
    assert '"Forget this device" in the menu' in forget
    await seen.press("Talk to a peer")
    await seen.press(ADULT)
    refused = await seen.press("No thanks")
    assert 'only this conversation, which "Forget this device" in the menu deletes' in refused
    assert await user_store.by_telegram_id(h.rt.storage, await web.chat_id()) is None
    assert_no_telegram(h, seen.texts)


async def test_the_web_texts_are_danish_for_a_danish_web_citizen(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    seen = Seen(web)
    await web.start("da")
    seen.note()
    await seen.press("Tal med en")
    consent = await seen.press("18 år eller derover")
    assert "Glem denne enhed" in consent and "30 dage" in consent
    notice = await seen.write("/privacy")
    assert "Glem denne enhed" in notice
    assert_no_telegram(h, seen.texts)


async def test_forget_in_the_web_chat_empties_the_last_48_hours_on_the_server_and_keeps_older(
    harness: Harness, web: WebCitizen
) -> None:
    """What /forget promises there: the last 48 hours go from the transcript on our server (the
    text too, not only from view); older messages stay until the device is forgotten."""
    h = harness
    await web.start("en")
    for label in ("Talk to a peer", ADULT, "I agree"):
        await web.press(label)
    await web.write("Words from two days ago")
    chat_id = await web.chat_id()
    await h.tick(timedelta(hours=49))
    await web.write("Words from today")
    await web.write("/forget")
    await web.press("Yes, delete them")
    await web.reload()
    shown = [m["text"] for m in web.messages]
    assert "Words from two days ago" in shown
    assert "Words from today" not in shown
    assert shown[-1].startswith("Done: the messages of the last 48 hours are deleted")
    rows = await h.rt.storage.fetchall(
        "SELECT text, deleted FROM web_messages WHERE chat_id = ?", (chat_id,)
    )
    texts = [text for text, deleted in rows if not deleted]
    assert "Words from two days ago" in texts
    assert not any("Words from today" in text for text, _ in rows), "gone from the server too"


async def test_the_answer_left_after_delete_goes_after_the_days_without_a_visit(
    harness: Harness, web: WebCitizen
) -> None:
    """After /delete only the answer remains; as it says, it goes after `forget_after_days`
    without a visit (the rest of the transcript is asserted gone in test_web_journey.py)."""
    h = harness
    await web.start("en")
    for label in ("Talk to a peer", ADULT, "I agree"):
        await web.press(label)
    await web.write("/delete")
    await web.press("Yes, delete everything")
    chat_id = await web.chat_id()
    days = h.config.web_chat.forget_after_days
    await h.tick(timedelta(days=days - 1))
    row = await h.rt.storage.fetchone(
        "SELECT COUNT(*) FROM web_messages WHERE chat_id = ? AND deleted = 0", (chat_id,)
    )
    assert row is not None and row[0] == 1
    await h.tick(timedelta(days=1, minutes=1))
    row = await h.rt.storage.fetchone(
        "SELECT COUNT(*) FROM web_messages WHERE chat_id = ?", (chat_id,)
    )
    assert row is not None and row[0] == 0


async def test_the_server_keeps_no_ip_address_or_browser_name(harness: Harness) -> None:
    """As the consent screen and /privacy say."""
    h = harness
    browser = "Mozilla/5.0 (Zorblatt Phone) ZorblattBrowser/9.9"
    async with aiohttp.ClientSession(headers={"User-Agent": browser}) as session:
        web = WebCitizen(h, session)
        await web.start("en")
        for label in ("Talk to a peer", ADULT, "I agree"):
            await web.press(label)
        await web.write("hello")
        echoed = await web.call("GET", "/api/messages")
        assert echoed.status == 200
    await h.rt.storage.checkpoint()
    database = h.rt.storage.path
    raw = database.read_bytes()
    wal = database.with_name(database.name + "-wal")
    if wal.exists():
        raw += wal.read_bytes()
    assert b"Zorblatt" not in raw
    assert b"127.0.0.1" not in raw


async def test_a_telegram_citizen_still_reads_the_telegram_texts(harness: Harness) -> None:
    h = harness
    _peer, citizen = await in_contact(h)
    citizen.send_text("/forget")
    await h.settle()
    assert "Telegram does not let me delete older ones." in citizen.texts[-1]
    await press(h, citizen, "Yes, delete them")
    assert "Clear history" in citizen.texts[-1] and "Message preview" in citizen.texts[-1]
    citizen.send_text("/privacy")
    await h.settle()
    notice = citizen.texts[-1]
    assert "ordinary Telegram cloud chat" in notice
    assert "We never keep the messages you exchange with your peer" in notice
    assert "web chat" not in notice and "Forget this device" not in notice
    citizen.send_text("/delete")
    await h.settle()
    await press(h, citizen, "Yes, delete everything")
    assert (
        "Our chat here is kept by Telegram until you delete it in Telegram." in (citizen.texts[-1])
    )
    assert "Forget this device" not in citizen.texts[-1]


async def test_contact_help_now_ending_and_a_cancelled_request_say_nothing_of_telegram(
    harness: Harness, web: WebCitizen
) -> None:
    """The rest of a web citizen's way, with a Telegram peer: no text there names Telegram."""
    h = harness
    seen = Seen(web)
    peer = await make_peer(h, 2001, "Maja")
    await web.start("en")
    seen.note()
    for label in ("Talk to a peer", ADULT, "I agree", "Anxiety"):
        await seen.press(label)
    cancelled = await seen.press("Cancel")
    assert "nothing from it was kept, apart from this conversation itself" in cancelled
    await seen.write("/start")
    for label in ("Talk to a peer", ADULT, *INTAKE_ANSWERS, "Skip", "Send request"):
        await seen.press(label)
    peer.press_button("Accept")
    await h.settle()
    await web.read()
    seen.note()
    await seen.write("Hello Maja")
    peer.send_text("Hello, good to meet you.")
    await h.settle()
    await web.read()
    seen.note()
    await seen.write("/status")
    await seen.write("🆘 I need help now")
    await seen.write("/end")
    await seen.press("End contact with Maja")
    await seen.press("Yes, end it")
    assert "has ended" in peer.texts[-1]
    assert any(text.startswith("The contact with Maja has ended.") for text in seen.texts)
    await seen.press("5")  # the feedback question
    assert_no_telegram(h, seen.texts)


async def test_the_visit_of_a_new_conversation_is_kept_to_the_minute_too(
    harness: Harness,
) -> None:
    """As the README says ("the last visit to the minute"), from the first moment."""
    h = harness
    h.clock.advance(timedelta(seconds=37, microseconds=123456))
    async with aiohttp.ClientSession() as session:
        web = WebCitizen(h, session)
        await web.start("en", first=None)
    row = await h.rt.storage.fetchone("SELECT created_at, seen_at FROM web_sessions")
    assert row is not None
    minute = h.clock.now().replace(second=0, microsecond=0).isoformat()
    assert (row[0], row[1]) == (minute, minute)
