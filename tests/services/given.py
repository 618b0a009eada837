"""The one set-up of the service tests: people, requests and contacts made through the services
themselves, as the dialogues would make them, and what waits in the outbox.

A citizen consents and answers the intake; a peer redeems an invitation, fills in a profile,
accepts the undertaking and is approved; the peer's yes to an offer opens the contact. Nothing
here writes SQL of its own. The `rt` and `world` fixtures are in tests/services/conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.runtime import Runtime
from bot.services import intake, matching, peers, people, roles
from bot.staff import Actor
from bot.storage import peers as peer_store
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage.contacts import Contact
from bot.storage.peers import PeerProfile
from bot.storage.requests import Request
from bot.storage.users import User
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR

CITIZEN, OTHER_CITIZEN = 5001, 5002
PEER, OTHER_PEER = 6001, 6002
GROUP = -100500  # the coordinators' group, where the world has one
EVERY_SLOT = ("weekday_day", "evening", "weekend")


# What the services would send.


async def outbox(rt: Runtime) -> list[tuple[int, str]]:
    """(chat, text) of every message waiting to be sent, oldest first."""
    rows = await rt.storage.fetchall("SELECT chat_id, params FROM outbox ORDER BY id")
    found = []
    for chat_id, params in rows:
        body = json.loads(params)
        found.append((chat_id, body.get("text") or body.get("caption") or ""))
    return found


async def mark(rt: Runtime) -> int:
    """How many messages wait now: `since(rt, mark)` then shows only what came after."""
    return len(await outbox(rt))


async def since(rt: Runtime, before: int) -> list[tuple[int, str]]:
    return (await outbox(rt))[before:]


async def sent(rt: Runtime, purpose: str) -> list[tuple[int, str]]:
    """(chat, text) of the messages waiting to be sent for one purpose (e.g. ``offer``)."""
    rows = await rt.storage.fetchall(
        "SELECT chat_id, params FROM outbox WHERE purpose = ? AND status = 'pending' ORDER BY id",
        (purpose,),
    )
    return [(chat, json.loads(params).get("text") or "") for chat, params in rows]


# The configuration.


async def configured(rt: Runtime, **changes: object) -> Runtime:
    """The runtime with its configuration changed (e.g. a coordinators' group) and the staff
    roles loaded again from it, as a restart with that configuration would."""
    rt.config = replace(rt.config, **changes)  # type: ignore[arg-type]
    await roles.load(rt)
    return rt


# People.


async def coordinators_in_english(rt: Runtime) -> None:
    """Both coordinators write to the bot once, with Telegram set to English."""
    for telegram_id in (COORDINATOR, BACKUP_COORDINATOR):
        await people.identify(rt.storage, rt.config, telegram_id, "en", now=rt.now())


async def citizen(rt: Runtime, telegram_id: int = CITIZEN, language: str = "en") -> User:
    return await intake.give_consent(rt, telegram_id, language)


async def user(rt: Runtime, telegram_id: int) -> User:
    """The stored person behind a Telegram id, as the services that take the acting person
    want them."""
    found = await user_store.by_telegram_id(rt.storage, telegram_id)
    assert found is not None
    return found


async def _by_id(rt: Runtime, user_id: int) -> User:
    found = await user_store.by_id(rt.storage, user_id)
    assert found is not None
    return found


async def peer(
    rt: Runtime,
    telegram_id: int = PEER,
    *,
    name: str = "Ravn",
    topics: Iterable[str] = ("loneliness",),
    languages: Iterable[str] = ("da",),
    availability: Iterable[str] = ("weekday_day",),
    capacity: int = 2,
    approve: bool = True,
) -> PeerProfile:
    """A peer through onboarding; approved by the coordinator unless `approve` is False."""
    languages = tuple(languages)
    joined = await peers.redeem(rt, await peers.create_invite(rt), telegram_id, languages[0])
    assert joined is not None
    profile = await peers.profile_of(rt, joined)
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


async def free_peer(
    rt: Runtime, telegram_id: int = PEER, name: str = "Sol", language: str = "en"
) -> User:
    """An approved peer, free on weekdays, evenings and weekends, for every topic."""
    profile = await peer(
        rt,
        telegram_id,
        name=name,
        topics=rt.config.topics,
        languages=(language,),
        availability=EVERY_SLOT,
        capacity=3,
    )
    return await _by_id(rt, profile.user_id)


async def _profile(rt: Runtime, user_id: int) -> PeerProfile:
    found = await peer_store.profile(rt.storage, user_id)
    assert found is not None
    return found


# Requests and contacts.


async def request(
    rt: Runtime,
    who: User | int = CITIZEN,
    *,
    topic: str = "loneliness",
    language: str | None = None,
    note: str | None = None,
) -> Request:
    """An adult's request sent through every intake step, now waiting (nobody is asked yet).

    `who` is the citizen, or a Telegram id (a citizen in `language`, Danish unless given, is
    made if none is stored); the request asks for the citizen's language unless given."""
    if isinstance(who, int):
        stored = await user_store.by_telegram_id(rt.storage, who)
        who = stored or await citizen(rt, who, language or "da")
    draft = (await intake.start(rt, who, rt.config.age_bands[-1])).request
    answers = {
        intake.Step.TOPIC: topic,
        intake.Step.LANGUAGE: language or who.language,
        intake.Step.CONTACT_FORM: "chat",
        intake.Step.TIMES: "weekday_day",
        intake.Step.NOTE: note,
    }
    for step in intake.steps(rt.config):
        if step in answers:
            draft = await intake.answer(rt, draft, step, answers[step])
    assert await intake.submit(rt, draft)
    assert await intake.draft_of(rt, who) is None  # no longer a draft
    return await fresh(rt, draft.id)


async def fresh(rt: Runtime, request_id: int) -> Request:
    found = await request_store.by_id(rt.storage, request_id)
    assert found is not None
    return found


async def yes(rt: Runtime, waiting: Request, peer_user: User) -> Contact:
    """The waiting request is offered to the best free peer (who must be `peer_user`), who
    says yes."""
    offer_id = await matching.offer_next(rt, waiting.id)
    assert offer_id is not None
    result = await matching.accept(rt, offer_id, peer_user.telegram_id)
    assert result.contact is not None
    return result.contact


async def contact(rt: Runtime, citizen_user: User, peer_user: User) -> Contact:
    """The citizen's request offered to the peer, who says yes."""
    return await yes(rt, await request(rt, citizen_user), peer_user)


async def pair(rt: Runtime) -> Contact:
    """An English citizen and a peer free for everything in contact: the usual starting point."""
    return await contact(rt, await citizen(rt), await free_peer(rt))


async def in_contact(rt: Runtime, citizen_id: int, peer_id: int, **peer_options: object) -> Contact:
    """A (Danish) citizen's request offered to a new peer, whoever else is free, who accepts."""
    profile = await peer(rt, peer_id, **peer_options)  # type: ignore[arg-type]
    waiting = await request(rt, citizen_id)
    async with rt.storage.transaction() as tx:
        offer_id = await matching.offer_in(tx, rt, waiting, profile)
    accepted = await matching.accept(rt, offer_id, profile.telegram_id)
    assert accepted.contact is not None
    return accepted.contact


async def peer_of(rt: Runtime, found: Contact) -> User:
    """The contact's peer, the one who acts for it."""
    return await _by_id(rt, found.peer_id)


# Who acts: two citizens and two peers, one contact and one waiting request.


@dataclass(frozen=True)
class World:
    rt: Runtime
    citizen: User  # in `contact` with `peer`
    other_citizen: User  # their request is `waiting`
    peer: User
    other_peer: User  # in no contact
    contact: Contact
    waiting: Request

    @property
    def coordinator(self) -> Actor:
        return Actor(COORDINATOR, COORDINATOR, private=True)

    def in_private(self, person: User) -> Actor:
        return Actor(person.telegram_id, person.telegram_id, private=True)


async def world(rt: Runtime) -> World:
    """The world, in a configuration with a coordinators' group (`GROUP`)."""
    await configured(rt, coordinator_group_id=GROUP)
    first = await citizen(rt, CITIZEN, "da")
    first_peer = await free_peer(rt, PEER, "Lind", "da")
    opened = await contact(rt, first, first_peer)
    second = await citizen(rt, OTHER_CITIZEN, "da")
    return World(
        rt,
        citizen=first,
        other_citizen=second,
        peer=first_peer,
        other_peer=await free_peer(rt, OTHER_PEER, "Ask", "da"),
        contact=opened,
        waiting=await request(rt, second),
    )
