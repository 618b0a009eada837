"""The emergency lines: shown whenever someone may be in danger, in their language."""

from __future__ import annotations

from collections.abc import Iterable

from bot.config import Config, EmergencyResource
from bot.i18n import Translator


def phone_lines(
    t: Translator, config: Config, resources: Iterable[EmergencyResource], without_phone: str = "💬"
) -> list[str]:
    """One line per number, 'number · name, hours': a phone number is one tap in Telegram.
    A line without a number (a chat, one's own doctor, a place) starts with `without_phone`."""
    lines = []
    for resource in resources:
        name = resource.name.get(t.language) or resource.name.get(config.default_language, "")
        hours = resource.hours.get(t.language) or resource.hours.get(config.default_language, "")
        if resource.phone:
            lines.append(f"☎ {resource.phone} · {name}, {hours}")
        else:
            lines.append(f"{without_phone} {name}, {hours}")
    return lines


def emergency_lines(t: Translator, config: Config) -> str:
    """The configured numbers, one per line."""
    lines = [t._("If you are in danger right now, call for help:")]
    return "\n".join([*lines, *phone_lines(t, config, config.emergency, "•")])


def youth_lines(t: Translator, config: Config) -> str:
    """Where someone below the minimum age is referred (``[[minors.services]]``)."""
    return "\n".join(phone_lines(t, config, config.youth_services))
