"""People and contacts made through the services themselves, as the dialogues would make them.

A citizen consents and sends a request; a peer redeems an invitation, fills in a profile,
accepts the undertaking and is approved; the peer's yes to the offer opens the contact.
"""

from __future__ import annotations

from bot.runtime import Runtime
from bot.services import intake, matching, peers, people
from bot.services.intake import Step as IntakeStep
from bot.services.peers import Step as PeerStep
from bot.storage import users as user_store
from bot.storage.contacts import Contact
from bot.storage.requests import Request
from bot.storage.users import User
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR
from tests.services.conftest import outbox

CITIZEN = 5001
PEER = 6001


async def coordinators_in_english(rt: Runtime) -> None:
    """Both coordinators write to the bot once, with Telegram set to English."""
    for telegram_id in (COORDINATOR, BACKUP_COORDINATOR):
        await people.identify(rt.storage, rt.config, telegram_id, "en", now=rt.now())


async def citizen(rt: Runtime, telegram_id: int = CITIZEN, language: str = "en") -> User:
    return await intake.give_consent(rt, telegram_id, language)


async def waiting_request(rt: Runtime, user: User, topic: str = "loneliness") -> Request:
    """A request sent through every intake step, now waiting for a peer."""
    request = (await intake.start(rt, user)).request
    answers = {
        IntakeStep.AGE: rt.config.age_bands[-1].code,
        IntakeStep.TOPIC: topic,
        IntakeStep.LANGUAGE: user.language,
        IntakeStep.CONTACT_FORM: "chat",
        IntakeStep.TIMES: "weekday_day",
        IntakeStep.NOTE: None,
        IntakeStep.CONFIRM: None,
    }
    for step in intake.steps(rt.config):
        request = await intake.answer(rt, request, step, answers[step])
    assert await intake.submit(rt, request)
    sent = await intake.draft_of(rt, user)
    assert sent is None  # no longer a draft
    return request


async def peer(
    rt: Runtime, telegram_id: int = PEER, name: str = "Sol", language: str = "en"
) -> User:
    """An approved peer, free on weekdays and evenings, for every topic."""
    user = await peers.redeem(rt, await peers.create_invite(rt), telegram_id, language)
    assert user is not None
    profile = await peers.profile_of(rt, user)
    assert profile is not None
    await peers.set_name(rt, profile, name)
    for topic in rt.config.topics:
        profile = await peers.toggle(rt, profile, PeerStep.TOPICS, topic)
    profile = await peers.toggle(rt, profile, PeerStep.LANGUAGES, language)
    for slot in ("weekday_day", "evening", "weekend"):
        profile = await peers.toggle(rt, profile, PeerStep.AVAILABILITY, slot)
    await peers.set_capacity(rt, profile, 3)
    await peers.accept_undertaking(rt, profile)
    await peers.finish(rt, profile)
    assert await peers.approve(rt, user.id, COORDINATOR) is not None
    found = await user_store.by_id(rt.storage, user.id)
    assert found is not None
    return found


async def contact(rt: Runtime, citizen_user: User, peer_user: User) -> Contact:
    """The citizen's request offered to the peer, who says yes."""
    return await yes(rt, await waiting_request(rt, citizen_user), peer_user)


async def yes(rt: Runtime, request: Request, peer_user: User) -> Contact:
    """The waiting request is offered (to the peer, if free) and the peer says yes."""
    offer_id = await matching.offer_next(rt, request.id)
    assert offer_id is not None
    result = await matching.accept(rt, offer_id, peer_user.telegram_id)
    assert result.contact is not None
    return result.contact


async def pair(rt: Runtime) -> Contact:
    """A citizen and a peer in contact: the usual starting point."""
    return await contact(rt, await citizen(rt), await peer(rt))


async def mark(rt: Runtime) -> int:
    """How many messages wait now: `since(rt, mark)` then shows only what came after."""
    return len(await outbox(rt))


async def since(rt: Runtime, before: int) -> list[tuple[int, str]]:
    return (await outbox(rt))[before:]


async def peer_of(rt: Runtime, contact: Contact) -> User:
    """The contact's peer, as the services that take the acting person want them."""
    found = await user_store.by_id(rt.storage, contact.peer_id)
    assert found is not None
    return found
