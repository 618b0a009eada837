"""A prompt the peer answers by replying (a note on a report, on a concern, for the next peer) is
known by the id of the message the bot sent, in whatever language it was written; a reply to
any other message of the bot is not taken for a note."""

from __future__ import annotations

from typing import Any

import pytest

from bot.fakebot.actors import FakeUser
from bot.i18n import Translator
from bot.services import people, reports
from tests.helpers.flows import coordinator, in_contact, press
from tests.helpers.harness import Harness


def _sent(user: FakeUser, text: str) -> list[dict[str, Any]]:
    return [m for m in user.messages if m.get("text") == text]


def _before(t: Translator, msgid: str, **values: str) -> str:
    """The translated text before the first placeholder (a button label's fixed part)."""
    return t._(msgid, **{key: "\0" for key in values}).split("\0")[0]


async def _note(h: Harness) -> str | None:
    row = await h.rt.storage.fetchone("SELECT note FROM reports")
    return row["note"] if row else None


@pytest.mark.parametrize("language", ["da", "en"])
async def test_a_reply_to_the_report_prompt_is_the_note_in_either_language(
    harness: Harness, language: str
) -> None:
    h = harness
    coco = await coordinator(h)
    peer, _citizen = await in_contact(h)
    assert await people.choose_language(h.rt, peer.id, language)
    t = Translator(language, h.config.timezone)
    peer.send_text("/end")
    await h.settle()
    await press(
        h,
        peer,
        _before(t, "End contact with {name}", name=""),
        t._("End and report"),
        t._(reports.REASONS["abuse"]),
    )
    [prompt] = _sent(
        peer,
        t._(
            "If you want to add a short note for the coordinators (at most 500 characters), "
            "reply to this message. Keep it to what happened: the citizen can see the report "
            "if they ask for a copy of their data. (R#{number})",
            number=1,
        ),
    )
    others = [m for m in peer.messages if m["message_id"] != prompt["message_id"]]
    # A reply to another message of the bot (the ended contact) is no note.
    peer.send_text("Not a note", reply_to=others[-1]["message_id"])
    await h.settle()
    assert await _note(h) is None
    assert not any("Not a note" in text for text in coco.texts)
    # The reply to the prompt is.
    peer.send_text("He kept writing insults", reply_to=prompt["message_id"])
    await h.settle()
    assert await _note(h) == "He kept writing insults"
    assert peer.texts[-1] == t._("Your note has been passed on to the coordinators.")
    assert "He kept writing insults" in coco.texts[-1]


async def test_a_reply_to_another_message_with_a_number_is_not_a_concern_note(
    harness: Harness,
) -> None:
    """Reading numbers out of the bot's texts took a reply to "your report #1" for a note on
    concern #1; by message id, only the concern's own prompt takes its note."""
    h = harness
    coco = await coordinator(h)
    peer, _citizen = await in_contact(h)
    await press(h, peer, "I'm worried")  # concern (urgent #1), its prompt not answered
    peer.send_text("/end")
    await h.settle()
    await press(h, peer, "End contact with", "End and report", "Abusive or threatening")
    await press(h, coco, "Bar 1 month")
    [decided] = [m for m in peer.messages if "looked at your report #1" in m.get("text", "")]
    peer.send_text("Thank you", reply_to=decided["message_id"])
    await h.settle()
    row = await h.rt.storage.fetchone("SELECT note FROM escalations WHERE id = 1")
    assert row is not None and row["note"] is None
    assert not any("Note added to urgent #1" in text for text in coco.texts)
    [prompt] = [m for m in peer.messages if "concern #1" in m.get("text", "")]
    peer.send_text("They sounded very low", reply_to=prompt["message_id"])
    await h.settle()
    assert "Note added to urgent #1: They sounded very low" in coco.texts[-1]
