from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog

from bot.i18n import LANGUAGES, Translator, locale_dir, normalise_language_code, resolve_language
from bot.i18n.catalogs import extract, problems, read, write


@pytest.fixture(scope="module")
def template() -> Catalog:
    return extract()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete(language: str, template: Catalog) -> None:
    assert problems(language, template) == []


def test_template_is_not_stale(template: Catalog) -> None:
    pot = read(locale_dir() / "messages.pot")
    assert {m.id for m in template if m.id} == {m.id for m in pot if m.id}, (
        "run `make messages` to refresh locale/messages.pot"
    )


def test_untranslated_fuzzy_and_placeholder_drift_are_caught(
    tmp_path: Path, template: Catalog
) -> None:
    broken = Catalog(locale="da")
    ids = [m.id for m in template if m.id and isinstance(m.id, str)]
    for message_id in ids:
        broken.add(message_id, "oversat")
    broken.add("Hi, and welcome to {organisation}.", "Hej og velkommen til {organisaton}.")
    broken[ids[0]].string = ""
    broken[ids[1]].flags.add("fuzzy")
    path = tmp_path / "messages.po"
    write(path, broken)
    found = problems("da", template, path)
    assert any(p.startswith("da: untranslated") and ids[0] in p for p in found)
    assert any(p.startswith("da: fuzzy") and ids[1] in p for p in found)
    assert any("placeholders differ" in p and "welcome" in p for p in found)


def test_missing_message_is_caught(tmp_path: Path, template: Catalog) -> None:
    path = tmp_path / "messages.po"
    write(path, Catalog(locale="en"))
    assert len(problems("en", template, path)) == len([m for m in template if m.id])


@pytest.mark.parametrize(
    ("code", "expected"),
    [("pt-br", "pt_BR"), ("da", "da"), ("EN-gb", "en_GB"), (None, None), ("", None)],
)
def test_telegram_language_codes_are_normalised(code: str | None, expected: str | None) -> None:
    assert normalise_language_code(code) == expected


def test_language_choice_order() -> None:
    assert resolve_language("en", "da", "da") == "en"
    assert resolve_language(None, "en-GB", "da") == "en"
    assert resolve_language(None, "pt-br", "da") == "da"
    assert resolve_language(None, None, "en") == "en"


def test_translations_and_dates_follow_the_user() -> None:
    moment = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    da = Translator("da", ZoneInfo("Europe/Copenhagen"))
    en = Translator("en", ZoneInfo("Europe/Copenhagen"))
    assert da._("Language") == "Sprog"
    assert en._("Language") == "Language"
    assert da.time(moment) == "10.30"
    assert en.time(moment) == "10:30\u202fAM"
    assert "juli" in da.date(moment)
    assert "July" in en.date(moment)
