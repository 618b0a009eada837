"""Article numbers stay in the records for staff (record of processing, impact assessment) and
out of everything a citizen, peer or coordinator reads; the reasoning is in docs/legal-basis.md."""

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.fakebot import FakeTelegram
from bot.i18n import LANGUAGES, Translator, locale_dir
from bot.i18n.catalogs import read
from bot.privacy_docs import impact_assessment, record_of_processing
from tests.helpers.flows import ADULT
from tests.helpers.harness import Harness, make_config

ARTICLE = re.compile(r"\b[Aa]rt\.|\b[Aa]rtikel|GDPR Art")
ROOT = Path(__file__).resolve().parent.parent

# Only in the record of processing activities and the impact assessment, which the
# organisation's data protection officer reads and signs; never shown in a chat.
RECORDS_ONLY = frozenset(
    {
        "Access (Art. 15): /mydata sends every column the inventory lists, or says why not.",
        "Complaint: to Datatilsynet, the Danish Data Protection Agency (Art. 77).",
        "Data protection impact assessment (GDPR Art. 35): draft",
        "Erasure (Art. 17): /delete, at once; what remains and why is told to the person (a "
        "keyed mark kept with a peer's report; backups until they roll over).",
        "GDPR Art. 6(1)(a) and Art. 9(2)(a) (explicit consent), together with the Danish Data "
        'Protection Act (databeskyttelsesloven). Urgent help before consent ("I need help now" '
        "or crisis words from someone who has not agreed): the basis is for the data "
        "protection officer to decide (see docs/legal-basis.md); vital interests (Art. "
        "9(2)(c)) covers only a person who is physically or legally incapable of giving "
        "consent, which someone who presses a button usually is not.",
        "GDPR Art. 6(1)(e) (public task) with Art. 9(2)(h) or Art. 9(2)(g), each only together "
        "with a specific provision of Danish law that covers this service; the data protection "
        "officer must name that provision and choose between (h) and (g) (see "
        "docs/legal-basis.md). Together with the Danish Data Protection Act "
        "(databeskyttelsesloven).",
        "Objection (Art. 21): by writing to the contact above.",
        "Record of processing activities (GDPR Art. 30)",
        "Rectification (Art. 16): by writing to the contact above.",
        "Restriction (Art. 18): by writing to the contact above.",
        "Withdrawal of consent (Art. 7(3)): /delete, at any time.",
        "special category (health, Art. 9)",
    }
)


def test_the_pattern_finds_article_numbers_in_both_languages() -> None:
    for text in ("art. 9, stk. 2", "GDPR Art. 6(1)(a)", "Art. 9", "artikel 9", "Artikel 6"):
        assert ARTICLE.search(text), text
    for text in ("start.", "/start.", "Kunst. Arter", "part. of"):
        assert not ARTICLE.search(text), text


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_article_numbers_in_any_message_people_read(language: str) -> None:
    catalog = read(locale_dir() / language / "LC_MESSAGES" / "messages.po", language)
    found = []
    for message in catalog:
        if not message.id or message.id in RECORDS_ONLY:
            continue
        for text in (message.id, message.string):
            texts = text if isinstance(text, tuple | list) else (text,)
            if any(ARTICLE.search(t or "") for t in texts):
                found.append(message.id)
    assert found == []


def test_records_only_messages_are_used_by_the_records_alone() -> None:
    catalog = read(locale_dir() / "en" / "LC_MESSAGES" / "messages.po", "en")
    for msgid in RECORDS_ONLY:
        message = catalog.get(msgid)
        assert message is not None, f"stale entry in RECORDS_ONLY: {msgid!r}"
        assert {path for path, _line in message.locations} == {"bot/privacy_docs.py"}, msgid


@pytest.mark.parametrize("basis", ["consent", "public_task"])
def test_records_keep_the_articles_and_leave_the_urgent_basis_to_the_dpo(
    tmp_path: Path, basis: str
) -> None:
    config = replace(make_config(tmp_path), legal_basis=basis)
    for language in LANGUAGES:
        t = Translator(language, config.timezone)
        record = record_of_processing(t, config) + impact_assessment(t, config)
        assert ARTICLE.search(record), language
        assert "docs/legal-basis.md" in record, language
        if basis == "consent":
            # Vital interests is named only as what it cannot cover, never as the basis.
            assert ("9(2)(c)" in record) == (language == "en")
    assert (ROOT / "docs" / "legal-basis.md").exists()


@pytest.mark.parametrize("basis", ["consent", "public_task"])
@pytest.mark.parametrize("language", ["da", "en"])
async def test_a_citizen_reads_no_article_numbers_before_and_after_agreeing(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock, basis: str, language: str
) -> None:
    h = Harness(replace(make_config(tmp_path), legal_basis=basis), fake, clock)
    await h.start()
    try:
        citizen = h.user(1001, "Ada", language=language)
        labels = {
            "en": ("About privacy", "Talk to a peer", ADULT),
            "da": ("Om privatliv", "Tal med en peer", "18"),
        }[language]
        citizen.send_text("/start")
        await h.settle()
        citizen.press_button(labels[0])
        await h.settle()
        citizen.send_text("/privacy")
        await h.settle()
        citizen.send_text("/start")
        await h.settle()
        for label in labels[1:]:
            citizen.press_button(label)
            await h.settle()
        texts = citizen.texts
        assert len(texts) >= 5
        assert [t for t in texts if ARTICLE.search(t)] == []
        assert any("Datatilsynet" in t for t in texts)  # the rights are there, in plain words
    finally:
        await h.stop()
