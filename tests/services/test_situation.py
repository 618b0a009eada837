"""Where a citizen stands, read without Telegram as each step of their way is taken through the
services: one state decides the answer to whatever they write outside a contact."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import contacts, intake, people, reports, situation
from bot.services.situation import Where
from tests.helpers.harness import COORDINATOR
from tests.services import given


async def where(rt: Runtime, telegram_id: int) -> situation.Situation:
    person = await people.identify(rt.storage, rt.config, telegram_id, "en", now=rt.now())
    return await situation.of(rt, person)


async def test_a_citizens_way_from_newcomer_to_ended(rt: Runtime) -> None:
    assert (await where(rt, given.CITIZEN)).where is Where.NEWCOMER
    user = await given.citizen(rt)
    assert (await where(rt, user.telegram_id)).where is Where.NO_REQUEST
    draft = (await intake.start(rt, user)).request
    found = await where(rt, user.telegram_id)
    assert found.where is Where.INTAKE and found.request is not None
    assert found.request.id == draft.id
    await intake.abandon(rt, draft)
    request = await given.request(rt, user)
    found = await where(rt, user.telegram_id)
    assert found.where is Where.WAITING and found.request is not None
    assert found.request.id == request.id
    contact = await given.yes(rt, request, await given.free_peer(rt))
    found = await where(rt, user.telegram_id)
    assert found.where is Where.IN_CONTACT and found.contact is not None
    assert found.contact.id == contact.id
    assert await contacts.end(rt, contact, "citizen")
    assert (await where(rt, user.telegram_id)).where is Where.ENDED


async def test_staff_are_not_citizens(rt: Runtime) -> None:
    assert (await where(rt, COORDINATOR)).where is Where.STAFF
    peer = await given.free_peer(rt)
    assert (await where(rt, peer.telegram_id)).where is Where.STAFF


async def test_a_bar_counts_until_its_date_and_a_contact_wins_over_it(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    report_id = await reports.end_and_report(
        rt, await given.peer_of(rt, contact), contact.id, "abuse"
    )
    assert report_id is not None
    assert (await reports.decide(rt, report_id, "w1", COORDINATOR)).decided_now
    found = await where(rt, given.CITIZEN)
    assert found.where is Where.BARRED
    assert found.barred_until == rt.now() + timedelta(days=7)
    clock.advance(timedelta(days=7, seconds=1))
    assert (await where(rt, given.CITIZEN)).where is Where.ENDED


async def test_a_consent_to_an_older_privacy_text_makes_a_newcomer_again(rt: Runtime) -> None:
    await given.citizen(rt)
    rt.config = replace(rt.config, privacy_text_version=rt.config.privacy_text_version + 1)
    assert (await where(rt, given.CITIZEN)).where is Where.NEWCOMER
