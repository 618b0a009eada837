"""Reports without Telegram: a peer ends and reports in one step, a coordinator bars until a
date or dismisses (first decision wins), the bar ends by itself, and the reporting peer is never
offered that citizen again.

Who acts: only the contact's own peer ends and reports it, adds the note, and is known by the
note prompt's message id; only coordinators read reports.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.errors import NotAllowed
from bot.runtime import Runtime
from bot.services import contacts as contact_service
from bot.services import matching, reports
from bot.staff import Actor
from bot.storage import contacts as contact_store
from bot.storage.reports import ReportStatus
from bot.storage.requests import RequestStatus
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR
from tests.services import given
from tests.services.given import CITIZEN, GROUP, PEER, World


async def reported(rt: Runtime) -> int:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    report_id = await reports.end_and_report(
        rt, await given.peer_of(rt, contact), contact.id, "abuse"
    )
    assert report_id is not None
    return report_id


async def test_reporting_ends_the_contact_and_the_citizen_hears_only_that_it_ended(
    rt: Runtime,
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    assert (
        await reports.end_and_report(rt, await given.peer_of(rt, contact), contact.id, "threats")
        is None
    )  # not a reason
    assert (
        await reports.end_and_report(rt, await given.peer_of(rt, contact), contact.id, "abuse")
        is not None
    )

    ended = await contact_store.contact(rt.storage, contact.id)
    assert ended is not None and not ended.active and ended.ended_by == "peer"
    to_citizen = [text for chat, text in await given.sent(rt, "contact-ended") if chat == CITIZEN]
    assert len(to_citizen) == 1 and "rapport" not in to_citizen[0].lower()
    assert [chat for chat, _ in await given.sent(rt, "report")] == [COORDINATOR]


async def test_a_bar_lasts_until_its_date_and_then_ends_by_itself(
    rt: Runtime, clock: FakeClock
) -> None:
    report_id = await reported(rt)
    decision = await reports.decide(rt, report_id, "w1", COORDINATOR)
    assert decision.decided_now and decision.report is not None
    assert decision.report.status is ReportStatus.BARRED

    until = reports.barred_until(rt, await given.user(rt, CITIZEN))
    assert until == clock.now() + timedelta(days=7)
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert reports.barred_until(rt, await given.user(rt, CITIZEN)) == until
    clock.advance(timedelta(seconds=1))
    assert reports.barred_until(rt, await given.user(rt, CITIZEN)) is None


async def test_the_first_decision_wins(rt: Runtime) -> None:
    report_id = await reported(rt)
    assert (await reports.decide(rt, report_id, "no", COORDINATOR)).decided_now
    late = await reports.decide(rt, report_id, "m3", BACKUP_COORDINATOR)
    assert not late.decided_now and late.report is not None
    assert late.report.status is ReportStatus.DISMISSED
    assert reports.barred_until(rt, await given.user(rt, CITIZEN)) is None
    assert [chat for chat, _ in await given.sent(rt, "report-decided")] == [PEER]


async def test_a_bar_withdraws_the_citizens_waiting_request_and_says_so_neutrally(
    rt: Runtime,
) -> None:
    report_id = await reported(rt)
    waiting = await given.request(rt, CITIZEN)
    await reports.decide(rt, report_id, "m1", COORDINATOR)

    withdrawn = await given.fresh(rt, waiting.id)
    assert withdrawn.status is RequestStatus.CANCELLED
    [(chat, text)] = await given.sent(rt, "request-withdrawn")
    assert chat == CITIZEN and "kan vi ikke sætte dig i kontakt" in text
    assert "1. april 2026" in text  # 30 days from 2 March
    assert "rapport" not in text.lower() and "krænk" not in text.lower()


async def test_the_reporting_peer_is_never_offered_that_citizen_again(rt: Runtime) -> None:
    await reported(rt)
    waiting = await given.request(rt, CITIZEN)
    assert await matching.offer_next(rt, waiting.id) is None  # the only peer reported them
    other = await given.peer(rt, 6002, name="Falk")
    offer_id = await matching.offer_next(rt, waiting.id)
    offer = await contact_store.offer(rt.storage, offer_id or 0)
    assert offer is not None and offer.peer_id == other.user_id


async def test_only_the_reporting_peer_adds_a_note(rt: Runtime) -> None:
    report_id = await reported(rt)
    stranger = await given.citizen(rt, 5002, "da")
    peer = await given.user(rt, PEER)
    assert not await reports.add_note(rt, report_id, stranger, "he said")
    assert not await reports.add_note(rt, report_id, peer, "   ")
    assert await reports.add_note(rt, report_id, peer, "Threatening   words")
    assert not await reports.add_note(rt, report_id, peer, "more")  # one note
    [(chat, text)] = await given.sent(rt, "report-note")
    assert chat == COORDINATOR and "Threatening words" in text


async def test_only_the_contacts_peer_can_end_and_report_it(world: World) -> None:
    rt = world.rt
    assert await reports.end_and_report(rt, world.other_peer, world.contact.id, "abuse") is None
    assert await reports.end_and_report(rt, world.citizen, world.contact.id, "abuse") is None
    assert [c.id for c in await contact_service.of_peer(rt, world.peer.id)] == [world.contact.id]
    report_id = await reports.end_and_report(rt, world.peer, world.contact.id, "abuse")
    assert report_id is not None
    assert await contact_service.of_peer(rt, world.peer.id) == []


async def test_the_note_prompt_is_known_by_its_message_id_for_its_peer_only(world: World) -> None:
    rt = world.rt
    report_id = await reports.end_and_report(rt, world.peer, world.contact.id, "abuse")
    assert report_id is not None
    assert not await reports.note_prompt_sent(rt, report_id, world.other_peer, 77)
    assert await reports.prompted_report(rt, world.other_peer, 77) is None
    assert await reports.note_prompt_sent(rt, report_id, world.peer, 77)
    assert await reports.prompted_report(rt, world.peer, 77) == report_id
    assert await reports.prompted_report(rt, world.peer, 78) is None  # any other message
    assert await reports.prompted_report(rt, world.other_peer, 77) is None
    assert not await reports.add_note(rt, report_id, world.other_peer, "not mine")
    assert await reports.add_note(rt, report_id, world.peer, "what happened")


async def test_only_coordinators_read_the_reports(world: World) -> None:
    rt = world.rt
    await reports.end_and_report(rt, world.peer, world.contact.id, "abuse")
    for actor in (world.in_private(world.peer), world.in_private(world.citizen)):
        with pytest.raises(NotAllowed):
            await reports.recent(rt, actor)
    with pytest.raises(NotAllowed):  # a coordinator, but in some other group
        await reports.recent(rt, Actor(world.coordinator.telegram_id, -42, private=False))
    assert len(await reports.recent(rt, world.coordinator)) == 1
    in_group = Actor(world.peer.telegram_id, GROUP, private=False)  # anyone in the group
    assert len(await reports.recent(rt, in_group)) == 1
