"""Restarts in the middle of dialogues, the coordinator group, and coordinator overviews."""

from dataclasses import replace
from datetime import timedelta

from tests.helpers.flows import ask_for_peer, coordinator, in_contact, make_peer, press
from tests.helpers.harness import COORDINATOR, Harness

GROUP = -1001234567


async def test_peer_onboarding_resumes_after_a_restart(harness: Harness) -> None:
    h = harness
    coco = h.user(COORDINATOR, "Coco", language="en")
    coco.send_text("/invite")
    await h.settle()
    payload = coco.texts[-1].split("start=")[1]
    peer = h.user(2001, "Maja", language="en")
    peer.send_text(f"/start {payload}")
    await h.settle()
    peer.send_text("Maja")
    await h.settle()
    await press(h, peer, "Anxiety")
    await h.restart()
    await press(h, peer, "Done", "English", "Done", "2", "Evenings", "Done", "I accept")
    assert "A coordinator will approve you" in peer.texts[-1]
    coco.send_text("/peers")
    await h.settle()
    assert "Maja: waits for approval, 0 of 2 contacts, 0 heavy this week" in coco.texts[-1]
    await press(h, coco, "Approve")
    assert "approved" in peer.texts[-1]


async def test_check_in_planning_resumes_after_a_restart(harness: Harness) -> None:
    h = harness
    peer, _ = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Choose day and time", "Wed 4 Mar")
    await h.restart()
    peer.send_text("9:30")
    await h.settle()
    await press(h, peer, "Only once", "Skip", "Plan it")
    assert peer.texts[-1].startswith("Planned for Wednesday 4 March at 09:30")


async def test_reused_or_unknown_invitation_is_refused(harness: Harness) -> None:
    h = harness
    coco = h.user(COORDINATOR, "Coco", language="en")
    coco.send_text("/invite")
    await h.settle()
    payload = coco.texts[-1].split("start=")[1]
    h.user(2001, "Maja", language="en").send_text(f"/start {payload}")
    await h.settle()
    late = h.user(2002, "Bo", language="en")
    late.send_text(f"/start {payload}")
    await h.settle()
    assert "not valid" in late.texts[-1]
    late.send_text("/start inv_made-up")
    await h.settle()
    assert "not valid" in late.texts[-1]
    h.clock.advance(timedelta(hours=73))
    coco.send_text("/invite")
    await h.settle()
    expired = coco.texts[-1].split("start=")[1]
    h.clock.advance(timedelta(hours=73))
    late.send_text(f"/start {expired}")
    await h.settle()
    assert "not valid" in late.texts[-1]


async def test_coordinator_group_gets_alerts_and_follows_a_migration(harness: Harness) -> None:
    h = harness
    h.config = replace(h.config, coordinator_group_id=GROUP)
    await h.restart()
    group = h.fake.group(GROUP, "Koordinatorer")
    member = h.user(9100, "Gitte", language="da")
    group.add_member(member)
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    assert group.texts[-1].startswith("Akut #1")
    member.press_button("Jeg tager mig af det", chat=group)
    await h.settle()
    assert "Gitte" in group.texts[-1]
    supergroup = group.migrate_to_supergroup(-1009999999)
    h.config = replace(h.config, coordinator_group_id=-1009999999)
    await h.restart()
    h.user(1002, language="en").send_text("/help_now")
    await h.settle()
    assert supergroup.texts[-1].startswith("Akut #2")


async def test_queue_and_away_with_a_return_date(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    peer = await make_peer(h, 2001, "Maja")
    peer.send_text("/away 2026-03-05")
    await h.settle()
    assert "away until March 5, 2026" in peer.texts[-1]
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    assert "would like to talk" not in peer.texts[-1]
    coco.send_text("/queue")
    await h.settle()
    assert "Anxiety · waiting" in coco.texts[-1]
    await h.tick(timedelta(days=3))
    assert "would like to talk" in peer.texts[-1]
    peer.send_text("/away")
    await h.settle()
    peer.send_text("/available")
    await h.settle()
    assert "available for new contacts again" in peer.texts[-1]
