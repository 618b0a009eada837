"""Logging that never carries message text, names, Telegram ids or the bot token.

PTB logs whole updates at DEBUG and httpx logs request URLs (which contain the token) at INFO,
so records from those libraries below WARNING are dropped by the filter on our handler, whatever
level the operator asks for; our own records carry internal ids only, and anything shaped like
a bot token is blanked as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TextIO

TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
CHATTY_LIBRARIES = ("telegram", "httpx", "httpcore", "apscheduler")


class PrivacyFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and record.name.startswith(CHATTY_LIBRARIES):
            return False
        message = record.getMessage()
        if TOKEN_PATTERN.search(message):
            record.msg = TOKEN_PATTERN.sub("<token>", message)
            record.args = ()
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line, for log collectors; the same privacy filter applies."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = record.exc_info[0].__name__ if record.exc_info[0] else ""
        return json.dumps(entry)


def configure_logging(
    level: str = "INFO", stream: TextIO | None = None, *, fmt: str = "text"
) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonLines()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(PrivacyFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
