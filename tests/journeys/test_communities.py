"""Bridges to communities through the real Application: a peer shares an activity from the
contact's buttons, the citizen saves it and agrees (or not) to a follow-up weeks later, browses
the list, is offered it when the contact ends; /stats counts it with small cells suppressed;
/mydata and /delete include it; forged and stale buttons change nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.errors import ConfigError
from bot.fakebot import FakeTelegram, FakeUser
from bot.sandbox.config import sandbox_config
from bot.services import privacy
from bot.storage import users as user_store
from handlers.keyboards import MAX_DATA_BYTES, well_formed
from tests.helpers.flows import ask_for_peer, coordinator, in_contact, make_peer, press
from tests.helpers.harness import Harness, make_config
from tests.journeys.test_privacy import scan_for
from tests.journeys.test_wrong_actors import snapshot


def entry(key: str, name: str, topics: list[str], languages: list[str]) -> dict[str, Any]:
    return {
        "key": key,
        "name": {"da": name, "en": name},
        "what": {"da": f"Vi mødes: {name}", "en": f"We meet: {name}"},
        "where": {"da": "Huset, Aarhus", "en": "The House, Aarhus"},
        "when": {"da": "tirsdage kl. 17", "en": "Tuesdays at 17"},
        "for_whom": {"da": "alle over 18", "en": "everyone over 18"},
        "link": "https://example.org/" + key,
        "topics": topics,
        "languages": languages,
        "verified": date(2026, 2, 1),
    }


COMMUNITY_PARTS = ("name", "what", "where", "when", "for_whom")
COMMUNITIES = [
    entry("walk", "Walking group", ["anxiety", "low_mood"], ["da", "en"]),
    entry("choir", "Choir", ["loneliness"], ["da"]),
    entry("voices", "Hearing Voices group", [], ["en"]),
    entry("cafe", "Recovery café", [], ["da"]),
]


@pytest.fixture
async def h(tmp_path: Path, fake: FakeTelegram, clock: FakeClock) -> AsyncIterator[Harness]:
    harness = Harness(make_config(tmp_path, {"communities": COMMUNITIES}), fake, clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def labels(user: FakeUser) -> list[str]:
    message = user.last_message or {}
    return [
        button["text"]
        for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        for button in row
    ]


def every_data(h: Harness, *users: FakeUser) -> list[str]:
    """Every button data the bot ever sent these people, edited away later or not."""
    chats = {user.id for user in users}
    found: dict[str, None] = {}
    for call in h.fake.calls:
        markup = call.params.get("reply_markup")
        if not call.ok or call.params.get("chat_id") not in chats or not markup:
            continue
        markup = json.loads(markup) if isinstance(markup, str) else markup
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if "callback_data" in button:
                    found[button["callback_data"]] = None
    return list(found)


async def rows(h: Harness, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await h.rt.storage.fetchall(sql)]


async def share_walk(h: Harness) -> tuple[FakeUser, FakeUser]:
    """Maja shares the walking group with Ada from the contact's buttons."""
    peer, citizen = await in_contact(h)
    peer.send_text("/mycontacts")
    await h.settle()
    await press(h, peer, "Share a community")
    return peer, citizen


# Configuration ----------------------------------------------------------------------------------


def test_the_list_is_read_and_checked(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"communities": COMMUNITIES})
    assert [c.key for c in config.communities] == ["walk", "choir", "voices", "cafe"]
    assert config.communities[0].fits("anxiety", "en")
    assert not config.communities[1].fits("anxiety", "da")
    assert not config.communities[3].fits(None, "en")
    bad = [
        {**COMMUNITIES[0], "key": "Walk Group!"},
        {**COMMUNITIES[1], "name": {"da": "Kor"}},
        {**COMMUNITIES[2], "topics": ["astrology"]},
        {**COMMUNITIES[3], "link": "", "contact": ""},
        {**COMMUNITIES[3], "languages": ["fr"]},
        COMMUNITIES[0],
        COMMUNITIES[0],
    ]
    with pytest.raises(ConfigError) as caught:
        make_config(tmp_path, {"communities": bad})
    problems = "\n".join(caught.value.problems)
    assert "communities[0].key" in problems
    assert "communities[1].name: missing language(s): en" in problems
    assert "communities[2].topics" in problems
    assert "communities[3].link: give a link or a contact" in problems
    assert "communities[4].languages" in problems
    assert "communities: each key once: walk" in problems


