from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.services import relay


def test_memory_of_who_spoke_last_forgets_only_settled_contacts() -> None:
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    rt = SimpleNamespace()
    spoken = {
        1: ("citizen", now - timedelta(minutes=5)),
        2: ("peer", now - timedelta(seconds=2)),  # its group commit may still be pending
    }
    relay._forget_old_spoken(rt, spoken, now)  # type: ignore[arg-type]
    assert spoken == {2: ("peer", now - timedelta(seconds=2))}


def test_compose_puts_the_name_first_and_moves_entities_in_utf16() -> None:
    bold = {"type": "bold", "offset": 0, "length": 2}
    bubble = relay.compose(
        "Sø 🌿",
        text="hi there",
        entities=[bold],
        caption=None,
        caption_entities=[],
        takes_caption=False,
    )
    assert (bubble.method, bubble.text, bubble.name_apart) == (
        "sendMessage",
        "Sø 🌿\nhi there",
        False,
    )
    assert bubble.entities == (
        {"type": "bold", "offset": 0, "length": 5},
        {"type": "bold", "offset": 6, "length": 2},
    )


def test_compose_keeps_the_senders_words_whole_when_the_name_does_not_fit() -> None:
    def media(caption: str | None, *, takes_caption: bool = True) -> relay.Bubble:
        return relay.compose(
            "Eg 10",
            text=None,
            entities=[],
            caption=caption,
            caption_entities=[],
            takes_caption=takes_caption,
        )

    assert media(None) == relay.Bubble("copyMessage", "Eg 10", (relay.name_entity("Eg 10"),))
    assert media("x" * 1018).text == "Eg 10\n" + "x" * 1018  # exactly 1,024
    assert media("x" * 1019) == relay.Bubble("copyMessage", None, (), name_apart=True)
    assert media(None, takes_caption=False).name_apart  # a sticker
    long_text = relay.compose(
        "Eg 10",
        text="y" * 4091,
        entities=[],
        caption=None,
        caption_entities=[],
        takes_caption=False,
    )
    assert long_text.method == "copyMessage" and long_text.name_apart
