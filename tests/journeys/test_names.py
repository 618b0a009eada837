"""The name a citizen's peer sees, through the real Application: told at the last step of a
request, chosen from suggestions or typed (and checked), kept as today's pseudonym, in /mydata,
changed later with /name but not during a contact; crisis words typed as a name stay crisis
words."""

import json
import re

from pytest import MonkeyPatch

from bot.fakebot import FakeUser
from bot.services import menus, privacy, pseudonyms
from bot.storage import users as user_store
from tests.helpers.flows import ADULT, INTAKE_ANSWERS, in_contact, make_peer, press
from tests.helpers.harness import Harness

MADE_UP = re.compile(r"^(?P<word>\w+) (?P<number>\d\d)$")


async def stored_name(h: Harness, telegram_id: int) -> str | None:
    user = await user_store.by_telegram_id(h.rt.storage, telegram_id)
    assert user is not None
    return user.pseudonym


def buttons(message: dict) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def up_to_the_last_step(h: Harness, citizen: FakeUser) -> None:
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Talk to a peer", ADULT, "I agree", *INTAKE_ANSWERS, "Skip")


async def test_the_last_step_tells_the_name_and_a_suggestion_becomes_what_the_peer_sees(
    harness: Harness,
) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, "Ada", language="en")
    await up_to_the_last_step(h, citizen)
    given = await stored_name(h, 1001)
    assert given is not None and MADE_UP.match(given)
    assert f"Your peer and our coordinators know you as: {given}" in citizen.texts[-1]
    assert "Ada" not in citizen.texts[-1]

    await press(h, citizen, "Choose another name")
    offered = [b for b in buttons(citizen.last_message) if MADE_UP.match(b)]
    assert len(offered) == 3 and given not in offered
    assert len({MADE_UP.match(b).group("word") for b in offered}) == 3  # type: ignore[union-attr]
    await press(h, citizen, offered[1])
    assert await stored_name(h, 1001) == offered[1]
    told = f"Your peer and our coordinators know you as: {offered[1]}"
    assert told in citizen.texts[-2]
    assert "Please check your request" in citizen.texts[-1] and told in citizen.texts[-1]

    await press(h, citizen, "Send request")
    await press(h, peer, "Accept")
    citizen.send_text("hello")
    await h.settle()
    assert peer.texts[-1].startswith(offered[1])
    user = await user_store.by_telegram_id(h.rt.storage, 1001)
    assert user is not None
    data = json.loads((await privacy.copy_of_data(h.rt, user)).document)
    assert data["users"][0]["pseudonym"] == offered[1]


async def test_a_typed_name_is_checked_then_kept_and_keep_changes_nothing(
    harness: Harness,
) -> None:
    h = harness
    citizen = h.user(1001, "Ada", language="en")
    await up_to_the_last_step(h, citizen)
    given = await stored_name(h, 1001)
    await press(h, citizen, "Choose another name")
    refused = {
        "see www.example.dk": "link",
        "https://t.me/ada": "link",
        "@ada_k": "@username",
        "Ada +45 12 34 56 78": "phone number",
        "2024": "at least one letter",
        "x" * 25: "at most 24 characters",
        "Maja (coordinator)": "brackets",
    }
    for text, reason in refused.items():
        citizen.send_text(text)
        await h.settle()
        assert reason in citizen.texts[-1], text
        assert await stored_name(h, 1001) == given
    citizen.send_text("  Regnbue  ")
    await h.settle()
    assert await stored_name(h, 1001) == "Regnbue"
    assert "know you as: Regnbue" in citizen.texts[-2]
    assert "Please check your request" in citizen.texts[-1]

    # The choice is closed now: a typed message is not taken as a name any more.
    citizen.send_text("Sommerfugl")
    await h.settle()
    assert await stored_name(h, 1001) == "Regnbue"

    citizen.send_text("/name")
    await h.settle()
    assert "know you as: Regnbue" in citizen.texts[-1]
    await press(h, citizen, "Keep Regnbue")
    assert await stored_name(h, 1001) == "Regnbue"


async def test_crisis_words_typed_as_a_name_are_answered_as_crisis_and_never_stored(
    harness: Harness,
) -> None:
    h = harness
    citizen = h.user(1001, "Ada", language="en")
    await up_to_the_last_step(h, citizen)
    given = await stored_name(h, 1001)
    await press(h, citizen, "Choose another name")
    citizen.send_text("i want to die")
    await h.settle()
    assert await stored_name(h, 1001) == given
    escalations = await h.rt.storage.fetchall("SELECT reason FROM escalations")
    assert [r[0] for r in escalations] == ["signal"]
    assert not any("know you as: i want to die" in text for text in citizen.texts)