def test_the_list_can_live_in_its_own_file_and_must_be_verified(tmp_path: Path) -> None:
    lines = []
    for item in COMMUNITIES[:2]:
        lines.append("[[communities]]")
        for key, value in item.items():
            if isinstance(value, dict):
                texts = ", ".join(f'{k} = "{v}"' for k, v in value.items())
                lines.append(f"{key} = {{ {texts} }}")
            elif isinstance(value, list):
                lines.append(f"{key} = {json.dumps(value)}")
            elif isinstance(value, date):
                lines.append(f"{key} = {value.isoformat()}")
            else:
                lines.append(f'{key} = "{value}"')
    (tmp_path / "communities.toml").write_text("\n".join(lines), encoding="utf-8")
    config = make_config(tmp_path, {"organisation": {"communities_file": "communities.toml"}})
    assert [c.key for c in config.communities] == ["walk", "choir"]
    assert not [p for p in config.not_ready_for_citizens() if "communities" in p]
    unverified = [{k: v for k, v in COMMUNITIES[0].items() if k != "verified"}]
    config = make_config(tmp_path, {"communities": unverified})
    assert any(
        p.startswith('communities "walk": not verified') for p in config.not_ready_for_citizens()
    )
    assert config.stale_communities(date(2026, 3, 1)) == ['communities "walk": no verified date']
    old = make_config(tmp_path, {"communities": COMMUNITIES[:1]})
    assert old.stale_communities(date(2026, 3, 1)) == []
    assert old.stale_communities(date(2027, 3, 1)) == [
        'communities "walk": last verified 2026-02-01, more than 6 months ago'
    ]
    assert not any("walk" in w for w in old.stale_emergency_lines(date(2027, 3, 1)))
    with pytest.raises(ConfigError) as caught:
        make_config(tmp_path, {"organisation": {"communities_file": "nowhere.toml"}})
    assert any(
        p.startswith("organisation.communities_file: cannot read") for p in caught.value.problems
    )


# Sharing, saving, the follow-up ------------------------------------------------------------------


