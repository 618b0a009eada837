import pytest

from bot.services import people
from tests.helpers.harness import Harness


async def test_a_crash_is_answered_in_the_users_language(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    citizen = h.user(1001, "Ada", language="da")
    citizen.send_text("/start")
    await h.settle()

    original = people.choose_language

    async def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("boom")

    monkeypatch.setattr("handlers.common.choose_language", broken)
    citizen.press_button("Sprog")
    await h.settle()
    citizen.press_button("English")
    await h.settle()
    assert "noget gik galt" in citizen.texts[-1]
    assert "update" in caplog.text and "RuntimeError" in caplog.text
    assert "Ada" not in caplog.text and "1001" not in caplog.text
    monkeypatch.setattr("handlers.common.choose_language", original)
