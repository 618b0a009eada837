"""Urgent help without Telegram: who is told, what is stored, and that a press handled twice
raises one alert."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services.crisis import safety, urgent
from bot.storage import escalations as escalation_store
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR
from tests.services import given

STRANGER = 4242


async def test_help_now_from_a_stranger_alerts_the_coordinators_and_stores_only_a_made_up_name(
    rt: Runtime,
) -> None:
    outcome = await urgent.help_now(rt, STRANGER, "en", source_key="update:1")
    assert outcome.escalation_id is not None and outcome.stored_without_consent
    told = {chat for chat, _ in await given.outbox(rt)}
    assert COORDINATOR in told and STRANGER not in told
    row = await rt.storage.fetchone(
        "SELECT pseudonym, consent_at FROM users WHERE telegram_id = ?", (STRANGER,)
    )
    assert row is not None and row[0] and row[1] is None
    assert BACKUP_COORDINATOR not in told  # the backup is called only when nobody answers


async def test_the_same_press_handled_again_after_a_restart_raises_nothing_new(
    rt: Runtime,
) -> None:
    first = await urgent.help_now(rt, STRANGER, "en", source_key="update:7")
    sent = len(await given.outbox(rt))
    again = await urgent.help_now(rt, STRANGER, "en", source_key="update:7")
    assert again.escalation_id == first.escalation_id
    assert len(await given.outbox(rt)) == sent
    (count,) = await rt.storage.fetchone("SELECT COUNT(*) FROM escalations")
    assert count == 1


async def test_a_second_press_joins_the_first_alert(rt: Runtime) -> None:
    first = await urgent.help_now(rt, STRANGER, "en", source_key="update:1")
    again = await urgent.help_now(rt, STRANGER, "en", source_key="update:2")
    assert again.escalation_id == first.escalation_id
    found = await escalation_store.by_id(rt.storage, first.escalation_id or 0)
    assert found is not None and found.repeat_count == 1


async def test_a_press_in_a_contact_names_the_peer_who_hears_what_happened(rt: Runtime) -> None:
    contact = await given.pair(rt)
    before = await given.mark(rt)
    outcome = await urgent.help_now(rt, contact.citizen_chat, "en", source_key="update:1")
    assert not outcome.stored_without_consent
    found = await escalation_store.by_id(rt.storage, outcome.escalation_id or 0)
    assert found is not None
    assert (found.contact_id, found.request_id) == (contact.id, contact.request_id)
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [COORDINATOR, contact.peer_chat]
    assert sent[1][1].startswith(f"{contact.citizen_name} asked for urgent help with the button.")


async def test_crisis_words_while_waiting_link_the_request_and_tell_no_peer(rt: Runtime) -> None:
    user = await given.citizen(rt)
    request = await given.request(rt, user)
    found = safety.check(rt, "I want to kill myself")
    assert found is not None
    outcome = await urgent.crisis_words(rt, user.telegram_id, "en", found, source_key="update:9")
    stored = await escalation_store.by_id(rt.storage, outcome.escalation_id or 0)
    assert stored is not None
    assert (stored.reason, stored.request_id, stored.contact_id) == ("signal", request.id, None)
    assert "level:2" in stored.categories


async def test_after_hours_the_outcome_says_nobody_can_answer_until_monday(
    rt: Runtime, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 6, 20, 0, tzinfo=UTC))  # Friday 21:00 in Copenhagen
    outcome = await urgent.help_now(rt, STRANGER, "en", source_key="update:1")
    assert not outcome.office_open and outcome.nobody_reachable
    assert outcome.next_opening_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    # The caller tells the person; the escalation itself queues nothing for them.
    assert STRANGER not in {chat for chat, _ in await given.outbox(rt)}


def test_urgent_updates_are_known_from_their_raw_form(rt: Runtime) -> None:
    is_urgent = urgent.urgent_update_check(rt)
    assert is_urgent({"update_id": 1, "callback_query": {"data": "urgent:now"}})
    assert not is_urgent({"update_id": 2, "callback_query": {"data": "menu:home"}})
    assert is_urgent({"update_id": 3, "message": {"text": "/help_now"}})
    assert is_urgent({"update_id": 4, "message": {"text": "I want to kill myself"}})
    assert is_urgent({"update_id": 5, "message": {"caption": "I want to kill myself"}})
    assert not is_urgent({"update_id": 6, "message": {"text": "Good morning"}})
    assert safety.verdict(rt, 4, None) is not None  # kept for the handler