async def test_a_peer_shares_what_fits_and_the_citizen_saves_it_and_is_asked_later(
    h: Harness,
) -> None:
    peer, citizen = await share_walk(h)
    # Ada asked about anxiety and speaks English: the walk and the English-speaking group fit.
    assert labels(peer) == ["Walking group", "Hearing Voices group", "Show all"]
    assert "These fit their topic and language." in peer.texts[-1]
    assert "nothing is stored about them unless they choose to" in peer.texts[-1]
    await press(h, peer, "Show all")
    assert labels(peer) == ["Walking group", "Choir", "Hearing Voices group", "Recovery café"]
    await press(h, peer, "Walking group")
    assert "I have sent them Walking group" in peer.texts[-1]
    assert "you are not told their answer" in peer.texts[-1]
    card = citizen.texts[-1]
    assert card.startswith("Maja shares a community or activity with you")
    assert "Where: The House, Aarhus" in card and "https://example.org/walk" in card
    assert "only your answer (yes, not yet or not for me), never which activity" in card
    assert await rows(h, "SELECT * FROM community_saved") == []  # nothing stored yet
    await press(h, citizen, "Save it on my list")
    assert citizen.answered_callbacks[-1] == "Saved on your list."
    saved = await rows(h, "SELECT community_key FROM community_saved")
    assert saved == [("walk",)]
    await press(h, citizen, "Yes, ask me later")
    assert "I will ask you in about three weeks" in citizen.texts[-1]
    planned = await rows(h, "SELECT community_key, contact_id, due_at FROM community_followups")
    assert len(planned) == 1 and planned[0][0] == "walk" and planned[0][1] is not None
    # Nothing before three weeks; then once, outside quiet hours.
    await h.tick(timedelta(days=20))
    assert not any("Did you get to try it?" in t for t in citizen.texts)
    await h.tick(timedelta(days=1, hours=1))
    asked = [t for t in citizen.texts if "Did you get to try it?" in t]
    assert len(asked) == 1 and "Walking group" in asked[0]
    await h.tick(timedelta(days=1))
    assert len([t for t in citizen.texts if "Did you get to try it?" in t]) == 1
    await press(h, citizen, "Yes")
    assert "How good that you tried it" in citizen.texts[-1]
    # Only the answer stays: not which activity.
    kept = await rows(h, "SELECT community_key, answer FROM community_followups")
    assert kept == [(None, "yes")]
    counts = dict(
        (r[0], r[1])
        for r in await rows(
            h, "SELECT event, SUM(n) FROM community_counts WHERE community_key = '' GROUP BY 1"
        )
    )
    assert counts == {"asked": 1, "answer_yes": 1, "contact_tried": 1}
    # The same answer again is stale.
    followup_data = [d for d in every_data(h, citizen) if d.startswith("com:ans:")]
    citizen.press(citizen.last_message["message_id"], followup_data[0], forge=True)
    await h.settle()
    assert citizen.answered_callbacks[-1] == "That button is no longer valid."


async def test_without_consent_nobody_is_asked_and_nothing_is_planned(h: Harness) -> None:
    peer, citizen = await share_walk(h)
    await press(h, peer, "Walking group")
    await press(h, citizen, "No thanks")
    assert "I will not ask" in citizen.texts[-1]
    assert await rows(h, "SELECT * FROM community_followups") == []
    assert await rows(h, "SELECT * FROM community_saved") == []
    await h.tick(timedelta(weeks=5))
    assert not any("Did you get to try it?" in t for t in citizen.texts)


async def test_not_yet_and_not_for_me_keep_only_the_answer(h: Harness) -> None:
    citizen = h.user(1005, "Bo", language="en")
    await make_peer(h, 2001, "Maja")
    await ask_for_peer(h, citizen)
    citizen.send_text("/communities")
    await h.settle()
    assert labels(citizen) == ["Walking group", "Hearing Voices group", "Show all"]
    for name, answer, reply in (
        ("Walking group", "Not yet", "there is no hurry"),
        ("Hearing Voices group", "Not for me", "not everything suits everyone"),
    ):
        citizen.send_text("/communities")
        await h.settle()
        await press(h, citizen, name, "Save it on my list", "Yes, ask me later")
        await h.tick(timedelta(weeks=3, hours=1))
        asked = [t for t in citizen.texts if "Did you get to try it?" in t]
        assert name in asked[-1]
        await press(h, citizen, answer)
        assert any(reply in t for t in citizen.texts[-2:])
    # Saved while browsing, not in a contact: the answer lives on only in anonymous counts.
    assert await rows(h, "SELECT * FROM community_followups") == []
    counts = dict(
        (r[0], r[1])
        for r in await rows(
            h, "SELECT event, SUM(n) FROM community_counts WHERE community_key = '' GROUP BY 1"
        )
    )
    assert counts == {"asked": 2, "answer_not_yet": 1, "answer_not_for_me": 1}


