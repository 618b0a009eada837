"""Translations and locale-aware formatting.

Catalogs live in the top-level ``locale/`` folder (not a Python package: it would shadow the
standard library's ``locale``). They are read as ``.po`` files and compiled in memory at start,
so no ``.mo`` file is ever committed or stale. A wheel carries them as ``bot/locale``.

Message ids are the English sentences; placeholders use ``{name}`` and `str.format`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "messages"
LANGUAGES = ("da", "en")


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


def locale_dir() -> Path:
    """Find the catalogs: inside an installed wheel, else the source checkout's ``locale/``."""
    packaged = Path(str(files("bot"))) / "locale"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "locale"


@cache
def _translations(language: str) -> Translations:
    po_path = locale_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return Translations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def normalise_language_code(code: str | None) -> str | None:
    """Turn Telegram's ``language_code`` (``pt-br``) into a locale identifier (``pt_BR``)."""
    if not code:
        return None
    parts = code.replace("-", "_").split("_")
    head = parts[0].lower()
    if not head.isalpha():
        return None
    return "_".join([head, *(p.upper() if len(p) == 2 else p for p in parts[1:])])


@lru_cache(maxsize=1024)
def resolve_language(choice: str | None, telegram_code: str | None, default: str) -> str:
    """The user's own choice wins, then Telegram's app language if we have it, else the default.

    Asked on every update with few distinct answers, so answers are remembered."""
    for candidate in (choice, normalise_language_code(telegram_code)):
        if not candidate:
            continue
        if candidate in LANGUAGES:
            return candidate
        base = candidate.split("_")[0]
        if base in LANGUAGES:
            return base
    return default


@dataclass(frozen=True)
class Translator:
    """Everything a handler needs to speak to one person: their language and our time zone."""

    language: str
    timezone: ZoneInfo

    def _(self, message: str, **values: object) -> str:
        text = _translations(self.language).ugettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = _translations(self.language).ungettext(singular, plural, n)
        return text.format(n=n, **values)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)

    def datetime(self, moment: datetime) -> str:
        """A date and time as people in this language write it, in the configured zone, without
        seconds: ``mandag den 2. marts kl. 10.00`` / ``Monday 2 March at 10:00``."""
        local = moment.astimezone(self.timezone)
        if self.language == "da":
            return format_datetime(local, "EEEE 'den' d. MMMM 'kl.' HH.mm", locale="da")
        return format_datetime(local, "EEEE d MMMM 'at' HH:mm", locale=self.language)

    def date(self, moment: datetime) -> str:
        return format_date(moment.astimezone(self.timezone), "long", locale=self.language)

    def time(self, moment: datetime) -> str:
        return format_time(moment.astimezone(self.timezone), "short", locale=self.language)

    def clock(self, moment: time) -> str:
        """A time of day on its own (no zone: it is already local), as on a button:
        ``10.00`` / ``10:00``."""
        pattern = "HH.mm" if self.language == "da" else "HH:mm"
        return format_time(moment, pattern, locale=self.language)

    def day_label(self, day: date) -> str:
        """A short day for a button: ``tir. 3. mar.`` / ``Tue 3 Mar``."""
        pattern = "EEE d. MMM" if self.language == "da" else "EEE d MMM"
        return format_date(day, pattern, locale=self.language)

    def weekday_datetime(self, moment: datetime) -> str:
        """When the next opening is: the same words as `datetime` (``mandag den 2. marts kl.
        10.00``), kept as its own name for the places that speak of a coming day."""
        return self.datetime(moment)
