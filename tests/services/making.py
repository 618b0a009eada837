"""People and requests made through the services themselves, as the dialogues would make them.

A peer joins by invitation, fills in the profile, accepts the undertaking and is approved; a
citizen consents and answers the intake. Nothing here writes SQL of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from bot.runtime import Runtime
from bot.services import intake, matching, peers
from bot.storage import peers as peer_store
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage.contacts import Contact
from bot.storage.peers import PeerProfile
from bot.storage.requests import Request
from bot.storage.users import User
from tests.helpers.harness import COORDINATOR


async def peer(
    rt: Runtime,
    telegram_id: int,
    *,
    name: str = "Ravn",
    topics: Iterable[str] = ("loneliness",),
    languages: Iterable[str] = ("da",),
    availability: Iterable[str] = ("weekday_day",),
    capacity: int = 2,
    approve: bool = True,
) -> PeerProfile:
    """A peer through onboarding; approved by the coordinator unless `approve` is False."""
    user = await peers.redeem(rt, await peers.create_invite(rt), telegram_id, "da")
    profile = await peers.profile_of(rt, user)
    assert profile is not None
    await peers.set_name(rt, profile, name)
    for step, values in (
        (peers.Step.TOPICS, topics),
        (peers.Step.LANGUAGES, languages),
        (peers.Step.AVAILABILITY, availability),
    ):
        for value in values:
            profile = await peers.toggle(rt, profile, step, value)
    await peers.set_capacity(rt, profile, capacity)
    await peers.accept_undertaking(rt, profile)
    await peers.finish(rt, await _profile(rt, profile.user_id))
    if approve:
        assert await peers.approve(rt, profile.user_id, COORDINATOR) is not None
    return await _profile(rt, profile.user_id)


async def _profile(rt: Runtime, user_id: int) -> PeerProfile:
    found = await peer_store.profile(rt.storage, user_id)
    assert found is not None
    return found


async def citizen(rt: Runtime, telegram_id: int, language: str = "da") -> User:
    return await intake.give_consent(rt, telegram_id, language)


async def request(
    rt: Runtime,
    telegram_id: int,
    *,
    topic: str = "loneliness",
    language: str = "da",
    note: str | None = None,
) -> Request:
    """A consenting adult's request, submitted and waiting (nobody is asked yet)."""
    user = await user_store.by_telegram_id(rt.storage, telegram_id)
    user = user or await citizen(rt, telegram_id, language)
    adult = rt.config.age_bands[-1]
    draft = (await intake.start(rt, user, adult)).request
    answers = {
        intake.Step.TOPIC: topic,
        intake.Step.LANGUAGE: language,
        intake.Step.CONTACT_FORM: "chat",
        intake.Step.TIMES: "weekday_day",
        intake.Step.NOTE: note,
    }
    for step in intake.steps(rt.config):
        if step in answers:
            draft = await intake.answer(rt, draft, step, answers[step])
    assert await intake.submit(rt, draft)
    return await fresh(rt, draft.id)


async def fresh(rt: Runtime, request_id: int) -> Request:
    found = await request_store.by_id(rt.storage, request_id)
    assert found is not None
    return found


async def in_contact(rt: Runtime, citizen_id: int, peer_id: int, **peer_options: object) -> Contact:
    """A citizen's request offered to a new peer (whoever else is free) who accepts it."""
    profile = await peer(rt, peer_id, **peer_options)  # type: ignore[arg-type]
    waiting = await request(rt, citizen_id)
    async with rt.storage.transaction() as tx:
        offer_id = await matching.offer_in(tx, rt, waiting, profile)
    accepted = await matching.accept(rt, offer_id, profile.telegram_id)
    assert accepted.contact is not None
    return accepted.contact


async def sent(rt: Runtime, purpose: str) -> list[tuple[int, str]]:
    """(chat, text) of the messages waiting to be sent for one purpose (e.g. ``offer``)."""
    rows = await rt.storage.fetchall(
        "SELECT chat_id, params FROM outbox WHERE purpose = ? AND status = 'pending' ORDER BY id",
        (purpose,),
    )
    return [(chat, json.loads(params).get("text") or "") for chat, params in rows]
