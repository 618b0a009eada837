"""The web chat in a real browser: Debian's headless chromium, driven by Playwright, on the page
the bot's own web chat listener serves, with a peer and a coordinator on the fake Bot API.

Each walk reloads the page in the middle and checks that the whole transcript comes back.
Every test also checks that the page made no console error, broke no rule of the
Content-Security-Policy, opened no dialog and asked nothing of any host but 127.0.0.1.
The server handles the page's requests in this test's event loop, so the test waits with
Playwright's `expect` (which lets the loop run) and settles the bot after Telegram-side actions;
nothing sleeps on the wall clock. Screenshots go to $PEERBOT_ARTIFACTS/web.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
import pytest_asyncio

from bot.clock import FakeClock
from bot.fakebot import FakeTelegram, FakeUser
from tests.helpers.flows import coordinator, make_peer, press
from tests.helpers.harness import Harness, make_config, started
from tests.sandbox.test_browser import CHROMIUM_ARGS, chromium
from tests.web.conftest import WEB_CHAT

# One browser for the module (one event loop for it and the tests); each test has its own bot,
# database and browser context (its own localStorage), so no state passes between tests.
pytestmark = pytest.mark.asyncio(loop_scope="module")

SECRET_KEY = "peerbot-chat-secret"
HELP_NOW = "🆘 I need help now"
XSS = "<img src=x onerror=alert(1)>"
# Reports every CSP violation to the test, before any of the page's own script runs.
RECORD_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.peerbotCspViolation(event.violatedDirective + " " + event.blockedURI);
});
"""


def artifacts() -> Path:
    folder = Path(
        os.environ.get("PEERBOT_ARTIFACTS") or Path(tempfile.gettempdir()) / "peerbot-artifacts"
    )
    folder = folder / "web"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright, expect

    path = chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI; .ci/run installs it with apt-get")
        pytest.skip("no chromium at /usr/bin/chromium (apt-get install chromium)")
    expect.set_options(timeout=15_000)  # a loaded two-core machine; waits end when it is there
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(loop_scope="module")
async def harness(tmp_path: Path, fake: FakeTelegram, clock: FakeClock) -> AsyncIterator[Harness]:
    """As tests/web/conftest.py's, in the module's event loop (the browser's)."""
    async with started(make_config(tmp_path, WEB_CHAT), fake, clock) as h:
        yield h


@dataclass
class Device:
    """One browser (its own localStorage), and everything its pages did that they must not."""

    h: Harness
    context: Any
    console: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self.h.web is not None
        return f"http://127.0.0.1:{self.h.web.port}{self.h.config.web_chat.path}/"

    async def open(self, query: str = "?lang=en") -> Any:
        """A new tab on the chat page (the same device: same localStorage)."""
        page = await self.context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        page.on("dialog", self._dialog)
        page.on("request", lambda request: self.requests.append(request.url))
        await page.goto(self.url + query)
        return page

    def violation(self, report: str) -> None:
        self.violations.append(report)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text} {message.location}")

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()

    def check(self) -> None:
        """Nothing went wrong that a person would not see: no console error, no CSP violation,
        no alert, nothing asked of another host."""
        assert self.console == []
        assert self.violations == []
        assert self.dialogs == []
        assert self.requests, "no request was recorded"
        foreign = [
            url
            for url in self.requests
            if urlsplit(url).scheme != "data" and urlsplit(url).hostname != "127.0.0.1"
        ]
        assert foreign == []


async def new_device(browser: Any, h: Harness, **options: Any) -> Device:
    context = await browser.new_context(
        viewport=options.pop("viewport", {"width": 1000, "height": 800}),
        locale="en-GB",
        service_workers="block",
        **options,
    )
    device = Device(h, context)
    await context.expose_function("peerbotCspViolation", device.violation)
    await context.add_init_script(RECORD_CSP)
    return device


@pytest_asyncio.fixture(loop_scope="module")
async def device(browser: Any, harness: Harness) -> AsyncIterator[Device]:
    """A phone-sized browser context, closed before the bot stops."""
    device = await new_device(browser, harness, viewport={"width": 412, "height": 860})
    try:
        yield device
    finally:
        await device.context.close()


# ---- what a person does on the page ------------------------------------------------------------


def log(page: Any) -> Any:
    return page.get_by_role("log")


async def expect_in_log(page: Any, text: str) -> None:
    from playwright.async_api import expect

    await expect(log(page)).to_contain_text(text)


async def tap(page: Any, label: str) -> None:
    """Press the newest button with this label under a message of the bot."""
    await log(page).get_by_role("button", name=label, exact=True).last.click()


async def start(page: Any) -> None:
    await page.get_by_role("button", name="Start a conversation").click()
    await expect_in_log(page, "welcome to")


async def write(page: Any, text: str) -> None:
    """Type into the text box and press Enter; returns when the server has it."""
    from playwright.async_api import expect

    box = page.get_by_role("textbox", name="Write a message")
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")
    await expect(page.locator(".message.me:not(.pending)").last).to_contain_text(text)


