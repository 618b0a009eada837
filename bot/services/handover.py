"""Handover notes: with the citizen's consent, a peer who ended a contact leaves a few words
for the citizen's next peer. The citizen sees the note first, and can delete it at any time.

One note per ended contact, only from its own peer who is still an approved peer, only for a
contact the peer ended themselves (where the bot offered it), and only within `NOTE_WINDOW` of
the end; a replayed button or reply gets a clear answer and reaches nobody.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from bot.delivery import notices
from bot.errors import UserInputError
from bot.i18n import N_
from bot.runtime import Runtime
from bot.storage import Transaction
from bot.storage import contacts as contact_store
from bot.storage import handover as handover_store
from bot.storage import peers as peer_store
from bot.storage.contacts import Contact
from bot.storage.peers import PeerStatus
from bot.storage.users import User

NOTE_LIMIT = 300
NOTE_WINDOW = timedelta(days=7)


class Refusal(StrEnum):
    NOT_YOURS = "not_yours"  # not the peer's own contact, still active, or not ended by them
    NOT_A_PEER = "not_a_peer"  # removed or paused: no longer writes to citizens
    ALREADY = "already"  # a note for this contact was proposed before
    TOO_LATE = "too_late"  # more than `NOTE_WINDOW` after the end


def clean(text: str) -> str:
    note = " ".join(text.split())
    if not note:
        raise UserInputError(N_("That message was empty. Write a few words, or press Skip."))
    if len(note) > NOTE_LIMIT:
        raise UserInputError(N_("Please keep the note under 300 characters."))
    return note


async def _refusal(
    tx: Transaction, rt: Runtime, peer: User, contact: Contact | None
) -> Refusal | None:
    if (
        contact is None
        or contact.peer_id != peer.id
        or contact.kind != "peer"
        or contact.active
        or contact.ended_by != "peer"
        or contact.ended_at is None
    ):
        return Refusal.NOT_YOURS
    profile = await peer_store.profile(tx, peer.id)
    if profile is None or profile.status is not PeerStatus.APPROVED:
        return Refusal.NOT_A_PEER
    if contact.handover_asked:
        return Refusal.ALREADY
    if rt.now() - contact.ended_at > NOTE_WINDOW:
        return Refusal.TOO_LATE
    return None


async def may_propose(rt: Runtime, peer: User, contact_id: int) -> Refusal | None:
    """Whether the peer may still leave a note for this contact (None: yes)."""
    async with rt.storage.transaction() as tx:
        return await _refusal(tx, rt, peer, await contact_store.contact(tx, contact_id))


async def prompt_sent(rt: Runtime, peer: User, contact_id: int, message_id: int) -> bool:
    """Remember the message that asks the peer for a note for the next peer, so that a reply to
    it is known by its id; False if the contact is not the peer's."""
    return await contact_store.set_handover_prompt(rt.storage, contact_id, peer.id, message_id)


async def prompted_contact(rt: Runtime, peer: User, replied_id: int) -> int | None:
    """The peer's own contact whose handover prompt they replied to; None for any other."""
    return await contact_store.by_handover_prompt(rt.storage, peer.id, replied_id)


async def propose(rt: Runtime, peer: User, contact_id: int, text: str) -> Refusal | None:
    """Store the note as pending and ask the citizen (None); or say why not, storing nothing."""
    now = rt.now()
    async with rt.storage.transaction() as tx:
        contact = await contact_store.contact(tx, contact_id)
        refusal = await _refusal(tx, rt, peer, contact)
        if refusal is not None:
            return refusal
        assert contact is not None
        note = clean(text)
        if not await contact_store.claim_handover(tx, contact.id, peer.id, now, now - NOTE_WINDOW):
            return Refusal.ALREADY
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
    return None


class Decision(StrEnum):
    KEPT = "kept"
    ALREADY_KEPT = "already_kept"  # a replayed "keep": nothing changes
    DELETED = "deleted"
    STALE = "stale"  # not theirs, or gone


async def decide(rt: Runtime, citizen: User, note_id: int, keep: bool) -> Decision:
    """The citizen keeps or deletes a note about themselves."""
    async with rt.storage.transaction() as tx:
        note = await handover_store.by_id(tx, note_id)
        if note is None or note.citizen_id != citizen.id:
            return Decision.STALE
        if not keep:
            await handover_store.delete(tx, note_id)
            return Decision.DELETED
        if note.kept:
            return Decision.ALREADY_KEPT
        await handover_store.keep(tx, note_id)
    return Decision.KEPT
