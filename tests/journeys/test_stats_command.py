"""/stats through the real Application: coordinators only, a period, a chart as a photo."""

from dataclasses import replace

from bot.fakebot.spec import UploadedFile
from tests.helpers.flows import coordinator, in_contact
from tests.helpers.harness import Harness


async def test_coordinator_gets_figures_and_a_chart(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    await in_contact(h)
    coco.send_text("/stats")
    await h.settle()
    text = next(t for t in reversed(coco.texts) if t.startswith("Statistics"))
    assert "Statistics February 1, 2026 to March 2, 2026" in text
    assert "Requests: <5" in text  # one request: too few to show
    photos = [c for c in h.fake.calls_to("sendPhoto") if c.ok]
    assert len(photos) == 1
    photo = photos[0].params["photo"]
    assert isinstance(photo, UploadedFile) and photo.size and photo.size > 5000
    assert photos[0].params["chat_id"] == coco.id
    assert "median time to first contact" in coco.last_message["caption"]


async def test_a_period_and_bad_dates(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    coco.send_text("/stats 2026-01-01 2026-01-31")
    await h.settle()
    assert any("Statistics January 1, 2026 to January 31, 2026" in t for t in coco.texts)
    for words, answer in (
        ("2026-13-01 2026-12-31", "I could not read that date"),
        ("2026-02-01 2026-01-01", "must not be after"),
        ("2026-01-01 2026-01-02 2026-01-03", "two dates like this"),
        ("2016-10-01", "at most two years"),
        ("1000-01-01", "at most two years"),
        ("0001-01-01", "at most two years"),
        ("9999-12-31", "must not be after"),
        ("0001-01-01 0001-01-02", "outside the range"),
        ("9999-12-30 9999-12-31", "outside the range"),
    ):
        coco.send_text(f"/stats {words}")
        await h.settle()
        assert answer in coco.texts[-1]
    assert len(h.fake.calls_to("sendPhoto")) == 1


async def test_not_for_citizens_or_peers(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    for person in (citizen, peer):
        person.send_text("/stats")
        await h.settle()
        assert person.texts[-1].startswith("What I can do")
        assert "Statistics" not in person.texts[-1]
    assert h.fake.calls_to("sendPhoto") == []


async def test_coordinator_tools_only_in_private_or_the_coordinator_group(
    harness: Harness,
) -> None:
    """Health data must not be posted to an ordinary group the bot happens to be in: there the
    bot says it works in private chats and leaves, even when a coordinator asks."""
    h = harness
    coco = await coordinator(h)
    await in_contact(h)
    before = len(h.fake.calls_to("sendPhoto"))
    for number, command in enumerate(("/stats", "/queue", "/peers", "/escalations")):
        other = h.fake.group(-4242 - number, "Friends")
        other.add_member(coco)
        coco.send_text(command, chat=other)
        await h.settle()
        assert other.bot_left
        assert other.texts == [
            "Jeg virker kun i private chats. Skriv direkte til mig: @peerbot_test_bot"
        ]
    assert len(h.fake.calls_to("sendPhoto")) == before
    # In the private chat the same coordinator gets the figures.
    coco.send_text("/stats")
    await h.settle()
    assert any(t.startswith("Statistics") for t in coco.texts)


async def test_stats_in_the_coordinator_group(harness: Harness) -> None:
    h = harness
    h.config = replace(h.config, coordinator_group_id=-1001)
    await h.restart()
    group = h.fake.group(-1001, "Koordinatorer")
    member = h.user(9100, "Gitte", language="en")
    group.add_member(member)
    member.send_text("/stats", chat=group)
    await h.settle()
    assert any(t.startswith("Statistics") for t in group.texts)
