"""Who is writing: the role from staff memory and the database, and the language to answer in."""

from __future__ import annotations

from bot.runtime import Runtime
from bot.services import people
from bot.storage.users import Role
from tests.helpers.harness import COORDINATOR
from tests.services import given
from tests.services.given import CITIZEN, PEER


async def who(rt: Runtime, telegram_id: int, telegram_language: str | None = "en") -> people.Person:
    return await people.identify(
        rt.storage, rt.config, telegram_id, telegram_language, now=rt.now(), staff=rt.roles
    )


async def test_a_stranger_is_a_citizen_and_nothing_is_stored(rt: Runtime) -> None:
    person = await who(rt, 4242, "en-GB")
    assert (person.role, person.language, person.user) == (Role.CITIZEN, "en", None)
    assert await rt.storage.fetchone("SELECT 1 FROM users") is None


async def test_a_configured_coordinator_is_registered_in_their_language(rt: Runtime) -> None:
    person = await who(rt, COORDINATOR, "en")
    assert person.is_coordinator and person.user is not None
    assert person.user.role is Role.COORDINATOR and person.user.language == "en"


async def test_a_stored_choice_of_language_wins_over_telegrams(rt: Runtime) -> None:
    await given.citizen(rt, CITIZEN, "da")
    assert (await who(rt, CITIZEN, "en")).language == "da"
    assert await people.choose_language(rt, CITIZEN, "en")
    assert (await who(rt, CITIZEN, "da")).language == "en"


async def test_without_a_row_the_choice_is_kept_in_memory_only(rt: Runtime) -> None:
    assert not await people.choose_language(rt, 4242, "en")
    person = await people.identify(
        rt.storage, rt.config, 4242, "da", "en", now=rt.now(), staff=rt.roles
    )
    assert person.language == "en" and person.user is None


async def test_a_peer_is_a_peer_and_a_former_coordinator_a_citizen(rt: Runtime) -> None:
    await given.peer(rt, PEER)
    assert (await who(rt, PEER)).is_peer
    await who(rt, COORDINATOR)  # registers the row with the coordinator role
    rt.roles.config_coordinators = frozenset()  # the configuration no longer names them
    assert (await who(rt, COORDINATOR)).role is Role.CITIZEN
