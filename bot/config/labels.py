"""Human names for the codes stored in the database (topics, contact forms, times).

Marked with `N_` so they are extracted; translated where they are shown.
"""

from __future__ import annotations

from bot.config import AgeBand
from bot.i18n import N_, Translator

TOPICS = {
    "loneliness": N_("Loneliness"),
    "anxiety": N_("Anxiety"),
    "low_mood": N_("Low mood"),
    "stress": N_("Stress"),
    "after_hospital": N_("Life after hospital"),
    "relatives": N_("Being a relative"),
    "other": N_("Something else"),
}

CONTACT_FORMS = {
    "chat": N_("Chat here through the bot"),
    "phone": N_("Phone call"),
    "meeting": N_("Meeting at the organisation's address"),
}

TIMES = {
    "weekday_day": N_("Weekdays, daytime"),
    "evening": N_("Evenings"),
    "weekend": N_("Weekends"),
}

LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}


def topic(t: Translator, code: str | None) -> str:
    if code is None:
        return "-"
    return t._(TOPICS[code]) if code in TOPICS else code.replace("_", " ").capitalize()


def contact_form(t: Translator, code: str | None) -> str:
    return t._(CONTACT_FORMS[code]) if code in CONTACT_FORMS else "-"


def times(t: Translator, codes: str | None) -> str:
    names = [t._(TIMES[c]) for c in (codes or "").split(",") if c in TIMES]
    return ", ".join(names) or "-"


def language(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", "-")


def age_band(t: Translator, band: AgeBand) -> str:
    """ "Under 18", "18-24", "25 or over"."""
    if band.low == 0:
        assert band.high is not None
        return t._("Under {age}", age=band.high)
    if band.high is None:
        return t._("{age} or over", age=band.low)
    return t._("{low}-{high}", low=band.low, high=band.high - 1)


def stored_age_band(t: Translator, code: str | None) -> str:
    """The label of a band as kept on a request (``18+``, ``18-24``)."""
    if not code:
        return "-"
    low, _, high = code.partition("-")
    if code.endswith("+"):
        return t._("{age} or over", age=int(code[:-1]))
    if low.isdigit() and high.isdigit():
        return age_band(t, AgeBand(int(low), int(high) + 1))
    return code