async def test_the_name_stays_during_a_contact_and_messages_reach_the_peer(
    harness: Harness,
) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    given = await stored_name(h, 1001)
    citizen.send_text("/name")
    await h.settle()
    assert f"Your peer knows you as: {given}" in citizen.texts[-1]
    assert "stays the same while you are in contact" in citizen.texts[-1]
    citizen.send_text("Regnbue")
    await h.settle()
    assert await stored_name(h, 1001) == given
    assert peer.texts[-1].endswith("Regnbue")  # relayed as any message
    citizen.press(citizen.last_message["message_id"], "name:set:x" + b"Regnbue".hex(), forge=True)
    await h.settle()
    assert await stored_name(h, 1001) == given


async def test_peers_and_people_without_consent_cannot_take_a_citizen_name(
    harness: Harness,
) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    peer.send_text("/name")
    await h.settle()
    assert "Your name here is: Maja" in peer.texts[-1]
    peer.press(
        peer.last_message["message_id"], "name:set:x" + "Lærke 12".encode().hex(), forge=True
    )
    await h.settle()
    assert await stored_name(h, 2001) == "Maja"
    newcomer = h.user(1002, "Bo", language="en")
    newcomer.send_text("/name")
    await h.settle()
    assert "You get a name when you ask for a peer" in newcomer.texts[-1]
    assert await user_store.by_telegram_id(h.rt.storage, 1002) is None


async def test_danish_last_step_tells_the_name(harness: Harness) -> None:
    h = harness
    citizen = h.user(1001, "Ada", language="da")
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Tal med en peer")
    adult = next(b for b in buttons(citizen.last_message) if "18" in b and "nder" not in b)
    await press(h, citizen, adult, "Jeg accepterer")
    for _ in range(3):  # topic, language, times (chat is the only contact form)
        first = next(b for b in buttons(citizen.last_message) if b not in {"Tilbage"})
        await press(h, citizen, first)
    await press(h, citizen, "Spring over")
    given = await stored_name(h, 1001)
    assert f"Din peer og vores koordinatorer kender dig som: {given}" in citizen.texts[-1]


def test_made_up_names_read_as_names_not_typos() -> None:
    for word in pseudonyms.WORDS:
        assert len(word) >= 3 and word[0].isupper() and word.isalpha(), word
    for _ in range(200):
        name = pseudonyms.citizen_pseudonym()
        match = MADE_UP.match(name)
        assert match and match.group("word") in pseudonyms.WORDS
        assert pseudonyms.chosen_name(name) == name  # a made-up name passes the checks too
    offered = pseudonyms.suggestions("Birk 42")
    assert len(offered) == 3 and not any(name.startswith("Birk ") for name in offered)


async def test_a_contact_that_begins_while_the_choice_is_open_gets_the_message(
    harness: Harness,
) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, "Ada", language="en")
    await up_to_the_last_step(h, citizen)
    given = await stored_name(h, 1001)
    await press(h, citizen, "Choose another name", "Send request")
    await press(h, peer, "Accept")
    citizen.send_text("Hello Maja")
    await h.settle()
    assert await stored_name(h, 1001) == given
    assert peer.texts[-1].endswith("Hello Maja")


async def test_help_and_the_menu_point_to_name(harness: Harness) -> None:
    h = harness
    citizen = h.user(1001, "Ada", language="da")
    citizen.send_text("/help")
    await h.settle()
    assert "/name: det navn, din peer ser" in citizen.texts[-1]
    assert ("name", "The name your peer sees") in menus.COMMANDS[menus.Menu.CITIZEN]


async def test_a_suggested_name_with_danish_letters_can_be_pressed(
    harness: Harness, monkeypatch: MonkeyPatch
) -> None:
    h = harness
    monkeypatch.setattr(
        pseudonyms, "suggestions", lambda current, count=3: ["Lærke 12", "Ørn 33", "Bjørn 45"]
    )
    citizen = h.user(1001, "Ada", language="en")
    await up_to_the_last_step(h, citizen)
    await press(h, citizen, "Choose another name", "Ørn 33")
    assert await stored_name(h, 1001) == "Ørn 33"
    assert "Your peer and our coordinators know you as: Ørn 33" in citizen.texts[-1]
