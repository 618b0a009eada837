"""Crisis signals without Telegram: the verdict is made once per update and read once, words in
a contact raise one escalation per update, and the peer has a heavy moment only for words they
actually received."""

from __future__ import annotations

from bot.runtime import Runtime
from bot.services.crisis import escalation, safety
from bot.storage import escalations as escalation_store
from bot.storage.contacts import Contact
from tests.helpers.harness import COORDINATOR
from tests.services import given

WORDS = "I have pills saved up and plan to take them all tonight"


async def heavy_moments(rt: Runtime, contact: Contact) -> int:
    (count,) = await rt.storage.fetchone(
        "SELECT COUNT(*) FROM peer_events WHERE peer_id = ?", (contact.peer_id,)
    )
    return int(count)


def test_only_flagged_text_gives_a_verdict(rt: Runtime) -> None:
    assert safety.check(rt, None) is None
    assert safety.check(rt, "") is None
    assert safety.check(rt, "I had a nice walk today") is None
    found = safety.check(rt, WORDS)
    assert found is not None
    assert safety.signal_categories(found) == {"plan", "method", "level:3"}


def test_a_verdict_is_kept_from_arrival_and_read_once(rt: Runtime) -> None:
    assert safety.remember(rt, 7, WORDS) is not None
    rt.detector = None  # were it asked again, it would find nothing
    assert safety.verdict(rt, 7, WORDS) is not None
    assert safety.verdict(rt, 7, WORDS) is None  # taken; asked afresh
    safety.remember(rt, 8, "hello")
    safety.forget(rt, 8)
    assert 8 not in rt.triage_verdicts


def test_the_oldest_verdict_makes_room(rt: Runtime) -> None:
    for update_id in range(safety.VERDICTS_KEEP + 1):
        safety.remember(rt, update_id, "hello")
    kept = rt.triage_verdicts
    assert len(kept) == safety.VERDICTS_KEEP and 0 not in kept and safety.VERDICTS_KEEP in kept


async def test_words_in_a_contact_raise_one_escalation_per_update_and_a_heavy_moment(
    rt: Runtime,
) -> None:
    contact = await given.pair(rt)
    found = safety.check(rt, WORDS)
    assert found is not None
    first = await safety.signal_in_contact(
        rt, contact, found, source_key="update:1", peer_saw_words=True
    )
    again = await safety.signal_in_contact(
        rt, contact, found, source_key="update:1", peer_saw_words=True
    )
    assert first is not None and again is None
    stored = await escalation_store.by_id(rt.storage, first)
    assert stored is not None
    assert (stored.reason, stored.contact_id) == ("signal", contact.id)
    assert escalation.signal_level(stored) == 3
    assert await heavy_moments(rt, contact) == 1


async def test_words_held_back_are_a_heavy_moment_only_once_they_reach_the_peer(
    rt: Runtime,
) -> None:
    contact = await given.pair(rt)
    found = safety.check(rt, WORDS)
    assert found is not None
    await safety.signal_in_contact(rt, contact, found, source_key="update:2", peer_saw_words=False)
    assert await heavy_moments(rt, contact) == 0
    await safety.peer_received_later(rt, contact, "update:2")
    await safety.peer_received_later(rt, contact, "update:2")  # handled twice
    assert await heavy_moments(rt, contact) == 1
    await safety.peer_received_later(rt, contact, "update:unknown")
    assert await heavy_moments(rt, contact) == 1


async def test_words_to_a_coordinator_link_the_alert_to_the_peer_who_never_saw_them(
    rt: Runtime,
) -> None:
    contact = await given.pair(rt)
    talk = await escalation.talk_with_citizen(
        rt, contact.citizen_id, contact.request_id, COORDINATOR, "en", audit_target="test"
    )
    assert talk is not None and talk.kind == "coordinator"
    found = safety.check(rt, WORDS)
    assert found is not None
    raised = await safety.signal_in_contact(
        rt, talk, found, source_key="update:3", peer_saw_words=True
    )
    assert raised is not None
    stored = await escalation_store.by_id(rt.storage, raised)
    assert stored is not None and stored.contact_id == contact.id
    assert await heavy_moments(rt, contact) == 0
