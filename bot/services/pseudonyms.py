"""Names the two sides of a contact see instead of each other's Telegram identity.

A citizen is given a made-up name when they first agree, and may choose their own (one of a
few suggestions, or one they type) at the last step of a request or with /name. Made-up names
are a first name taken from nature followed by two digits, e.g. ``Birk 42``: each word is a
given name in Denmark that also reads as a name in English, so none looks like a typo or an
abbreviation, and the digits tell two people of the same name apart, as a handle does.
"""

from __future__ import annotations

import re
import secrets

from bot.errors import UserInputError
from bot.i18n import N_

# Nature words that are given names in Denmark and read as names in English as well. Left
# out on purpose: one- and two-letter words ("Å", "Sø", "Eg": they read as typos), words with
# another everyday meaning that could hurt or puzzle ("Stær" is also cataract, "Tåge" fog,
# "Eng" reads as "English"), and animals people are called in anger.
WORDS = (
    "Ask",
    "Birk",
    "Bjørn",
    "Falk",
    "Iris",
    "Lilje",
    "Lind",
    "Linnea",
    "Lærke",
    "Malva",
    "Ravn",
    "Rosa",
    "Sol",
    "Storm",
    "Viola",
    "Ørn",
)
CHOSEN_LIMIT = 24
SUGGESTIONS = 3

_LINK = re.compile(r"https?:|www\.|t\.me|\b[\w-]+\.(?:dk|com|net|org|me|io|eu|se|no|de)\b", re.I)
_DIGITS = re.compile(r"\d")


def citizen_pseudonym() -> str:
    """A random, friendly, non-identifying name such as ``Lærke 42``."""
    return f"{secrets.choice(WORDS)} {secrets.randbelow(90) + 10}"


def suggestions(current: str | None, count: int = SUGGESTIONS) -> list[str]:
    """A few made-up names to choose from, each with a different first word, never `current`."""
    words = [word for word in WORDS if not (current or "").startswith(word + " ")]
    chosen: list[str] = []
    while len(chosen) < count and words:
        word = words.pop(secrets.randbelow(len(words)))
        chosen.append(f"{word} {secrets.randbelow(90) + 10}")
    return chosen


def clean_display_name(text: str, limit: int = 32) -> str | None:
    """A peer's chosen name: one line, printable, short; None if nothing usable remains."""
    name = " ".join(text.split())
    name = "".join(ch for ch in name if ch.isprintable())
    if not name or len(name) > limit or name.startswith("/"):
        return None
    return name


def chosen_name(text: str) -> str:
    """A citizen's own name for their peer to see, or `UserInputError` saying what to change.

    Short, one line, with a letter in it; nothing that could reach them outside the bot (a link,
    an @username, a phone number) and no brackets, so nobody can look like "(coordinator)".
    """
    name = clean_display_name(text, limit=CHOSEN_LIMIT)
    if name is None:
        raise UserInputError(
            N_("Please write a name of at most 24 characters, on one line, or press a button.")
        )
    if _LINK.search(name) or "@" in name:
        raise UserInputError(
            N_(
                "A name here cannot hold a link or an @username: your peer must not be able "
                "to find you outside this chat."
            )
        )
    if len(_DIGITS.findall(name)) > 4:
        raise UserInputError(
            N_("A name here can hold at most a few digits, so that it cannot be a phone number.")
        )
    if not any(ch.isalpha() for ch in name):
        raise UserInputError(N_("Please use at least one letter in your name."))
    if any(ch in name for ch in "()[]{}<>"):
        raise UserInputError(N_("Please leave out brackets: they mark our coordinators' names."))
    return name
