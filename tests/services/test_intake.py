"""Consent and intake without Telegram: one open request per citizen, every answer stored as
it is given, a minor's age never stored, and a cancelled draft leaves nothing.

Who acts: a citizen's requests are found by their own id only.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.errors import UserInputError
from bot.runtime import Runtime
from bot.services import contacts, intake, reports
from bot.storage import requests as request_store
from bot.storage.requests import RequestStatus
from tests.services import given
from tests.services.given import CITIZEN, PEER, World


async def test_consent_stores_a_made_up_name_and_the_current_version(rt: Runtime) -> None:
    user = await intake.give_consent(rt, CITIZEN, "en")
    assert user.pseudonym is not None and re.fullmatch(r"\w+ \d\d", user.pseudonym)
    assert intake.has_consent(user, rt.config)
    newer = replace(rt.config, privacy_text_version=rt.config.privacy_text_version + 1)
    assert not intake.has_consent(user, newer)  # a new text asks again


async def test_a_citizen_has_one_open_request_at_a_time(rt: Runtime) -> None:
    citizen = await given.citizen(rt, CITIZEN, "da")
    first = await intake.start(rt, citizen, rt.config.age_bands[-1])
    again = await intake.start(rt, citizen)
    assert not first.resumed and again.resumed and again.request.id == first.request.id

    waiting = await given.request(rt, CITIZEN)
    assert waiting.id == first.request.id and waiting.status is RequestStatus.WAITING
    assert (await intake.start(rt, citizen)).request.id == waiting.id


async def test_an_adult_starts_at_the_topic_and_anyone_else_is_asked_their_age(
    rt: Runtime,
) -> None:
    adult_band = rt.config.age_bands[-1]
    minor_band = rt.config.age_bands[0]
    assert rt.config.is_minor(minor_band) and not rt.config.is_minor(adult_band)

    adult = (await intake.start(rt, await given.citizen(rt, CITIZEN, "da"), adult_band)).request
    minor = (await intake.start(rt, await given.citizen(rt, 5002, "da"), minor_band)).request

    assert (adult.step, adult.age_band) == ("topic", "18+")
    assert (minor.step, minor.age_band) == ("age_band", None)  # a minor's band is never kept


async def test_each_answer_is_stored_as_it_is_given(rt: Runtime) -> None:
    citizen = await given.citizen(rt, CITIZEN, "da")
    draft = (await intake.start(rt, citizen, rt.config.age_bands[-1])).request
    await intake.answer(rt, draft, intake.Step.TOPIC, "anxiety")
    stored = await request_store.by_id(rt.storage, draft.id)
    assert stored is not None and stored.topic == "anxiety" and stored.step == "language"


async def test_with_chat_as_the_only_form_nobody_is_asked_and_chat_is_stored(
    rt: Runtime,
) -> None:
    assert rt.config.contact_forms == ("chat",)
    assert intake.Step.CONTACT_FORM not in intake.steps(rt.config)
    assert intake.next_step(intake.Step.LANGUAGE, rt.config) is intake.Step.TIMES
    waiting = await given.request(rt, CITIZEN)
    assert waiting.contact_form == "chat"


def test_a_note_is_trimmed_and_must_be_short_and_not_empty() -> None:
    assert intake.clean_note("  hej  ") == "hej"
    with pytest.raises(UserInputError):
        intake.clean_note("   ")
    with pytest.raises(UserInputError):
        intake.clean_note("x" * (intake.NOTE_LIMIT + 1))
    assert intake.clean_note("x" * intake.NOTE_LIMIT) == "x" * intake.NOTE_LIMIT


async def test_a_cancelled_draft_is_deleted(rt: Runtime) -> None:
    citizen = await given.citizen(rt, CITIZEN, "da")
    draft = (await intake.start(rt, citizen, rt.config.age_bands[-1])).request
    await intake.answer(rt, draft, intake.Step.TOPIC, "anxiety")
    await intake.abandon(rt, draft)
    assert await request_store.by_id(rt.storage, draft.id) is None
    assert await intake.draft_of(rt, citizen) is None


async def test_the_earlier_peer_is_offered_again_unless_they_reported_the_citizen(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    await contacts.end(rt, contact, "citizen")
    assert await intake.previous_peer(rt, contact.citizen_id) == (contact.peer_id, "Ravn")

    clock.advance(timedelta(days=1))
    second = await given.in_contact(rt, CITIZEN, 6002, name="Falk")
    assert (
        await reports.end_and_report(rt, await given.peer_of(rt, second), second.id, "boundaries")
        is not None
    )
    # The last peer is now the one who reported: they are never offered again.
    assert await intake.previous_peer(rt, contact.citizen_id) is None


async def test_a_request_is_the_citizens_own_or_nothing(world: World) -> None:
    rt = world.rt
    assert await intake.own_request(rt, world.waiting.id, world.citizen.id) is None
    assert await intake.own_request(rt, world.waiting.id, world.peer.id) is None
    own = await intake.own_request(rt, world.waiting.id, world.other_citizen.id)
    assert own is not None and own.id == world.waiting.id
    opened = await intake.open_request(rt, world.citizen.id)
    assert opened is not None and opened.id == world.contact.request_id
    assert await intake.open_request(rt, world.peer.id) is None