async def secret(page: Any) -> str:
    value = await page.evaluate("key => localStorage.getItem(key)", SECRET_KEY)
    assert isinstance(value, str) and value
    return value


async def chat_id(h: Harness, page: Any) -> int:
    assert h.rt.web is not None
    session = await h.rt.web.find(await secret(page))
    assert session is not None
    return session.chat_id


async def transcript(page: Any) -> list[str]:
    """What the page shows, once nothing is on its way."""
    from playwright.async_api import expect

    await expect(page.locator(".message.pending")).to_have_count(0)
    return await log(page).locator(".message").all_inner_texts()


async def reload_whole(page: Any) -> list[str]:
    """Reload the page; the whole transcript comes back from the server, as it was."""
    from playwright.async_api import expect

    before = await transcript(page)
    assert before
    await page.reload()
    await expect(log(page).locator(".message")).to_have_text(before, use_inner_text=True)
    return before


async def shot(page: Any, name: str) -> None:
    await page.screenshot(path=str(artifacts() / f"{name}.png"), animations="disabled")


async def intake(page: Any, h: Harness) -> None:
    """Welcome, age, consent, topic, language, times, no note, send: what flows.ask_for_peer
    does on Telegram, by the page's buttons."""
    await start(page)
    await tap(page, "Talk to a peer")
    await tap(page, "18 or over")
    await tap(page, "I agree")
    await tap(page, "Anxiety")
    await expect_in_log(page, "Which language would you like to talk in?")
    await reload_whole(page)
    await tap(page, "Dansk")
    await tap(page, "Evenings")
    await tap(page, "Skip")
    await expect_in_log(page, "Please check your request")
    await tap(page, "Send request")
    await expect_in_log(page, "While you wait")
    await h.settle()


async def in_contact(page: Any, h: Harness) -> FakeUser:
    """The web citizen asks, the peer Maja accepts on Telegram."""
    peer = await make_peer(h, 2001, "Maja")
    await intake(page, h)
    assert "A citizen would like to talk with a peer." in peer.texts[-1]
    peer.press_button("Accept")
    await h.settle()
    await expect_in_log(page, "Maja has said yes")
    return peer


# ---- the walks -----------------------------------------------------------------------------------


async def test_intake_in_the_browser_sends_the_request_to_a_peer(
    harness: Harness, device: Device
) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    page = await device.open()
    await page.get_by_role("button", name="Start a conversation").wait_for()
    await shot(page, "1-start")
    await intake(page, h)
    offer = peer.texts[-1]
    assert "A citizen would like to talk with a peer." in offer
    assert "Topic: Anxiety" in offer and "When: Evenings" in offer
    whole = await reload_whole(page)
    assert "While you wait" in whole[-1]
    await shot(page, "1-request-sent")
    device.check()


async def test_the_relay_with_a_telegram_peer_survives_a_reload(
    harness: Harness, device: Device
) -> None:
    from playwright.async_api import expect

    h = harness
    page = await device.open()
    peer = await in_contact(page, h)
    await write(page, "Hello, it is hard to sleep lately.")
    await h.settle()
    assert "Hello, it is hard to sleep lately." in peer.texts[-1]
    await reload_whole(page)
    peer.send_text("Thank you for writing. What keeps you awake?")
    await h.settle()
    await expect(log(page).locator(".message.bot").last).to_contain_text("What keeps you awake?")
    await expect(log(page).locator(".message.bot").last).to_contain_text("Maja")

    # Markup from either side is text, never HTML.
    await write(page, XSS)
    await h.settle()
    assert XSS in peer.texts[-1]
    peer.send_text(f"You wrote {XSS}")
    await h.settle()
    await expect(log(page).locator(".message.bot").last).to_contain_text(f"You wrote {XSS}")
    await reload_whole(page)
    await expect(page.locator("img")).to_have_count(0)
    mine = log(page).locator(".message.me .bubble").last
    assert await mine.text_content() == "You wrote: " + XSS
    await expect(log(page).locator(".message.bot .bubble").last).to_contain_text(XSS)
    await shot(page, "2-relay")
    device.check()


async def test_help_now_reaches_the_coordinator_and_the_page_shows_the_answer(
    harness: Harness, device: Device
) -> None:
    from playwright.async_api import expect

    h = harness
    coco = await coordinator(h)
    page = await device.open()
    await start(page)
    await reload_whole(page)
    help_now = page.get_by_role("button", name=HELP_NOW, exact=True)
    await expect(help_now).to_be_visible()
    await help_now.click()
    await expect_in_log(page, "I have told our coordinators")
    await h.settle()
    assert any("urgent" in text.lower() for text in coco.texts)
    await reload_whole(page)
    await expect(log(page).locator(".message.me").last).to_contain_text(HELP_NOW)
    await shot(page, "3-help-now")
    device.check()


async def test_a_check_in_waits_for_the_citizen_who_closed_the_page(
    harness: Harness, device: Device
) -> None:
    h = harness
    page = await device.open()
    peer = await in_contact(page, h)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    assert peer.texts[-1].startswith("Planned for")
    await page.close()

    await h.tick(timedelta(days=1))
    page = await device.open()  # the same browser: the same conversation comes back
    await expect_in_log(page, "How are you doing today?")
    await reload_whole(page)
    await shot(page, "4-check-in")
    await tap(page, "Worse")
    await expect_in_log(page, "I have told your peer")
    await h.settle()
    assert "things are worse" in peer.texts[-1]
    device.check()


