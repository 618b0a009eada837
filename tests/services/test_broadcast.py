"""A coordinator's message to every peer, without Telegram: a draft first, sent once by its
author to approved and paused peers (not to those waiting for approval), at most once an hour."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.errors import UserInputError
from bot.runtime import Runtime
from bot.services import broadcast, peers
from bot.services.broadcast import SendOutcome
from bot.storage.users import User
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR
from tests.services import given

TEXT = "Supervision on Thursday at 17:00."


@pytest.fixture
async def team(rt: Runtime) -> list[User]:
    """Two approved peers, one of them paused, and one still waiting for approval."""
    sol = await given.free_peer(rt, 6001, "Sol")
    bo = await given.free_peer(rt, 6002, "Bo", language="da")
    assert await peers.pause(rt, bo.id, COORDINATOR) is not None
    newcomer = await peers.redeem(rt, await peers.create_invite(rt), 6003, "en")
    assert newcomer is not None
    return [sol, bo]


async def test_sent_once_to_approved_and_paused_peers_in_their_language(
    rt: Runtime, team: list[User]
) -> None:
    draft = await broadcast.prepare(rt, COORDINATOR, f"  {TEXT}  ")
    assert (draft.text, draft.recipients) == (TEXT, 2)
    before = await given.mark(rt)
    assert await broadcast.send(rt, draft.id, BACKUP_COORDINATOR) == broadcast.SendResult(
        SendOutcome.STALE
    )  # not the author
    result = await broadcast.send(rt, draft.id, COORDINATOR)
    assert (result.outcome, result.recipients) == (SendOutcome.SENT, 2)
    assert (await broadcast.send(rt, draft.id, COORDINATOR)).outcome is SendOutcome.STALE
    assert sorted(await given.since(rt, before)) == [
        (6001, f"From the coordinators:\n\n{TEXT}"),
        (6002, f"Fra koordinatorerne:\n\n{TEXT}"),
    ]
    (target,) = await rt.storage.fetchone("SELECT target FROM audit WHERE action = 'broadcast'")
    assert target == f"broadcast:{draft.id}"  # which one, never the text


async def test_one_broadcast_an_hour_per_coordinator(
    rt: Runtime, clock: FakeClock, team: list[User]
) -> None:
    first = await broadcast.prepare(rt, COORDINATOR, TEXT)
    assert (await broadcast.send(rt, first.id, COORDINATOR)).outcome is SendOutcome.SENT
    clock.advance(timedelta(minutes=59))
    second = await broadcast.prepare(rt, COORDINATOR, "Again")
    result = await broadcast.send(rt, second.id, COORDINATOR)
    assert result.outcome is SendOutcome.TOO_SOON
    assert result.next_at == rt.now() + timedelta(minutes=1)
    other = await broadcast.prepare(rt, BACKUP_COORDINATOR, "From someone else")
    assert (await broadcast.send(rt, other.id, BACKUP_COORDINATOR)).outcome is SendOutcome.SENT
    clock.advance(timedelta(minutes=1))
    assert (await broadcast.send(rt, second.id, COORDINATOR)).outcome is SendOutcome.SENT


async def test_an_old_or_cancelled_draft_is_not_sent(
    rt: Runtime, clock: FakeClock, team: list[User]
) -> None:
    cancelled = await broadcast.prepare(rt, COORDINATOR, TEXT)
    assert await broadcast.cancel(rt, cancelled.id, COORDINATOR)
    assert (await broadcast.send(rt, cancelled.id, COORDINATOR)).outcome is SendOutcome.STALE
    old = await broadcast.prepare(rt, COORDINATOR, TEXT)
    clock.advance(broadcast.DRAFT_LIFETIME + timedelta(seconds=1))
    assert (await broadcast.send(rt, old.id, COORDINATOR)).outcome is SendOutcome.STALE


async def test_nobody_to_send_to_and_texts_out_of_bounds(rt: Runtime) -> None:
    draft = await broadcast.prepare(rt, COORDINATOR, TEXT)
    assert draft.recipients == 0
    assert (await broadcast.send(rt, draft.id, COORDINATOR)).outcome is SendOutcome.NOBODY
    with pytest.raises(UserInputError):
        await broadcast.prepare(rt, COORDINATOR, "   ")
    with pytest.raises(UserInputError):
        await broadcast.prepare(rt, COORDINATOR, "x" * (broadcast.TEXT_LIMIT + 1))
    assert (await broadcast.prepare(rt, COORDINATOR, "x" * broadcast.TEXT_LIMIT)).text
