"""Emergency lines that are right where the person lives: the shipped lines per region, as a
citizen sees them when asking for help, through the real Application."""

from datetime import date
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import parse_config
from bot.config.regions import REGIONS
from bot.errors import ConfigError
from bot.fakebot import FakeTelegram
from tests.helpers.flows import coordinator
from tests.helpers.harness import Harness, make_config

# What each region's citizen must see (Danish), and what belongs to another region only.
EXPECTED = {
    "hovedstaden": ("☎ 1813 · Akuttelefonen, Region Hovedstaden", "CPR-nummer", "1818"),
    "sjaelland": ("☎ 1818 · Akutnummeret, Region Sjælland", "ring 1818 først", "1813"),
    "syddanmark": (
        "☎ 70 11 07 07 · Lægevagten, Region Syddanmark",
        "når din egen læge har lukket",
        "1813",
    ),
    "midtjylland": ("☎ 70 11 31 31 · Lægevagten, Region Midtjylland", "egen læge", "1813"),
    "nordjylland": ("☎ 70 15 03 00 · Lægevagten, Region Nordjylland", "egen læge", "1813"),
}


async def help_now_answer(harness: Harness, language: str) -> str:
    await coordinator(harness)
    citizen = harness.user(1001, language=language)
    citizen.send_text("/start")
    await harness.settle()
    citizen.press_button("Jeg har brug for hjælp nu" if language == "da" else "I need help now")
    await harness.settle()
    return citizen.texts[-1]


@pytest.mark.parametrize("region", REGIONS)
async def test_each_region_shows_its_own_lines_to_someone_asking_for_help(
    region: str, tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    line, detail, elsewhere = EXPECTED[region]
    h = Harness(make_config(tmp_path, {"emergency": {"region": region}}), fake, clock)
    await h.start()
    try:
        answer = await help_now_answer(h, "da")
    finally:
        await h.stop()
    assert "☎ 112 · Alarmcentralen (fare for liv), døgnet rundt" in answer
    assert "☎ 70 201 201 · Livslinien" in answer and "fra kl. 11" in answer
    assert line in answer and detail in answer
    assert "• Psykiatrisk akutmodtagelse, Region" in answer, "a place, without a number"
    assert elsewhere not in answer, "another region's number"


async def test_without_a_region_only_lines_true_everywhere_are_shown(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    h = Harness(make_config(tmp_path), fake, clock)
    await h.start()
    try:
        answer = await help_now_answer(h, "en")
    finally:
        await h.stop()
    assert "☎ 112" in answer and "☎ 70 201 201" in answer
    assert "• Your own doctor, or your region's out-of-hours doctor" in answer
    assert "• Psychiatric emergency department, open around the clock" in answer
    assert "1813" not in answer and "1818" not in answer


def test_the_organisation_verifies_changes_removes_and_adds_lines(tmp_path: Path) -> None:
    base = {"coordinators": {"user_ids": [1]}}
    lines = [
        {
            "key": "livslinien",
            "hours": {"da": "kl. 11-05", "en": "11:00-05:00"},
            "verified": date(2026, 12, 1),
        },
        {"key": "psykiatrisk_akutmodtagelse", "omit": True},
        {
            "name": {"da": "Vores vagt", "en": "Our duty line"},
            "phone": "12 34 56 78",
            "hours": {"da": "altid", "en": "always"},
            "verified": date(2026, 12, 2),
        },
    ]
    config = parse_config(base | {"emergency": {"region": "nordjylland", "lines": lines}}, {})
    assert config.emergency_region == "nordjylland"
    assert [(r.key, r.phone) for r in config.emergency] == [
        ("112", "112"),
        ("livslinien", "70 201 201"),
        ("laegevagt", "70 15 03 00"),
        ("", "12 34 56 78"),
    ]
    livslinien = config.emergency[1]
    assert livslinien.hours["da"] == "kl. 11-05" and livslinien.verified == date(2026, 12, 1)
    assert livslinien.name["da"].startswith("Livslinien"), "what was not changed is kept"
    assert [r.verified for r in config.emergency] == [
        None,
        date(2026, 12, 1),
        None,
        date(2026, 12, 2),
    ]
    with pytest.raises(ConfigError) as caught:
        parse_config(
            base | {"emergency": {"region": "fyn", "lines": [{"key": "nope", "omit": True}]}}, {}
        )
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "emergency.region",
        "emergency.lines[0].omit",
    ]


def test_no_shipped_line_carries_a_verified_date() -> None:
    for region in (None, *REGIONS):
        data = {"coordinators": {"user_ids": [1]}}
        if region:
            data["emergency"] = {"region": region}
        config = parse_config(data, {})
        assert all(line.verified is None for line in (*config.emergency, *config.youth_services))
        assert (
            len(config.not_ready_for_citizens())
            == len(config.emergency) + len(config.youth_services) + 1
        )
