"""The sandbox in a real headless browser (Debian's chromium driven by Playwright).

Clicks through what a person trying the bot would do: the citizen asks for a peer, the peer
accepts, they write to each other, the citizen presses "I need help now" and the coordinator
takes it. Screenshots go to $PEERBOT_ARTIFACTS (default: <tmp>/peerbot-artifacts/sandbox).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translator
from tests.sandbox.conftest import Running, phone_state

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DA = Translator("da", ZoneInfo("Europe/Copenhagen"))
EN = Translator("en", ZoneInfo("Europe/Copenhagen"))


def chromium() -> str | None:
    """Debian's chromium (or $PEERBOT_CHROMIUM); never a browser Playwright downloads."""
    for candidate in (
        os.environ.get("PEERBOT_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def artifacts() -> Path:
    folder = Path(
        os.environ.get("PEERBOT_ARTIFACTS") or Path(tempfile.gettempdir()) / "peerbot-artifacts"
    )
    folder = folder / "sandbox"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser_path() -> str:
    """Found before the sandbox starts, so a machine without chromium skips at once."""
    path = chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI; .ci/run installs it with apt-get")
        pytest.skip("no chromium at /usr/bin/chromium (apt-get install chromium)")
    return path


@pytest.fixture
async def page(browser_path: str, running: Running) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=15_000)  # a loaded two-core CI machine; waits end when it is there
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1260, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(15_000)
            page.on("dialog", lambda dialog: dialog.accept())
            await page.goto(running.url)
            yield page
        finally:
            await browser.close()


def phone(page: Any, role: str) -> Any:
    return page.locator(f".phone[data-role={role}]").first


async def press(page: Any, role: str, label: str) -> None:
    """Press the newest inline button with this label on a phone (waits until it is there)."""
    await phone(page, role).locator(".ikb", has_text=label).last.click()


async def write(page: Any, role: str, text: str) -> None:
    box = phone(page, role).locator(".composer input")
    await box.fill(text)
    await box.press("Enter")
    await expect_text(page, role, text)


async def expect_text(page: Any, role: str, text: str) -> None:
    from playwright.async_api import expect

    await expect(phone(page, role).locator(".msg", has_text=text).last).to_be_visible()


async def test_a_citizen_gets_a_peer_and_urgent_help_in_the_browser(
    page: Any, running: Running
) -> None:
    from playwright.async_api import expect

    shots = artifacts()
    await expect(page.locator("#phones .phone")).to_have_count(3)
    await expect(page.locator("header")).to_contain_text("SANDBOX")
    # Shown short (the whole path is in the title): relative, ~/..., or …/sandbox-data/...
    await expect(page.locator("#database")).to_have_text(re.compile(r"sandbox-data/sandbox\.db$"))
    await expect(page.locator("#database")).not_to_contain_text(
        str(running.sandbox.world.config.database.parent.parent)
    )
    await expect(phone(page, "peer").locator(".msg.bot").first).to_be_visible()
    await expect(phone(page, "citizen").locator(".msg")).to_have_count(0)

    # The citizen's Telegram speaks English; peer and coordinator stay Danish.
    async with page.expect_response(lambda r: r.url.endswith("/language")):
        await phone(page, "citizen").locator(".lang").select_option("en")
    await phone(page, "citizen").locator(".start").click()
    await press(page, "citizen", EN._("Talk to a peer"))
    await press(page, "citizen", EN._("{age} or over", age=18))
    await press(page, "citizen", EN._("I agree"))
    for label in ("Anxiety", "Dansk", "Evenings", "Skip", "Send request"):
        await press(page, "citizen", label)
    await page.screenshot(path=str(shots / "1-request-sent.png"), animations="disabled")

    # The peer is offered the request; accepting edits the offer in place.
    offer = phone(page, "peer").locator(".msg", has=page.locator(".ikb", has_text=DA._("Accept")))
    await expect(offer).to_have_count(1)
    offer_id = await offer.get_attribute("data-message-id")
    await press(page, "peer", DA._("Accept"))
    edited = phone(page, "peer").locator(f'.msg[data-message-id="{offer_id}"]')
    await expect(edited.locator(".ikb", has_text=DA._("Accept"))).to_have_count(0)
    await expect(edited.locator(".meta")).to_contain_text("edited")

    await write(page, "citizen", "Hello, is anyone there?")
    await expect_text(page, "peer", "Hello, is anyone there?")
    await write(page, "peer", "Hi, I am here. How are you today?")
    await expect_text(page, "citizen", "I am here. How are you today?")
    await page.screenshot(path=str(shots / "2-in-contact.png"), animations="disabled")

    await phone(page, "citizen").locator(".rkb", has_text=EN._("I need help now")).click()
    await expect_text(
        page, "citizen", EN._("Thank you for reaching out. You are not alone with this.")
    )
    await press(page, "coordinator", DA._("I'm handling it"))
    await expect(
        phone(page, "coordinator").locator(".ikb", has_text=DA._("I'm handling it"))
    ).to_have_count(0)
    await page.screenshot(path=str(shots / "3-urgent-acknowledged.png"), animations="disabled")
    assert running.sandbox.world.fake.unanswered_queries() == []


async def test_the_controls_of_the_page(page: Any, running: Running) -> None:
    from playwright.async_api import expect

    sandbox = running.sandbox
    citizen = phone(page, "citizen")
    await citizen.locator(".menu").click()
    await citizen.locator(".commands button", has_text="/help_now").click()
    await expect_text(
        page, "citizen", DA._("Thank you for reaching out. You are not alone with this.")
    )
    await expect(citizen.locator(".rkb")).to_have_count(1)  # the reply keyboard under the text box

    await citizen.locator(".block-toggle").check()
    await expect(citizen.locator(".blocked-note")).to_be_visible()
    await expect(citizen.locator(".composer input")).to_be_disabled()
    assert phone_state(sandbox, "citizen")["blocked"] is True
    await citizen.locator(".block-toggle").uncheck()
    await expect(citizen.locator(".blocked-note")).to_be_hidden()

    clock = page.locator("#clock")
    await expect(clock).to_contain_text("Mon 2 Mar")
    await page.get_by_role("button", name="+1 day").click()
    await expect(clock).to_contain_text("Tue 3 Mar")

    await page.get_by_role("button", name="+ Citizen").click()
    await page.get_by_role("button", name="+ Peer").click()
    await expect(page.locator("#phones .phone")).to_have_count(5)
    roles = await page.locator("#phones .phone").evaluate_all(
        "nodes => nodes.map(n => n.dataset.role)"
    )
    assert roles == ["citizen", "citizen", "peer", "peer", "coordinator"]
    await page.screenshot(path=str(artifacts() / "4-controls.png"), animations="disabled")

    await page.get_by_role("button", name="Reset").click()  # the confirmation is accepted
    await expect(page.locator("#phones .phone")).to_have_count(3)
    await expect(phone(page, "citizen").locator(".msg")).to_have_count(0)
    await expect(clock).to_contain_text("Mon 2 Mar")


async def test_the_web_chat_sits_beside_the_phones(page: Any) -> None:
    from playwright.async_api import expect

    frame = page.frame_locator("#webchat")
    await expect(frame.get_by_role("button", name=DA._("Start a conversation"))).to_be_visible()
