"""Care for volunteers: a debrief on offer after heavy moments, a question the next day, a
break suggested after several in a week, and a guide."""

from datetime import timedelta

from tests.helpers.flows import coordinator, in_contact, press
from tests.helpers.harness import Harness


async def test_heavy_moment_offers_debrief_and_asks_next_day(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    citizen.send_text("/help_now")
    await h.settle()
    assert "heavy moment" in peer.texts[-1]
    await press(h, peer, "Ask for a debrief")
    assert "coordinator has been asked" in peer.texts[-1]
    assert "would like a debrief" in coco.texts[-1]
    await h.tick(timedelta(days=1, minutes=1))
    assert peer.texts[-1].startswith("How are you after yesterday?")
    await h.tick(timedelta(days=1))
    assert sum(t.startswith("How are you after yesterday?") for t in peer.texts) == 1
    coco.send_text("/peers")
    await h.settle()
    assert "1 heavy this week" in coco.texts[-1]


async def test_several_heavy_moments_suggest_a_break(harness: Harness) -> None:
    """Three separate urgent requests in a week (each taken by a coordinator, hours apart)."""
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    for _ in range(3):
        citizen.send_text("/help_now")
        await h.settle()
        coco.press_button("I'm handling it")
        await h.settle()
        h.clock.advance(timedelta(hours=2))
    assert "A break is a good idea" in peer.texts[-1]
    await press(h, peer, "Take a break")
    assert "You are away" in peer.texts[-1]
    row = await h.rt.storage.fetchone("SELECT away FROM peer_profiles")
    assert row[0] == 1


async def test_a_block_is_a_heavy_moment_too_and_the_guide(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    citizen.block()
    await h.settle()
    assert "heavy moment" in peer.texts[-1]
    peer.send_text("/guide")
    await h.settle()
    assert peer.texts[-1].startswith("A short guide for peers")
    citizen.unblock()
    citizen.send_text("/guide")
    await h.settle()
    assert citizen.texts[-1] == "This command is for peers."
    stranger = h.user(3001, language="en")
    stranger.send_text("/start")
    await h.settle()
    stranger.press(stranger.last_message["message_id"], "care:debrief:1", forge=True)
    await h.settle()
    assert stranger.answered_callbacks[-1] == "That button is no longer valid."
