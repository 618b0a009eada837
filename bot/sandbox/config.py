"""The sandbox's configuration: the operator's settings, with everything that reaches out replaced.

Texts, emergency lines, office hours, topics, the age question and the services for young
people come from the configuration file when there is one, so an organisation can preview its
own setup. Only the sections listed in
`SHOWN_SECTIONS` are taken over: the token, the Bot API address, the database, the
coordinators, backups, the health endpoint, the e-mail alarm, and any section added later, are
never the operator's. The sandbox never talks to Telegram, never sends anything anywhere, and
never touches a real deployment's data.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Config, parse_config
from bot.errors import ConfigError
from bot.services.office_hours import is_open, next_opening

DATABASE_NAME = "sandbox.db"
COORDINATOR_ID = 7001

# Sections of the configuration file that only shape what people see and how the bot decides.
SHOWN_SECTIONS = (
    "locale",
    "organisation",
    "office_hours",
    "privacy",
    "limits",
    "guide",
    "undertaking",
    "retention",
    "matching",
    "escalation",
    "peers",
    "checkins",
    "triage",
    "safety",
    "emergency",
    "contact_forms",
    "minors",  # the age question and the services for young people: shown only, never called
)


def sandbox_config(path: Path | None, data_dir: Path) -> Config:
    """Read `path` when it exists (a missing file means defaults) and make it the sandbox's."""
    data: dict[str, Any] = {}
    base_dir = data_dir
    if path is not None and path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{path.name}: not valid TOML ({exc})"]) from exc
        base_dir = path.parent.resolve()
    data = {key: value for key, value in data.items() if key in SHOWN_SECTIONS}
    data["coordinators"] = {"user_ids": [COORDINATOR_ID]}
    # No environment: a real token, webhook secret or backup key must not reach the sandbox.
    config = parse_config(data, {}, base_dir=base_dir)
    return replace(config, database=data_dir.resolve() / DATABASE_NAME, source=path)


def with_api(config: Config, token: str, api_base_url: str) -> Config:
    """Point the bot at the sandbox's own fake Bot API."""
    return replace(config, token=token, api_base_url=api_base_url)


def demo_start(config: Config, now: datetime) -> datetime:
    """Where the sandbox clock starts: now when the office is open, else an hour after it opens.

    Peers are available and coordinators at work then, so a first try shows the whole path;
    fast-forward reaches evenings, nights and weekends.
    """
    if is_open(config.office_hours, now, config.timezone):
        return now
    opening = next_opening(config.office_hours, now, config.timezone)
    later = opening + timedelta(hours=1)
    return later if is_open(config.office_hours, later, config.timezone) else opening
