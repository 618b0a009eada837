"""Names the two sides of a contact see instead of each other's Telegram identity."""

from __future__ import annotations

import secrets

# Nature words that read naturally in Danish and English alike.
WORDS = (
    "Birk",
    "Eg",
    "Lind",
    "Ask",
    "Bøg",
    "Hyld",
    "Lærke",
    "Svale",
    "Stær",
    "Ugle",
    "Måge",
    "Hejre",
    "Ræv",
    "Odder",
    "Sæl",
    "Hare",
    "Mos",
    "Lyng",
    "Klit",
    "Fjord",
    "Å",
    "Sø",
    "Skov",
    "Eng",
    "Sten",
    "Sky",
    "Regn",
    "Sol",
    "Tåge",
    "Vind",
)


def citizen_pseudonym() -> str:
    """A random, friendly, non-identifying name such as ``Lærke 42``."""
    return f"{secrets.choice(WORDS)} {secrets.randbelow(90) + 10}"


def clean_display_name(text: str, limit: int = 32) -> str | None:
    """A peer's chosen name: one line, printable, short; None if nothing usable remains."""
    name = " ".join(text.split())
    name = "".join(ch for ch in name if ch.isprintable())
    if not name or len(name) > limit or name.startswith("/"):
        return None
    return name