async def test_delete_from_the_menu_leaves_only_the_answer_about_what_remains(
    harness: Harness, device: Device
) -> None:
    from playwright.async_api import expect

    h = harness
    page = await device.open()
    peer = await in_contact(page, h)
    await write(page, "My secret words")
    chat = await chat_id(h, page)
    await reload_whole(page)
    await page.get_by_role("button", name="Menu").click()
    await page.get_by_role("button", name="Delete my data").click()
    await tap(page, "Yes, delete everything")
    await expect(log(page).locator(".message")).to_have_count(1)
    remains = (await transcript(page))[0]
    await h.settle()
    assert "citizen chose to leave" in peer.texts[-1]
    await page.reload()
    await expect(log(page).locator(".message")).to_have_text([remains], use_inner_text=True)
    await expect(log(page).locator(".message.bot")).to_have_count(1)
    await expect(log(page)).not_to_contain_text("My secret words")
    rows = await h.rt.storage.fetchall("SELECT text FROM web_messages WHERE chat_id = ?", (chat,))
    assert len(rows) == 1 and rows[0][0] in remains
    for table, column in (("users", "telegram_id"), ("inbox", "chat_id")):
        found = await h.rt.storage.fetchall(f"SELECT 1 FROM {table} WHERE {column} = ?", (chat,))
        assert found == [], table
    await shot(page, "5-deleted")
    device.check()


async def test_forget_this_device_returns_to_the_start_and_ends_the_contact(
    harness: Harness, device: Device
) -> None:
    from playwright.async_api import expect

    h = harness
    page = await device.open()
    peer = await in_contact(page, h)
    old = await secret(page)
    await reload_whole(page)
    await page.get_by_role("button", name="Menu").click()
    await page.get_by_role("button", name="Forget this device").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await shot(page, "6-forget-dialog")
    await dialog.get_by_role("button", name="Yes, forget it").click()
    await expect(page.get_by_role("button", name="Start a conversation")).to_be_visible()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("log")).to_be_hidden()
    assert await page.evaluate("key => localStorage.getItem(key)", SECRET_KEY) is None
    await h.settle()
    assert "citizen chose to leave" in peer.texts[-1]
    async with (
        aiohttp.ClientSession() as http,
        http.get(device.url + "api/messages", headers={"Authorization": f"Bearer {old}"}) as answer,
    ):
        assert answer.status == 401
    await page.reload()
    await expect(page.get_by_role("button", name="Start a conversation")).to_be_visible()
    await shot(page, "6-forgotten")
    device.check()


# ---- phones, keyboards and screen readers ------------------------------------------------------


async def no_sideways_scroll(page: Any) -> None:
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 360


async def test_at_360_px_nothing_scrolls_sideways(browser: Any, harness: Harness) -> None:
    h = harness
    device = await new_device(browser, h, viewport={"width": 360, "height": 740})
    try:
        page = await device.open()
        await page.get_by_role("button", name="Start a conversation").wait_for()
        await no_sideways_scroll(page)
        await shot(page, "360-start")
        await start(page)
        await write(page, "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3)
        await write(page, "https://www.example.dk/" + "a-very-long-path-without-spaces" * 4)
        await expect_in_log(page, "welcome to")
        await no_sideways_scroll(page)
        await page.get_by_role("button", name="Menu").click()
        await no_sideways_scroll(page)
        await shot(page, "360-conversation")
        device.check()
    finally:
        await device.context.close()


async def test_keyboard_alone_reaches_help_now_the_text_box_and_send(
    harness: Harness, device: Device
) -> None:
    from playwright.async_api import expect

    page = await device.open()
    start_button = page.get_by_role("button", name="Start a conversation")
    await start_button.wait_for()
    for _ in range(10):
        await page.keyboard.press("Tab")
        if await start_button.evaluate("b => b === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the start button")
    await page.keyboard.press("Enter")
    await expect_in_log(page, "welcome to")
    transcript_log = log(page)
    await expect(transcript_log).to_have_attribute("aria-live", "polite")

    # From the top of the (reloaded) page, Tab goes: help now first, then the text box, then
    # Send.
    await reload_whole(page)
    order: list[str] = []
    for _ in range(40):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.id || document.activeElement.tagName")
        order.append(focused)
        if focused == "send":
            break
    assert order[0] == "help-now", order
    assert "message" in order and order.index("message") == order.index("send") - 1, order
    focus_ring = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring != "none"  # the focus is visible

    await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_role("textbox", name="Write a message")).to_be_focused()
    await page.keyboard.type("Typed with the keyboard alone")
    await page.keyboard.press("Enter")
    await expect(page.locator(".message.me:not(.pending)").last).to_contain_text(
        "Typed with the keyboard alone"
    )
    await expect(transcript_log).to_have_attribute("aria-live", "polite")
    device.check()