async def test_browsing_saving_and_removing(h: Harness) -> None:
    stranger = h.user(1009, "Kim", language="en")
    stranger.send_text("/communities")
    await h.settle()
    # Not known to the bot: no topic; English: those held in English.
    assert labels(stranger) == ["Walking group", "Hearing Voices group", "Show all"]
    await press(h, stranger, "Hearing Voices group")
    assert "Where: The House, Aarhus" in stranger.texts[-1]
    await press(h, stranger, "Save it on my list")
    assert "once you have agreed" in stranger.answered_callbacks[-1]
    assert await rows(h, "SELECT * FROM community_saved") == []
    citizen = h.user(1005, "Bo", language="en")
    await make_peer(h, 2001, "Maja")
    await ask_for_peer(h, citizen)
    citizen.send_text("/communities")
    await h.settle()
    await press(h, citizen, "Show all", "Choir", "Save it on my list")
    assert "Saved on your list: /communities shows it." in citizen.texts[-1]
    await press(h, citizen, "No thanks")
    citizen.send_text("/communities")
    await h.settle()
    assert "★ Choir" in labels(citizen)
    await press(h, citizen, "★ Choir", "Remove from my list")
    assert citizen.texts[-1] == "Removed from your list."
    assert await rows(h, "SELECT * FROM community_saved") == []
    counts = await rows(h, "SELECT community_key, event, n FROM community_counts")
    assert ("choir", "saved", 1) in counts


async def test_the_list_is_offered_when_the_contact_ends(h: Harness) -> None:
    peer, citizen = await in_contact(h)
    # Browsing during the contact: what is saved then counts for the contact too.
    citizen.send_text("/communities")
    await h.settle()
    await press(h, citizen, "Hearing Voices group", "Save it on my list", "Yes, ask me later")
    during = await rows(h, "SELECT contact_id FROM community_followups")
    assert during == await rows(h, "SELECT id FROM contacts")
    await h.rt.storage.execute("DELETE FROM community_followups")
    citizen.send_text("/end")
    await h.settle()
    await press(h, citizen, "End contact with", "Yes, end it")
    offer = [t for t in citizen.texts if "somewhere to go after a contact" in t]
    assert len(offer) == 1
    await press(h, citizen, "Show communities", "Walking group", "Save it on my list")
    await press(h, citizen, "Yes, ask me later")
    planned = await rows(h, "SELECT contact_id FROM community_followups")
    contact = await rows(h, "SELECT id FROM contacts")
    assert planned == contact  # the contact it came from, for "contacts that led to trying"
    await h.tick(timedelta(weeks=3, hours=1))
    await press(h, citizen, "Yes")
    assert await rows(h, "SELECT community_key, answer FROM community_followups") == [(None, "yes")]
    # Retention: the saved activity goes after retention.days, the answer with its contact.
    await h.tick(timedelta(days=h.config.retention_days))
    assert await rows(h, "SELECT * FROM community_saved") == []
    assert await rows(h, "SELECT * FROM contacts") == []
    assert await rows(h, "SELECT * FROM community_followups") == []
    # Only the citizen is offered the list.
    assert not any("somewhere to go" in t for t in peer.texts)


async def test_no_list_no_offer(harness: Harness) -> None:
    peer, citizen = await in_contact(harness)
    peer.send_text("/mycontacts")
    await harness.settle()
    assert "Share a community" not in labels(peer)
    peer.send_text("/end")
    await harness.settle()
    await press(harness, peer, "End contact with", "Yes, end it")
    assert not any("somewhere to go" in t for t in citizen.texts)
    citizen.send_text("/communities")
    await harness.settle()
    assert "has not listed any communities" in citizen.texts[-1]


# Statistics -------------------------------------------------------------------------------------


