"""/stats through the real Application: coordinators only, a period, a chart as a photo."""

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
