"""The emergency lines: shown whenever someone may be in danger, in their language."""

from __future__ import annotations

from bot.config import Config
from bot.i18n import Translator


def emergency_lines(t: Translator, config: Config) -> str:
    """The configured numbers, one per line: a phone number is one tap in Telegram."""
    lines = [t._("If you are in danger right now, call for help:")]
    for resource in config.emergency:
        name = resource.name.get(t.language) or resource.name.get(config.default_language, "")
        hours = resource.hours.get(t.language) or resource.hours.get(config.default_language, "")
        lines.append(f"☎ {resource.phone} · {name}, {hours}")
    return "\n".join(lines)
