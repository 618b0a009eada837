"""No message text, names, Telegram ids or token in any log line, even at DEBUG."""

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import configure_logging
from tests.helpers.flows import ask_for_peer, make_peer
from tests.helpers.harness import COORDINATOR, Harness


@pytest.fixture(params=["text", "json"])
def log_buffer(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    configure_logging("DEBUG", buffer, fmt=request.param)
    yield buffer
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])


async def test_a_full_conversation_logs_no_personal_data(
    harness: Harness, log_buffer: io.StringIO
) -> None:
    h = harness
    h.user(COORDINATOR, "Coordinatorname", "en").send_text("/start")
    await h.settle()
    peer = await make_peer(h, 2001234, "Peername")
    h.fake.user(1009876, "Citizenname", language_code="en", username="citizen_handle")
    citizen = h.user(1009876, "Citizenname", language="en")
    await ask_for_peer(h, citizen, note="secret note about my life")
    peer.press_button("Accept")
    await h.settle()
    citizen.send_text("very private words and i want to kill myself")
    citizen.send_text("/nonsense")
    citizen.send_location()
    await h.settle()
    citizen.send_text("/help_now")
    await h.settle()
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", "private words")
    logging.getLogger("peerbot.test").info("token %s", h.fake.token + "abcdefghijklmnopqrstu")
    logged = log_buffer.getvalue()
    assert logged  # something was logged at all
    pseudonyms = [
        row[0]
        for row in await h.rt.storage.fetchall(
            "SELECT pseudonym FROM users WHERE pseudonym IS NOT NULL"
        )
    ]
    for secret in [
        "Citizenname",
        "citizen_handle",
        "Peername",
        "Coordinatorname",
        "1009876",
        "2001234",
        "private words",
        "secret note",
        "kill myself",
        h.fake.token,
        *pseudonyms,
    ]:
        assert secret not in logged, secret


def test_json_lines_are_json(log_buffer: io.StringIO) -> None:
    logging.getLogger("peerbot.test").warning("outbox %d waited", 7)
    last = log_buffer.getvalue().strip().splitlines()[-1]
    if last.startswith("{"):
        import json

        assert json.loads(last)["message"] == "outbox 7 waited"
    else:
        assert last.endswith("peerbot.test: outbox 7 waited")