async def test_stats_count_contacts_that_led_to_trying_with_small_cells_suppressed(
    h: Harness,
) -> None:
    peer, citizen = await share_walk(h)
    await press(h, peer, "Walking group")
    await press(h, citizen, "Yes, ask me later")
    await h.tick(timedelta(weeks=3, hours=1))
    await press(h, citizen, "Yes")
    coco = await coordinator(h)
    coco.send_text("/stats")
    await h.settle()
    text = next(t for t in coco.texts if t.startswith("Statistics"))
    assert "Communities: <5 contacts led to trying a community; <5 of <5 answers" in text
    assert "Shared most: Walking group: <5" in text
    # Seen by enough people, the figures show (the service reads the same anonymous counts).
    async with h.rt.storage.transaction() as tx:
        from bot.storage import communities as store

        day = h.rt.now().astimezone(h.rt.config.timezone).date()
        for _ in range(6):
            await store.add_count(tx, day, "walk", "shared")
            await store.add_count(tx, day, "", "answer_yes")
            await store.add_count(tx, day, "", "contact_tried")
        for _ in range(5):
            await store.add_count(tx, day, "", "answer_not_yet")
            await store.add_count(tx, day, "choir", "shared")
    coco.send_text("/stats")
    await h.settle()
    text = [t for t in coco.texts if t.startswith("Statistics")][-1]
    # 7 of 12 tried; all 7 came from contacts, so no small complement is shown.
    assert "Communities: 7 contacts led to trying a community; 7 of 12 answers" in text
    assert "Shared most: Walking group: 7; Choir: 5" in text


# /mydata and /delete ----------------------------------------------------------------------------


async def test_mydata_shows_it_and_delete_erases_it(h: Harness) -> None:
    peer, citizen = await share_walk(h)
    await press(h, peer, "Walking group")
    await press(h, citizen, "Save it on my list", "Yes, ask me later")
    user = await user_store.by_telegram_id(h.rt.storage, citizen.id)
    assert user is not None
    data = json.loads((await privacy.copy_of_data(h.rt, user)).document)
    assert data["community_saved"][0]["community_key"] == "walk"
    assert data["community_followups"][0]["community_key"] == "walk"
    assert "community_counts" in data["not_included"]
    citizen.send_text("/delete")
    await h.settle()
    citizen.press_button("Yes, delete everything")
    await h.settle()
    assert await rows(h, "SELECT * FROM community_saved") == []
    assert await rows(h, "SELECT * FROM community_followups") == []
    assert await rows(h, "SELECT community_key, event, n FROM community_counts ORDER BY 1, 2") == [
        ("walk", "saved", 1),
        ("walk", "shared", 1),
    ]
    assert await scan_for(h, [citizen.id, user.pseudonym or ""]) == []
    await h.tick(timedelta(weeks=4))
    assert not any("Did you get to try it?" in t for t in citizen.texts)


# Wrong actors, stale and forged buttons ---------------------------------------------------------


