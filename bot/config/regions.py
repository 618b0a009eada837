"""The Danish emergency lines the bot ships with, per region (``[emergency] region``).

Where help is found at night differs by region: Region Hovedstaden's Akuttelefonen 1813 and
Region Sjælland's 1818 are one number for the out-of-hours doctor, the emergency room and the
psychiatric emergency department; the other three regions have a lægevagt number, and how a
psychiatric emergency department is reached (walking in, or through one's own doctor or the
lægevagt) differs by region. So each region gets its own lines, labelled for what each one is.

None of these has a `verified` date: they were checked against public sources in December 2026
(see docs/emergency-lines.md), not by the organisation. `peerbot run` refuses to start until
the organisation has checked each line itself and written the date. `check` says, for the
operator only, what to check and where; it is never shown to citizens.
"""

from __future__ import annotations

from typing import Any

REGIONS = ("hovedstaden", "sjaelland", "syddanmark", "midtjylland", "nordjylland")

EMERGENCY_112: dict[str, Any] = {
    "key": "112",
    "phone": "112",
    "name": {"da": "Alarmcentralen (fare for liv)", "en": "Emergency (danger to life)"},
    "hours": {"da": "døgnet rundt", "en": "24 hours"},
    "check": "the number 112 (politi.dk)",
}

# Published hours disagree (11-05 and 11-04): the text says what both sources agree on, and
# the organisation writes the hours it finds when it checks.
LIVSLINIEN: dict[str, Any] = {
    "key": "livslinien",
    "phone": "70 201 201",
    "name": {
        "da": "Livslinien (samtale, når du tænker på selvmord)",
        "en": "Livslinien (talk when you think about suicide)",
    },
    "hours": {
        "da": "alle dage fra kl. 11 til sent om natten",
        "en": "every day from 11:00 until late at night",
    },
    "check": "number and hours at livslinien.dk (sources disagree: 11-05 or 11-04; "
    "write the hours you find)",
}

_ASK_FIRST = {
    "da": "døgnåben; ring først til din egen læge eller lægevagten, så får du at vide, "
    "hvordan du kommer dertil",
    "en": "open around the clock; call your own doctor or the out-of-hours doctor first, "
    "and they tell you how to get there",
}
_OUT_OF_HOURS = {
    "da": "når din egen læge har lukket: hverdage kl. 16-8, weekender og helligdage",
    "en": "when your own doctor is closed: weekdays 16:00-08:00, weekends and public holidays",
}


def _laegevagt(phone: str, region_da: str, region_en: str, source: str) -> dict[str, Any]:
    return {
        "key": "laegevagt",
        "phone": phone,
        "name": {"da": f"Lægevagten, {region_da}", "en": f"Out-of-hours doctor, {region_en}"},
        "hours": _OUT_OF_HOURS,
        "check": f"number and hours of the lægevagt at {source}",
    }


def _psychiatric(region_da: str, region_en: str, hours: dict[str, str]) -> dict[str, Any]:
    return {
        "key": "psykiatrisk_akutmodtagelse",
        "phone": "",
        "name": {
            "da": f"Psykiatrisk akutmodtagelse, {region_da}",
            "en": f"Psychiatric emergency department, {region_en}",
        },
        "hours": hours,
        "check": "how the region's psychiatric emergency departments are reached "
        "(walk-in, or through one's own doctor or the lægevagt), at the region's psychiatry site",
    }


# Lines for an organisation that has not chosen its region yet: true wherever the person lives.
NATIONAL: tuple[dict[str, Any], ...] = (
    EMERGENCY_112,
    LIVSLINIEN,
    {
        "key": "laegevagt",
        "phone": "",
        "name": {
            "da": "Din egen læge, eller lægevagten i din region, når lægen har lukket",
            "en": "Your own doctor, or your region's out-of-hours doctor when they are closed",
        },
        "hours": {
            "da": "lægevagtens nummer afhænger af, hvor du bor",
            "en": "the out-of-hours number depends on where you live",
        },
        "check": "choose your region (emergency.region) to show its own numbers",
    },
    {
        "key": "psykiatrisk_akutmodtagelse",
        "phone": "",
        "name": {"da": "Psykiatrisk akutmodtagelse", "en": "Psychiatric emergency department"},
        "hours": _ASK_FIRST,
        "check": "choose your region (emergency.region) to show its own lines",
    },
)

REGION_LINES: dict[str, tuple[dict[str, Any], ...]] = {
    # Akuttelefonen 1813: the region's one number for acute illness and injury; callers give
    # their CPR number, and it can pass them on to psychiatric help (psykiatrisk akutberedskab).
    "hovedstaden": (
        EMERGENCY_112,
        LIVSLINIEN,
        {
            "key": "laegevagt",
            "phone": "1813",
            "name": {
                "da": "Akuttelefonen, Region Hovedstaden (du oplyser dit CPR-nummer; de kan "
                "stille dig videre til psykiatrisk hjælp)",
                "en": "Akuttelefonen, the Capital Region's medical helpline (you give your CPR "
                "number; they can put you through to psychiatric help)",
            },
            "hours": _OUT_OF_HOURS,
            "check": "1813 and its hours at regionh.dk (Akuttelefonen 1813)",
        },
        _psychiatric(
            "Region Hovedstaden",
            "Capital Region",
            {
                "da": "døgnåben; Akuttelefonen 1813 fortæller dig, hvor du skal hen",
                "en": "open around the clock; Akuttelefonen 1813 tells you where to go",
            },
        ),
    ),
    # 1818 since 1 October 2022: one number for the lægevagt, the emergency room and the
    # psychiatric emergency department.
    "sjaelland": (
        EMERGENCY_112,
        LIVSLINIEN,
        {
            "key": "laegevagt",
            "phone": "1818",
            "name": {
                "da": "Akutnummeret, Region Sjælland (lægevagt, skadestue og psykiatrisk "
                "akutmodtagelse)",
                "en": "Region Zealand's medical helpline (out-of-hours doctor, emergency room "
                "and psychiatric emergency department)",
            },
            "hours": _OUT_OF_HOURS,
            "check": "1818 and its hours at regionsjaelland.dk",
        },
        _psychiatric(
            "Region Sjælland",
            "Region Zealand",
            {
                "da": "døgnåben; ring 1818 først",
                "en": "open around the clock; call 1818 first",
            },
        ),
    ),
    "syddanmark": (
        EMERGENCY_112,
        LIVSLINIEN,
        _laegevagt(
            "70 11 07 07", "Region Syddanmark", "Region of Southern Denmark", "regionsyddanmark.dk"
        ),
        _psychiatric("Region Syddanmark", "Region of Southern Denmark", _ASK_FIRST),
    ),
    "midtjylland": (
        EMERGENCY_112,
        LIVSLINIEN,
        _laegevagt("70 11 31 31", "Region Midtjylland", "Central Denmark Region", "rm.dk"),
        _psychiatric("Region Midtjylland", "Central Denmark Region", _ASK_FIRST),
    ),
    "nordjylland": (
        EMERGENCY_112,
        LIVSLINIEN,
        _laegevagt("70 15 03 00", "Region Nordjylland", "North Denmark Region", "rn.dk"),
        _psychiatric("Region Nordjylland", "North Denmark Region", _ASK_FIRST),
    ),
}


def default_lines(region: str | None) -> tuple[dict[str, Any], ...]:
    """The shipped lines for `region` (one of `REGIONS`), or the national ones for None."""
    return NATIONAL if region is None else REGION_LINES[region]
