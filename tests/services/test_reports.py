"""Reports: only the contact's own peer ends and reports it, adds the note, and is known by the
note prompt's message id; only coordinators read them. Without Telegram."""

from __future__ import annotations

import pytest

from bot.errors import NotAllowed
from bot.services import contacts as contact_service
from bot.services import reports
from bot.staff import Actor
from tests.services.given import GROUP, World


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


@pytest.mark.coordinator_group
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