async def test_forged_and_stale_buttons_are_no_longer_valid(h: Harness) -> None:
    peer, citizen = await share_walk(h)
    await press(h, peer, "Walking group")
    await press(h, citizen, "Save it on my list")
    citizen.send_text("/communities")
    await h.settle()
    await press(h, citizen, "★ Walking group")
    await press(h, citizen, "Back to the list", "Hearing Voices group", "Save it on my list")
    await press(h, citizen, "Yes, ask me later")
    await h.tick(timedelta(weeks=3, hours=1))
    data = every_data(h, citizen, peer)
    assert all(well_formed(d) and len(d.encode()) <= MAX_DATA_BYTES for d in data)
    longest = f"com:pall:{2**63 - 1}:" + "x" * 24
    assert well_formed(f"com:sh:{2**63 - 1}:" + "a" * 24) and len(longest) <= MAX_DATA_BYTES
    # Another citizen (with her own contact and her own list) and a stranger press Ada's and
    # Maja's buttons: her card, her saved item, her follow-up, the peer's share.
    other_peer = await make_peer(h, 2002, "Jonas")
    bo = h.user(1002, "Bo", language="en")
    await ask_for_peer(h, bo)
    other_peer.press_button("Accept")
    await h.settle()
    stranger = h.user(3001, "Kim", language="en")
    ours = [d for d in data if d.startswith("com:")]
    mine = [d for d in ours if not d.startswith(("com:list:0", "com:all:0", "com:see:0"))]
    mine = [d for d in mine if not d.startswith(("com:sv:0", "com:fy:0", "com:fn:0"))]
    assert {d.split(":")[1] for d in mine} >= {"sh", "sv", "fy", "fn", "rm", "ans", "pick"}
    before = await snapshot(h)
    for actor in (bo, stranger, other_peer):
        for data_ in mine:
            actor.press(
                actor.last_message["message_id"] if actor.last_message else 1, data_, forge=True
            )
            await h.settle()
            assert actor.answered_callbacks[-1] == "That button is no longer valid.", data_
    assert await snapshot(h) == before
    # The contact ends: the peer's share buttons are stale.
    peer.send_text("/end")
    await h.settle()
    await press(h, peer, "End contact with", "Yes, end it")
    for data_ in [d for d in data if d.startswith(("com:sh:", "com:pick:"))]:
        peer.press(peer.last_message["message_id"], data_, forge=True)
        await h.settle()
        assert peer.answered_callbacks[-1] == "That button is no longer valid.", data_
    # A community removed from the list: its buttons are stale.
    h.config = replace(h.config, communities=h.config.communities[1:])
    await h.restart()
    for data_ in [d for d in data if d.endswith(":walk") and d.startswith("com:s")]:
        citizen.press(citizen.last_message["message_id"], data_, forge=True)
        await h.settle()
        assert citizen.answered_callbacks[-1] == "That button is no longer valid.", data_
    assert h.fake.unanswered_queries() == []


async def test_a_follow_up_about_a_removed_community_is_dropped_without_a_word(h: Harness) -> None:
    peer, citizen = await share_walk(h)
    await press(h, peer, "Walking group")
    await press(h, citizen, "Yes, ask me later")
    assert len(await rows(h, "SELECT * FROM community_followups")) == 1
    h.config = replace(h.config, communities=h.config.communities[1:])
    await h.restart()
    await h.tick(timedelta(weeks=3, hours=1))
    assert not any("Did you get to try it?" in t for t in citizen.texts)
    assert await rows(h, "SELECT * FROM community_followups") == []


def test_the_sandbox_has_a_small_example_list_unless_the_operator_has_one(tmp_path: Path) -> None:
    example = sandbox_config(None, tmp_path / "data")
    assert [c.key for c in example.communities] == ["gaaklub", "recovery-cafe", "hearing-voices"]
    assert all("(example)" in c.name["en"] for c in example.communities)
    own = tmp_path / "peerbot.toml"
    own.write_text(
        '[[communities]]\nkey = "kor"\nlink = "https://example.org/kor"\n'
        + "".join(f'{part} = {{ da = "Kor", en = "Choir" }}\n' for part in COMMUNITY_PARTS),
        encoding="utf-8",
    )
    assert [c.key for c in sandbox_config(own, tmp_path / "data").communities] == ["kor"]


async def test_the_follow_up_waits_for_the_end_of_quiet_hours(h: Harness) -> None:
    peer, citizen = await share_walk(h)
    await press(h, peer, "Walking group")
    await press(h, citizen, "Yes, ask me later")
    # Due at 10:00 three weeks on; the bot was down until 23:00 that day (quiet hours).
    h.clock.advance(timedelta(weeks=3, hours=13))
    await h.tick()
    assert not any("Did you get to try it?" in t for t in citizen.texts)
    await h.tick(timedelta(hours=9, minutes=5))  # 08:05 the next morning
    assert len([t for t in citizen.texts if "Did you get to try it?" in t]) == 1


