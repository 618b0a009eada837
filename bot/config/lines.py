"""Phone lines, in the person's language: the emergency lines where someone asks for help or
writes words of crisis, and "someone to talk to" (lines that are not crisis lines) elsewhere,
so a long wait or an ended contact is not answered with emergency numbers."""

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
    """The configured emergency numbers, one per line: only where someone asked for help or
    wrote words of crisis."""
    lines = [t._("You don't have to wait for us. If you need to talk to someone now, call:")]
    return "\n".join([*lines, *phone_lines(t, config, config.emergency, "•")])


def talk_lines(t: Translator, config: Config) -> str:
    """Someone to talk to on a hard day, not a crisis line (``[[someone_to_talk_to]]``), with
    the organisation's own phone first when it has one."""
    lines = [t._("If you would like someone to talk to:")]
    if config.organisation_phone:
        lines.append(f"☎ {config.organisation_phone} · {config.organisation_name}")
    lines += phone_lines(t, config, config.talk_lines)
    lines.append(t._('If it becomes urgent, press "I need help now".'))
    return "\n".join(lines)


def youth_lines(t: Translator, config: Config) -> str:
    """Where someone below the minimum age is referred (``[[minors.services]]``)."""
    return "\n".join(phone_lines(t, config, config.youth_services))
