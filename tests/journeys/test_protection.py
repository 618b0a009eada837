"""Protecting peers through the real Application: end and report, bars, the undertaking."""

import json
from dataclasses import replace
from datetime import timedelta

from bot.services import privacy
from bot.storage import users as user_store
from tests.helpers.flows import (
    ADULT,
    INTAKE_ANSWERS,
    ask_for_peer,
    coordinator,
    in_contact,
    make_peer,
    press,
)
from tests.helpers.harness import COORDINATOR, Harness
from tests.journeys.test_privacy import scan_for


async def end_and_report(h: Harness, peer, reason: str = "Abusive or threatening") -> None:  # type: ignore[no-untyped-def]
    peer.send_text("/end")
    await h.settle()
    await press(h, peer, "End contact with", "End and report", reason)


async def ask_again(h: Harness, citizen) -> None:  # type: ignore[no-untyped-def]
    """A citizen who consented earlier asks for a peer once more."""
    citizen.send_text("/request")
    await h.settle()
    await press(h, citizen, ADULT, *INTAKE_ANSWERS, "Skip", "Send request")


def note_prompt(peer):  # type: ignore[no-untyped-def]
    return next(m for m in reversed(peer.messages) if "(R#" in m.get("text", ""))


async def test_peer_ends_and_reports_coordinator_bars_citizen_keeps_help(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    before = len(citizen.texts)  # the notice before consent says peers can report (true)
    await end_and_report(h, peer)
    # The citizen sees only the ordinary ending, never the report.
    ended = [t for t in citizen.texts if "has ended your conversation" in t]
    assert ended and not any("report" in t.lower() for t in citizen.texts[before:])
    assert any("our coordinators have your report" in t for t in peer.texts)
    assert any("a coordinator can talk it through" in t for t in peer.texts)  # care offered
    alert = coco.texts[-1]
    assert "Report #1: Maja ended the contact" in alert and "Abusive or threatening" in alert
    assert "has not been told" in alert
    # The optional note, as a reply to the prompt.
    prompt = note_prompt(peer)
    peer.send_text(
        "He kept writing insults after I asked him to stop", reply_to=prompt["message_id"]
    )
    await h.settle()
    assert peer.texts[-1] == "Your note has been passed on to the coordinators."
    assert "The peer's note: He kept writing insults" in coco.texts[-1]
    # A second note is refused.
    peer.send_text("more", reply_to=prompt["message_id"])
    await h.settle()
    assert peer.texts[-1] == "That button is no longer valid."
    coco.press_button("Bar 1 month")
    await h.settle()
    assert "barred until" in coco.texts[-1]
    assert "A coordinator has looked at your report #1" in peer.texts[-1]
    audit = await h.rt.storage.fetchone(
        "SELECT actor_id, action, target FROM audit ORDER BY id DESC"
    )
    assert tuple(audit) == (COORDINATOR, "bar_citizen", "report:1")
    # The barred citizen asks again: a neutral answer with the emergency lines, no reason.
    citizen.send_text("/start")
    await h.settle()
    citizen.press_button("Talk to a peer")
    await h.settle()
    answer = citizen.texts[-1]
    assert "cannot put you in contact with a peer" in answer and "112" in answer
    assert "April" in answer  # 30 days from 2 March 2026
    for word in ("report", "abus", "insult", "behav"):
        assert word not in answer.lower()
    assert not await h.rt.storage.fetchone("SELECT 1 FROM requests WHERE status = 'draft'")
    # Urgent help still works in full.
    citizen.press_button("I need help now")
    await h.settle()
    assert "You are not alone" in citizen.texts[-1] and "70 201 201" in citizen.texts[-1]
    assert any(t.startswith("Urgent #") for t in coco.texts)
    # The bar ends by itself.
    await h.tick(timedelta(days=31))
    citizen.send_text("/request")
    await h.settle()
    assert "First, how old are you?" in citizen.texts[-1]  # intake begins again, age first


async def test_reporting_peer_is_never_offered_that_citizen_again(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    peer, citizen = await in_contact(h)
    await end_and_report(h, peer, "Repeated boundary crossing")
    h.fake.user(COORDINATOR).press_button("Dismiss")
    await h.settle()
    assert "dismissed" in h.fake.user(COORDINATOR).texts[-1]
    before = len(peer.texts)
    await ask_again(h, citizen)
    assert not any("would like to talk" in t for t in peer.texts[before:])
    citizen.send_text("/status")
    await h.settle()
    assert "Waiting for a peer" in citizen.texts[-1]

    coco = h.fake.user(COORDINATOR)  # nor can a coordinator choose them for this citizen
    coco.send_text("/queue")
    await h.settle()
    await press(h, coco, "Open #2", "Offer to a peer")
    keyboard = coco.messages[-1].get("reply_markup", {}).get("inline_keyboard", [])
    assert not any(b["text"].startswith("Maja") for row in keyboard for b in row)


async def test_first_decision_wins_and_buttons_cannot_be_forged(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    # A citizen cannot "end and report" their peer, nor can anyone forge it.
    citizen.press(citizen.last_message["message_id"], "rep:abuse:1", forge=True)
    await h.settle()
    assert citizen.answered_callbacks[-1] == "That button is no longer valid."
    stranger = h.user(4444, language="en")
    stranger.send_text("/start")
    await h.settle()
    stranger.press(stranger.last_message["message_id"], "rep:abuse:1", forge=True)
    await h.settle()
    assert stranger.answered_callbacks[-1] == "That button is no longer valid."
    peer.press(peer.last_message["message_id"], "rep:nonsense:1", forge=True)
    await h.settle()
    assert peer.answered_callbacks[-1] == "That button is no longer valid."
    assert not await h.rt.storage.fetchone("SELECT 1 FROM reports")
    await end_and_report(h, peer, "Sexual content")
    # A non-coordinator pressing a bar button changes nothing.
    peer.press(peer.last_message["message_id"], "bar:m3:1", forge=True)
    await h.settle()
    assert peer.answered_callbacks[-1] == "That button is no longer valid."
    coco.press_button("Dismiss")
    await h.settle()
    coco.press(coco.last_message["message_id"], "bar:w1:1", forge=True)
    await h.settle()
    assert coco.answered_callbacks[-1] == "This report has already been decided."
    coco.press(coco.last_message["message_id"], "bar:w1:99", forge=True)
    await h.settle()
    assert coco.answered_callbacks[-1] == "That button is no longer valid."
    user = await user_store.by_telegram_id(h.rt.storage, 1001)
    assert user is not None and user.barred_until is None
    # Stale: the contact has ended, so the old report button is no longer valid.
    peer.press(peer.last_message["message_id"], "rep:abuse:1", forge=True)
    await h.settle()
    assert peer.answered_callbacks[-1] == "That button is no longer valid."


async def test_reports_command_lists_and_decides(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    coco.send_text("/reports")
    await h.settle()
    assert coco.texts[-1] == "No reports in the last 30 days."
    await end_and_report(h, peer, "Other")
    await h.restart()  # the report and its decision buttons survive a restart
    coco.send_text("/reports")
    await h.settle()
    assert "Report #1" in coco.texts[-1] and "Other" in coco.texts[-1]
    coco.press_button("Bar 1 week")
    await h.settle()
    coco.send_text("/reports")
    await h.settle()
    assert "Decided in the last 30 days:" in coco.texts[-1] and "barred until" in coco.texts[-1]
    citizen.send_text("/reports")
    await h.settle()
    assert "What I can do" in citizen.texts[-1]


async def test_bar_withdraws_a_waiting_request_neutrally(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    await end_and_report(h, peer)
    peer.send_text("/away")
    await h.settle()
    await ask_again(h, citizen)  # asks again before the coordinators decided
    coco.press_button("Bar 3 months")
    await h.settle()
    notice = citizen.texts[-1]
    assert "cannot put you in contact with a peer" in notice
    # The numbers it speaks of are in the message itself, and no promise of a coordinator.
    assert "112" in notice and "alerts our coordinators" in notice
    assert "always reaches" not in notice
    assert citizen.last_message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == (
        "urgent:now"
    )
    row = await h.rt.storage.fetchone("SELECT status, close_reason FROM requests ORDER BY id DESC")
    assert tuple(row) == ("cancelled", "barred")


async def test_barred_citizen_in_danish(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    peer, _ = await in_contact(h)
    await end_and_report(h, peer)
    coco.press_button("Bar 1 week")
    await h.settle()
    dansk = h.user(1001)
    dansk.send_text("/language")
    await h.settle()
    dansk.press_button("Dansk")
    await h.settle()
    dansk.send_text("/request")
    await h.settle()
    assert "112" in dansk.texts[-1] and "peer" in dansk.texts[-1]
    assert "Lige nu" in dansk.texts[-1]


async def test_report_note_in_mydata_deleted_with_the_citizen_and_by_retention(
    harness: Harness,
) -> None:
    h = harness
    await coordinator(h)
    peer, citizen = await in_contact(h)
    await end_and_report(h, peer)
    peer.send_text("threatening words xyzzy", reply_to=note_prompt(peer)["message_id"])
    await h.settle()
    for person in (1001, 2001):
        user = await user_store.by_telegram_id(h.rt.storage, person)
        assert user is not None
        data = json.loads((await privacy.copy_of_data(h.rt, user)).document)
        assert data["reports"][0]["note"] == "threatening words xyzzy"
        assert data["reports"][0]["peer_id"] == "Maja"  # the reporting peer, by made-up name
    citizen.send_text("/delete")
    await h.settle()
    citizen.press_button("Yes, delete everything")
    await h.settle()
    assert await scan_for(h, ["threatening words xyzzy"]) == []


async def test_retention_removes_reports_after_the_bar(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    peer, _ = await in_contact(h)
    await end_and_report(h, peer)
    peer.send_text("note to purge", reply_to=note_prompt(peer)["message_id"])
    await h.settle()
    coco.press_button("Bar 3 months")
    await h.settle()
    # Kept while the bar runs (90 days) and the retention period (180 days) after it.
    await h.tick(timedelta(days=200))
    assert await h.rt.storage.fetchone("SELECT 1 FROM reports")
    user = await user_store.by_telegram_id(h.rt.storage, 1001)
    assert user is not None and user.barred_until is not None
    await h.tick(timedelta(days=75))
    assert await h.rt.storage.fetchone("SELECT 1 FROM reports") is None
    assert await user_store.by_telegram_id(h.rt.storage, 1001) is None
    assert await scan_for(h, ["note to purge"]) == []


async def test_undertaking_recorded_at_onboarding_with_version_and_time(harness: Harness) -> None:
    h = harness
    await in_contact(h)
    row = await h.rt.storage.fetchone(
        "SELECT undertaking_version, undertaking_at FROM peer_profiles"
    )
    assert row[0] == 1 and row[1].startswith("2026-03-02")


async def test_new_undertaking_version_is_asked_before_new_offers(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    peer, first = await in_contact(h)
    third = h.user(1003, "Cy", language="en")
    await ask_for_peer(h, third)  # offered before the new version
    h.config = replace(h.config, undertaking_version=2)
    await h.restart()
    peer.press_button("Accept")
    await h.settle()
    assert peer.answered_callbacks[-1] == (
        "Please accept the updated confidentiality undertaking first."
    )
    assert any("has been updated" in t for t in peer.texts[-2:])
    peer.press_button("Decline")
    await h.settle()
    second = h.user(1002, "Bo", language="en")
    await ask_for_peer(h, second)
    assert await h.rt.storage.fetchone("SELECT 1 FROM offers WHERE status = 'pending'") is None
    # The prompt came at the first interaction; messages still go to the citizen.
    assert any("Confidentiality undertaking (version 2)" in t for t in peer.texts)
    first_count = len(first.texts)
    peer.send_text("hello again")
    await h.settle()
    assert len(first.texts) > first_count
    # Asked once, not at every message.
    peer.send_text("and again")
    await h.settle()
    assert sum("has been updated" in t for t in peer.texts) == 1
    coco = h.fake.user(COORDINATOR)
    coco.send_text("/peers")
    await h.settle()
    assert "has not accepted the current undertaking" in coco.texts[-1]
    peer.press_button("I accept")
    await h.settle()
    assert "offers can reach you again" in " ".join(peer.texts[-2:])
    assert "would like to talk" in peer.texts[-1]
    row = await h.rt.storage.fetchone("SELECT undertaking_version FROM peer_profiles")
    assert row[0] == 2
    peer.press(peer.messages[-2]["message_id"], "und:yes", forge=True)
    await h.settle()
    assert peer.answered_callbacks[-1] == "That button is no longer valid."


async def test_undertaking_in_danish_and_from_configuration(harness: Harness) -> None:
    h = harness
    h.config = replace(
        h.config, undertaking_text={"da": "Min egen tekst om tavshed.", "en": "Our own text."}
    )
    await h.restart()
    coco = await coordinator(h)
    coco.send_text("/invite")
    await h.settle()
    payload = coco.texts[-1].split("start=")[1]
    peer = h.user(2005, "Sif", language="da")
    peer.send_text(f"/start {payload}")
    await h.settle()
    peer.send_text("Sif")
    await h.settle()
    await press(h, peer, "Angst", "Færdig", "Dansk", "Færdig", "1", "Om aftenen", "Færdig")
    assert "Min egen tekst om tavshed." in peer.texts[-1]
    assert "Tavshedserklæring (version 1)" in peer.texts[-1]
    peer.press_button("Jeg accepterer")
    await h.settle()
    assert "godkend" in peer.texts[-1].lower()


async def test_every_coordinator_sees_the_first_decision(harness: Harness) -> None:
    h = harness
    h.config = replace(h.config, coordinator_ids=(COORDINATOR, 9003))
    await h.restart()
    one, two = await coordinator(h), await coordinator(h, 9003, "Dina")
    peer, _ = await in_contact(h)
    await end_and_report(h, peer)
    assert "Report #1" in one.texts[-1] and "Report #1" in two.texts[-1]
    one.press_button("Bar 1 week")
    await h.settle()
    assert "barred until" in one.texts[-1]
    assert "barred until" in two.texts[-1]
    assert not two.last_message.get("reply_markup")
    two.press(two.last_message["message_id"], "bar:no:1", forge=True)
    await h.settle()
    assert two.answered_callbacks[-1] == "This report has already been decided."
    row = await h.rt.storage.fetchone("SELECT status, decided_by FROM reports")
    assert tuple(row) == ("barred", COORDINATOR)


async def test_a_bar_and_the_report_outlive_erasing_and_coming_back(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    await end_and_report(h, peer)
    peer.send_text("note words qwerty", reply_to=note_prompt(peer)["message_id"])
    await h.settle()
    coco.press_button("Bar 1 month")
    await h.settle()
    citizen.send_text("/delete")
    await h.settle()
    citizen.press_button("Yes, delete everything")
    await h.settle()
    # Nothing links the report to the person any more, and the note is gone.
    assert await scan_for(h, ["note words qwerty", "1001"]) == []
    assert await user_store.by_telegram_id(h.rt.storage, 1001) is None
    row = await h.rt.storage.fetchone("SELECT citizen_id, note, citizen_mark FROM reports")
    assert row is not None and row[0] is None and row[1] is None and len(row[2]) == 64
    # The same person comes back: the bar still runs.
    citizen.send_text("/start")
    await h.settle()
    citizen.press_button("Talk to a peer")
    await h.settle()
    await press(h, citizen, "18 or over", "I agree")
    assert any("cannot put you in contact with a peer" in t for t in citizen.texts[-3:])
    # After the bar, the reporting peer is still never offered them.
    await h.tick(timedelta(days=31))
    before = len(peer.texts)
    citizen.send_text("/request")
    await h.settle()
    await press(h, citizen, *INTAKE_ANSWERS, "Skip", "Send request")
    assert any("Your request has been sent" in t for t in citizen.texts[-3:])
    assert not any("would like to talk" in t for t in peer.texts[before:])
    # Someone else is not marked.
    other = h.user(1002, "Bo", "en")
    await ask_for_peer(h, other)
    assert any("would like to talk" in t for t in peer.texts[before:])


async def test_new_undertaking_version_is_sent_to_peers_once_at_start(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    peer = await make_peer(h, 2001, "Maja")
    other = await make_peer(h, 2002, "Ole")
    # Upgraded from before the undertaking: nobody has a version on record.
    await h.rt.storage.execute("UPDATE peer_profiles SET undertaking_version = NULL")
    await h.restart()
    await h.settle()
    for person in (peer, other):
        asked = [t for t in person.texts if "has been updated" in t]
        assert len(asked) == 1, person.texts  # unprompted: they wrote nothing
        assert "Confidentiality undertaking (version 1)" in asked[0]
    told = [t for t in coco.texts if "No approved peer has accepted version 1" in t]
    assert len(told) == 1
    # A restart sends nothing twice; writing to the bot does not ask again either.
    await h.restart()
    await h.settle()
    peer.send_text("/mycontacts")
    await h.settle()
    assert sum("has been updated" in t for t in peer.texts) == 1
    assert sum("No approved peer has accepted" in t for t in coco.texts) == 1
    citizen = h.user(1001, "Ada", language="en")
    await ask_for_peer(h, citizen)
    assert await h.rt.storage.fetchone("SELECT 1 FROM offers WHERE status = 'pending'") is None
    peer.press_button("I accept")
    await h.settle()
    assert any("offers can reach you again" in t for t in peer.texts)
    assert "would like to talk" in peer.texts[-1]
    # A later version is sent again, once; someone has accepted the old one only.
    h.config = replace(h.config, undertaking_version=2)
    await h.restart()
    await h.settle()
    assert sum("(version 2)" in t for t in peer.texts) == 1
    assert sum("(version 2)" in t for t in other.texts) == 1
    assert sum("No approved peer has accepted version 2" in t for t in coco.texts) == 1
