"""The name a citizen's peer sees: chosen only by a citizen with a name, never mid-contact."""

from __future__ import annotations

import pytest

from bot.errors import UserInputError
from bot.runtime import Runtime
from bot.services import contacts, names
from bot.services.names import NameStatus
from tests.services import given
from tests.services.given import CITIZEN, PEER


async def test_a_citizen_chooses_a_name_and_it_is_stored(rt: Runtime) -> None:
    citizen = await given.citizen(rt, CITIZEN, "da")
    choice = await names.choice_for(rt, citizen)
    assert choice.status is NameStatus.CAN_CHOOSE and choice.current == citizen.pseudonym
    assert len(choice.suggestions) == 3 and citizen.pseudonym not in choice.suggestions

    chosen = await names.choose(rt, citizen, "  Maja ")

    assert chosen == names.NameChoice(NameStatus.CAN_CHOOSE, "Maja")
    assert (await given.user(rt, CITIZEN)).pseudonym == "Maja"


async def test_a_name_with_a_link_is_refused_and_nothing_changes(rt: Runtime) -> None:
    citizen = await given.citizen(rt, CITIZEN, "da")
    with pytest.raises(UserInputError):
        await names.choose(rt, citizen, "maja@example")
    assert (await given.user(rt, CITIZEN)).pseudonym == citizen.pseudonym


async def test_the_name_cannot_change_during_a_contact(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    citizen = await given.user(rt, CITIZEN)
    refused = await names.choose(rt, citizen, "Maja")
    assert refused.status is NameStatus.IN_CONTACT and refused.current == citizen.pseudonym
    assert (await given.user(rt, CITIZEN)).pseudonym == citizen.pseudonym

    await contacts.end(rt, contact, "citizen")
    assert (await names.choose(rt, citizen, "Maja")).status is NameStatus.CAN_CHOOSE


async def test_peers_and_people_without_a_name_do_not_choose_here(rt: Runtime) -> None:
    await given.peer(rt, PEER)
    assert (
        await names.choice_for(rt, await given.user(rt, PEER))
    ).status is NameStatus.NOT_A_CITIZEN
    assert (await names.choice_for(rt, None)).status is NameStatus.NO_NAME_YET
    assert (await names.choose(rt, None, "Maja")).status is NameStatus.NO_NAME_YET
