"""Handover notes: with the citizen's consent, a peer who ended a contact leaves a few words
for the citizen's next peer. The citizen sees the note first, and can delete it at any time."""

from __future__ import annotations

from bot import notices
from bot.errors import UserInputError
from bot.i18n import N_
from bot.runtime import Runtime
from bot.storage import contacts as contact_store
from bot.storage import handover as handover_store
from bot.storage.handover import HandoverNote
from bot.storage.users import User

NOTE_LIMIT = 300


def clean(text: str) -> str:
    note = " ".join(text.split())
    if not note:
        raise UserInputError(N_("That message was empty. Write a few words, or press Skip."))
    if len(note) > NOTE_LIMIT:
        raise UserInputError(N_("Please keep the note under 300 characters."))
    return note


async def propose(rt: Runtime, peer: User, contact_id: int, text: str) -> bool:
    """Store the note as pending and ask the citizen; only for the peer's own ended contact."""
    note = clean(text)
    now = rt.now()
    async with rt.storage.transaction() as tx:
        contact = await contact_store.contact(tx, contact_id)
        if contact is None or contact.active or contact.peer_id != peer.id:
            return False
        note_id = await handover_store.add_pending(tx, contact.citizen_id, peer.id, note, now)
        t = rt.translator(contact.citizen_language)
        await notices.send(
            tx,
            contact.citizen_chat,
            notices.Notice(
                t._(
                    "{name} would like to leave this note for your next peer:\n\n{note}\n\nIs "
                    "that all right? Nobody sees it unless you say yes.",
                    name=contact.peer_name,
                    note=note,
                ),
                (
                    (
                        (t._("Yes, keep it"), f"hand:ok:{note_id}"),
                        (t._("No, delete it"), f"hand:del:{note_id}"),
                    ),
                ),
            ),
            purpose="handover",
            now=now,
            ref_id=note_id,
        )
    rt.wake_delivery()
    return True


async def decide(rt: Runtime, citizen: User, note_id: int, keep: bool) -> HandoverNote | None:
    """The citizen keeps or deletes a note about themselves; None if it is not theirs."""
    async with rt.storage.transaction() as tx:
        note = await handover_store.by_id(tx, note_id)
        if note is None or note.citizen_id != citizen.id:
            return None
        if keep:
            await handover_store.keep(tx, note_id)
        else:
            await handover_store.delete(tx, note_id)
    return note
