"""The packaged Bot API specification stays byte-for-byte equal to the shared one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.fakebot import BotApiSpec

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "telegram-bot-api" / "api.min.json"
PACKAGED = REPO / "bot" / "fakebot" / "api.min.json"


def test_packaged_spec_equals_shared_spec() -> None:
    if not SHARED.exists():
        pytest.skip("../shared/telegram-bot-api/api.min.json is absent in this checkout")
    assert PACKAGED.read_bytes() == SHARED.read_bytes(), (
        "bot/fakebot/api.min.json differs: copy ../shared/telegram-bot-api/api.min.json over it"
    )


def test_packaged_spec_loads_once() -> None:
    spec = BotApiSpec.default()
    assert spec is BotApiSpec.default()
    assert spec.version.startswith("Bot API")
    assert "sendMessage" in spec.methods