def test_check_config_warns_and_run_refuses_an_unverified_community(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    example = Path(__file__).resolve().parents[2] / "peerbot.example.toml"
    text = example.read_text(encoding="utf-8")
    start = text.index("# [[communities]]")
    entry = "\n".join(line.removeprefix("# ") for line in text[start:].splitlines())
    entry = entry.replace("verified = 2026-12-01", "")
    config = tmp_path / "peerbot.toml"
    config.write_text(text + "\n" + entry + "\n", encoding="utf-8")
    assert main(["--config", str(config), "check-config"]) == 0
    err = capsys.readouterr().err
    assert 'warning: communities "gaaklub": no verified date; check that it still meets' in err
    assert main(["--config", str(config), "run"]) == 1
    err = capsys.readouterr().err
    assert 'communities "gaaklub": not verified' in err


def test_export_stats_has_the_community_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from bot.cli import main
    from bot.storage import Database
    from bot.storage import communities as store

    async def seed() -> None:
        db = await Database.open(tmp_path / "bot.sqlite3")
        try:
            async with db.transaction() as tx:
                for _ in range(6):
                    await store.add_count(tx, date(2026, 10, 5), "walk", "shared")
                    await store.add_count(tx, date(2026, 10, 5), "", "answer_yes")
                await store.add_count(tx, date(2026, 10, 6), "choir", "shared")
                await store.add_count(tx, date(2026, 10, 6), "", "contact_tried")
        finally:
            await db.close()

    asyncio.run(seed())
    config = tmp_path / "peerbot.toml"
    config.write_text(
        f'[storage]\ndatabase = "{tmp_path / "bot.sqlite3"}"\n[coordinators]\nuser_ids = [1]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    out = tmp_path / "october.csv"
    argv = ["--config", str(config), "export-stats", "--from", "2026-10-01", "--to", "2026-10-31"]
    assert main([*argv, "--csv", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    span = "2026-10-01..2026-10-31"
    assert f"{span},community_answers,6" in lines
    assert f"{span},community_tried,6" in lines
    assert f"{span},community_contacts_tried,<5" in lines
    assert f"{span},community_shared:walk,6" in lines
    assert f"{span},community_shared:choir,<5" in lines


async def test_the_peer_deleting_their_data_does_not_cancel_the_citizens_follow_up(
    h: Harness,
) -> None:
    """The citizen was told "I will ask you in about three weeks": that is their own wish and
    must outlive the peer's erasure (which deletes the contact the follow-up came from)."""
    peer, citizen = await share_walk(h)
    await press(h, peer, "Walking group")
    await press(h, citizen, "Yes, ask me later")
    assert "I will ask you in about three weeks" in citizen.texts[-1]
    peer.send_text("/delete")
    await h.settle()
    peer.press_button("Yes, delete everything")
    await h.settle()
    await h.tick(timedelta(weeks=3, hours=1))
    asked = [t for t in citizen.texts if "Did you get to try it?" in t]
    assert len(asked) == 1 and "Walking group" in asked[0]
    await press(h, citizen, "Yes")
    assert "How good that you tried it" in citizen.texts[-1]
    # The contact is gone, so nothing links the answer to anyone: only the counts keep it.
    assert await rows(h, "SELECT * FROM community_followups") == []


async def test_a_follow_up_asked_and_left_unanswered_does_not_block_a_new_one(h: Harness) -> None:
    """Saying "I will already ask you about this one" is true only while the question is still to
    come: once it was asked (and left unanswered), agreeing again plans a new one."""
    peer, citizen = await share_walk(h)
    await press(h, peer, "Walking group")
    await press(h, citizen, "Yes, ask me later")
    await h.tick(timedelta(weeks=3, hours=1))
    assert len([t for t in citizen.texts if "Did you get to try it?" in t]) == 1
    # Ada leaves it unanswered; Maja shares the walk again and Ada would like to be asked.
    peer.send_text("/mycontacts")
    await h.settle()
    await press(h, peer, "Share a community", "Walking group")
    await press(h, citizen, "Yes, ask me later")
    assert "I will ask you in about three weeks" in citizen.texts[-1]
    await h.tick(timedelta(weeks=3, hours=1))
    assert len([t for t in citizen.texts if "Did you get to try it?" in t]) == 2


async def test_a_short_retention_period_does_not_cancel_a_follow_up_still_to_come(
    h: Harness,
) -> None:
    """An organisation keeping closed cases only two weeks: the question the citizen asked for
    in three weeks still comes, and stays long enough to be answered."""
    h.config = replace(h.config, retention_days=14)
    await h.restart()
    peer, citizen = await share_walk(h)
    await press(h, peer, "Walking group")
    await press(h, citizen, "Yes, ask me later")
    for _ in range(22):
        await h.tick(timedelta(days=1))
    asked = [t for t in citizen.texts if "Did you get to try it?" in t]
    assert len(asked) == 1 and "Walking group" in asked[0]
    # Asked and left unanswered, it stays the retention period from when it was asked.
    for _ in range(11):
        await h.tick(timedelta(days=1))
    assert len(await rows(h, "SELECT * FROM community_followups")) == 1
    for _ in range(4):
        await h.tick(timedelta(days=1))
    assert await rows(h, "SELECT * FROM community_followups") == []


async def test_a_saved_activity_removed_from_the_list_is_not_kept(h: Harness) -> None:
    """The privacy text says a saved activity is kept until the citizen removes it; one the
    list no longer has cannot be shown or removed, so it goes like its follow-up."""
    citizen = h.user(1005, "Bo", language="en")
    await make_peer(h, 2001, "Maja")
    await ask_for_peer(h, citizen)
    citizen.send_text("/communities")
    await h.settle()
    await press(h, citizen, "Show all", "Choir", "Save it on my list", "No thanks")
    assert await rows(h, "SELECT community_key FROM community_saved") == [("choir",)]
    h.config = replace(h.config, communities=(h.config.communities[0],))
    await h.restart()
    await h.tick(timedelta(hours=1))
    assert await rows(h, "SELECT * FROM community_saved") == []
    citizen.send_text("/communities")
    await h.settle()
    assert "★" not in citizen.texts[-1]


async def test_a_follow_up_still_to_come_keeps_its_citizen_through_retention(h: Harness) -> None:
    """With a short retention period the ended contact and the closed request go before the
    follow-up is due; the citizen (and so the follow-up) must not go with them."""
    h.config = replace(h.config, retention_days=14)
    await h.restart()
    peer, citizen = await share_walk(h)
    await press(h, peer, "Walking group")
    await press(h, citizen, "Save it on my list", "Yes, ask me later")
    peer.send_text("/end")
    await h.settle()
    await press(h, peer, "End contact with", "Yes, end it")
    for _ in range(22):
        await h.tick(timedelta(days=1))
    assert await rows(h, "SELECT * FROM contacts") == []
    asked = [t for t in citizen.texts if "Did you get to try it?" in t]
    assert len(asked) == 1 and "Walking group" in asked[0]
    await press(h, citizen, "Yes")
    assert "How good that you tried it" in citizen.texts[-1]


async def test_the_list_after_removing_one_still_counts_for_the_contact(h: Harness) -> None:
    """*Back to the list* after *Remove from my list* leads to the same list as /communities:
    during a contact, what is saved from it counts for the contact ("led to trying")."""
    _peer, citizen = await in_contact(h)
    citizen.send_text("/communities")
    await h.settle()
    await press(h, citizen, "Walking group", "Save it on my list", "No thanks")
    citizen.send_text("/communities")
    await h.settle()
    await press(h, citizen, "★ Walking group", "Remove from my list", "Back to the list")
    await press(h, citizen, "Hearing Voices group", "Save it on my list", "Yes, ask me later")
    planned = await rows(h, "SELECT contact_id FROM community_followups")
    assert len(planned) == 1 and planned[0][0] is not None
