"""The mechanical rules of the Danish style sheet (docs/style-da.md), across the whole Danish
catalog, and the administrative words nowhere in what a citizen reads on a whole journey."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.i18n import locale_dir
from bot.i18n.catalogs import read
from tests.helpers.flows import make_peer, press
from tests.helpers.harness import Harness

# rule -> a pattern that breaks it, anywhere in the Danish catalog
MECHANICAL = {
    'write "Acceptér" with its accent': r"\bAccepter\b(?!\w)",
    'a comma in "Tak, fordi"': r"\b[Tt]ak fordi\b",
    'write "f.eks.", not "fx"': r"\bfx\b",
    "Danish quotation marks »…«, not English ones": r"[\"“”„]",
    "times with a full stop (10.00), not a colon": r"\b\d{1,2}:\d{2}\b",
    'no genitive s on a placeholder name ("{name}s"): write "fra {name}"': r"\{\w+\}s\b",
    '"kontakt" or "henvendelse", not "sag"': r"\bsag(en|er|erne|ens)?\b",
    'no "visitation"': r"visitation",
}

# Administrative words a citizen never reads (staff texts may say "borger" and "spær").
NOT_TO_CITIZENS = (r"\bsag(en|er|erne|ens)?\b", r"visitation", r"\bborger", r"spærr")


def danish_strings() -> list[tuple[str, str]]:
    catalog = read(Path(locale_dir()) / "da" / "LC_MESSAGES" / "messages.po", "da")
    found = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found += [(msgid, text) for text in strings]
    return found


@pytest.mark.parametrize("rule", sorted(MECHANICAL))
def test_danish_catalog_follows_the_style_sheet(rule: str) -> None:
    pattern = re.compile(MECHANICAL[rule])
    broken = [(msgid, text) for msgid, text in danish_strings() if pattern.search(text)]
    assert broken == [], rule


def test_the_style_check_catches_what_it_should() -> None:
    """Each rule fires on an example of what it forbids (so none can pass by being wrong)."""
    examples = {
        'write "Acceptér" with its accent': "Accepter",
        'a comma in "Tak, fordi"': "Tak fordi du skrev.",
        'write "f.eks.", not "fx"': "fx i morgen",
        "Danish quotation marks »…«, not English ones": 'tryk "Ja"',
        "times with a full stop (10.00), not a colon": "kl. 10:00",
        'no genitive s on a placeholder name ("{name}s"): write "fra {name}"': "{name}s besked",
        '"kontakt" or "henvendelse", not "sag"': "din sag er lukket",
        'no "visitation"': "trin i visitationen",
    }
    assert sorted(examples) == sorted(MECHANICAL)
    for rule, text in examples.items():
        assert re.search(MECHANICAL[rule], text), rule
    assert not re.search(MECHANICAL['write "Acceptér" with its accent'], "Acceptér")


async def test_a_citizen_reads_no_administrative_words_on_a_whole_journey(
    harness: Harness,
) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, "Ada", language="da")
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Tal med en peer", "18 år eller derover", "Jeg accepterer")
    await press(h, citizen, "Angst", "Dansk", "Om aftenen", "Spring over")
    await press(h, citizen, "Send henvendelse")
    for command in ("/status", "/privacy", "/help"):
        citizen.send_text(command)
        await h.settle()
    await press(h, peer, "Accept")
    citizen.send_text("Hej, tak for at du tog den")
    await h.settle()
    citizen.send_text("/help_now")
    await h.settle()
    citizen.send_text("jeg har tænkt paa at tage mit eget liv")
    await h.settle()
    peer.send_text("/end")
    await h.settle()
    await press(h, peer, "End contact with", "Yes, end it")
    citizen.send_text("er der nogen?")
    await h.settle()
    texts = citizen.texts
    # The journey went where it should: the crisis answer and the ending are among them.
    assert any("tjekket automatisk" in t for t in texts)
    assert any("har afsluttet jeres samtale" in t for t in texts)
    for pattern in NOT_TO_CITIZENS:
        assert not [t for t in texts if re.search(pattern, t, re.IGNORECASE)], pattern
    for rule, pattern in MECHANICAL.items():
        assert not [t for t in texts if re.search(pattern, t)], rule


def test_the_danish_privacy_notice_speaks_to_the_person_not_about_a_citizen() -> None:
    """The privacy notice is read by citizens: "du" and "personen", never "borgeren" or "sag".
    (The committed file is the generated one: tests/test_privacy_docs_current.py.)"""
    notice = (Path(__file__).resolve().parents[2] / "docs/privacy/privacy-notice.da.md").read_text()
    assert "du" in notice.split()
    for pattern in NOT_TO_CITIZENS:
        assert not re.search(pattern, notice, re.IGNORECASE), pattern
    for rule, pattern in MECHANICAL.items():
        assert not re.search(pattern, notice), rule
