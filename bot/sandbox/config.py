"""The sandbox's configuration: the operator's settings, with everything that reaches out replaced.

Texts, emergency lines, office hours, topics, the age question, the services for young
people and the list of communities come from the configuration file when there is one, so an
organisation can preview its own setup (without a list of its own, the example organisation's
small list of made-up communities). Only the sections listed in
`SHOWN_SECTIONS` are taken over: the token, the Bot API address, the database, the
coordinators, backups, the health endpoint, the e-mail alarm, and any section added later, are
never the operator's. The sandbox never talks to Telegram, never sends anything anywhere, and
never touches a real deployment's data.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Config, WebChatSettings, parse_config
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
    "communities",
)

# The example organisation's list of communities and activities, for an operator whose file has
# none: made-up places, so that sharing, saving and the follow-up can be tried.
EXAMPLE_COMMUNITIES: list[dict[str, Any]] = [
    {
        "key": "gaaklub",
        "name": {"da": "Gåklubben (eksempel)", "en": "The walking group (example)"},
        "what": {
            "da": "En rolig gåtur i skoven og en kop kaffe bagefter",
            "en": "A calm walk in the woods and a cup of coffee afterwards",
        },
        "where": {
            "da": "Ved indgangen til Eksempelskoven",
            "en": "At the entrance to Example Wood",
        },
        "when": {"da": "Tirsdage kl. 10", "en": "Tuesdays at 10:00"},
        "for_whom": {
            "da": "Alle over 18; du må gerne komme alene",
            "en": "Everyone over 18; you are welcome to come alone",
        },
        "link": "https://example.org/gaaklub",
        "topics": ["loneliness", "low_mood", "stress", "anxiety"],
        "languages": ["da", "en"],
        "verified": date(2026, 12, 1),
    },
    {
        "key": "recovery-cafe",
        "name": {"da": "Recovery-caféen (eksempel)", "en": "The recovery café (example)"},
        "what": {
            "da": "Kaffe, brætspil og samtaler med andre, der ved, hvordan det er",
            "en": "Coffee, board games and talks with others who know what it is like",
        },
        "where": {"da": "Eksempelvej 1, Aarhus", "en": "Eksempelvej 1, Aarhus"},
        "when": {"da": "Torsdage kl. 15-18", "en": "Thursdays 15:00-18:00"},
        "for_whom": {"da": "Alle, også pårørende", "en": "Everyone, relatives too"},
        "contact": "Café-telefonen, 12 34 56 78",
        "languages": ["da"],
        "verified": date(2026, 12, 1),
    },
    {
        "key": "hearing-voices",
        "name": {"da": "Stemmehørergruppe (eksempel)", "en": "Hearing Voices group (example)"},
        "what": {
            "da": "En gruppe, hvor man deler erfaringer med at høre stemmer",
            "en": "A group for sharing experiences of hearing voices",
        },
        "where": {"da": "Online", "en": "Online"},
        "when": {"da": "Hver anden mandag kl. 19", "en": "Every other Monday at 19:00"},
        "for_whom": {"da": "Voksne, der hører stemmer", "en": "Adults who hear voices"},
        "link": "https://example.org/voices",
        "languages": ["da", "en"],
        "verified": date(2026, 12, 1),
    },
]


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
    if "communities" not in data and not data.get("organisation", {}).get("communities_file"):
        data["communities"] = EXAMPLE_COMMUNITIES
    # No environment: a real token, webhook secret or backup key must not reach the sandbox.
    config = parse_config(data, {}, base_dir=base_dir)
    # The web chat is served by the sandbox's own server, beside the phones, in an iframe.
    web_chat = WebChatSettings(enabled=True, embed_origins=("'self'",))
    return replace(
        config, database=data_dir.resolve() / DATABASE_NAME, source=path, web_chat=web_chat
    )


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
