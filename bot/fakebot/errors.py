"""Errors of the fake Bot API.

    ApiError          a refusal Telegram would send: becomes ``{"ok": false, ...}`` on the wire
    InjectedTimeout   an injected time-out: each face turns it into what a client would see

Neither derives from ``bot.errors.PeerbotError``: they never leave the fake's faces, which
translate them into Telegram's envelopes or a client-side time-out.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A request Telegram would refuse, with Telegram's error code and description."""

    def __init__(
        self,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        *,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id
        super().__init__(f"{error_code} {description}")

    def envelope(self) -> dict[str, Any]:
        """Return the exact JSON object Telegram answers with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        parameters: dict[str, int] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


class InjectedTimeout(Exception):
    """An injected time-out; ``delay`` is how long the HTTP face holds the connection."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        super().__init__(f"injected time-out ({delay} s)")
