"""Routing of conversation messages between a citizen and their peer (or a coordinator).

The bot copies messages and keeps only which message id maps to which; it never stores text.
A message reaches someone only through an active contact the sender is part of, chosen by the
reply it answers, the only contact there is, or the peer's current focus; when that is not
certain the sender is asked, never guessed for. A reply to a message of a contact that has
ended reaches nobody.

Each relayed message is one bubble with the sender's name on its first line (see `compose`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot import metrics
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.storage import contacts as contact_store
from bot.storage import peers as peer_store
from bot.storage.contacts import Contact
from bot.storage.users import User

CRISIS_NOTICE_EVERY = timedelta(hours=1)
SPOKEN_KEEP = 10_000
SPOKEN_SETTLED = timedelta(minutes=1)
# How long a "send it to ..." button may send the message it answers: later, the words may no
# longer fit the moment, and the sender should write again.
SEND_WINDOW = timedelta(hours=1)
# Telegram's limits on a message's text and on a caption, in characters after parsing.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


class Side(StrEnum):
    CITIZEN = "citizen"
    PEER = "peer"


class RouteProblem(StrEnum):
    NO_CONTACT = "no_contact"
    CHOOSE = "choose"  # several people on the other side: the sender must say whom
    ENDED = "ended"  # a reply to a message of a contact that has ended: it reaches nobody


@dataclass(frozen=True)
class Replied:
    """The message a new message replies to, as far as routing needs it."""

    message_id: int
    sent_at: datetime
    # The sender's own message or a copy the bot relayed (protected): part of a conversation,
    # not one of the bot's own notices.
    conversational: bool


@dataclass(frozen=True)
class Route:
    contact: Contact | None
    side: Side
    target_chat: int
    reply_to: int | None
    problem: RouteProblem | None = None
    # CHOOSE: whom the sender may mean. ENDED: the sender's current contacts.
    choices: tuple[Contact, ...] = field(default_factory=tuple)


async def route(rt: Runtime, sender: User, replied: Replied | None) -> Route:
    """Decide where a message from `sender` goes (one read; a reply adds the mapping)."""
    db = rt.storage
    involving = [_fresh(rt, c) for c in await contact_store.active_involving(db, sender.id)]
    if replied is not None:
        mapped = await contact_store.counterpart(db, sender.telegram_id, replied.message_id)
        if mapped is not None:
            contact = next((c for c in involving if c.id == mapped[0]), None)
            if contact is None:
                ended = await contact_store.contact(db, mapped[0])
                mine = ended is not None and side_of(ended, sender) is not None
                return _ended(sender, ended if mine else None, involving)
            side = side_of(contact, sender)
            assert side is not None
            if side is Side.PEER and _peer_contacts(involving, sender) != [contact]:
                await peer_store.set_focus(db, sender.id, contact.id)
            return Route(contact, side, _other_chat(contact, side), mapped[1])
        if replied.conversational and not any(
            c.started_at is not None and c.started_at.replace(microsecond=0) <= replied.sent_at
            for c in involving
        ):
            # Older than every current contact: it belongs to a conversation that has ended
            # (and whose mapping may be gone by now).
            return _ended(sender, None, involving)
    as_citizen = [c for c in involving if c.citizen_id == sender.id]
    if len(as_citizen) == 1:
        return Route(as_citizen[0], Side.CITIZEN, as_citizen[0].peer_chat, None)
    if as_citizen:
        # A coordinator's conversation beside the peer's: never guess which one is meant.
        return Route(None, Side.CITIZEN, 0, None, RouteProblem.CHOOSE, tuple(as_citizen))
    contacts = _peer_contacts(involving, sender)
    if not contacts:
        return Route(None, Side.CITIZEN, 0, None, RouteProblem.NO_CONTACT)
    if len(contacts) == 1:
        return Route(contacts[0], Side.PEER, contacts[0].citizen_chat, None)
    profile = await peer_store.profile(db, sender.id)
    focus = profile.focus_contact_id if profile else None
    chosen = next((c for c in contacts if c.id == focus), None)
    if chosen is None or _someone_else_spoke_last(contacts, chosen):
        return Route(None, Side.PEER, 0, None, RouteProblem.CHOOSE, tuple(contacts))
    return Route(chosen, Side.PEER, chosen.citizen_chat, None)


def _ended(sender: User, contact: Contact | None, involving: list[Contact]) -> Route:
    side = (side_of(contact, sender) if contact else None) or Side.CITIZEN
    return Route(contact, side, 0, None, RouteProblem.ENDED, tuple(involving))


def _peer_contacts(involving: list[Contact], sender: User) -> list[Contact]:
    return [c for c in involving if c.peer_id == sender.id]


def _someone_else_spoke_last(contacts: list[Contact], chosen: Contact) -> bool:
    """True when the newest message in the peer's chat came from another citizen.

    Then an unthreaded reply is ambiguous, and guessing could reach the wrong person.
    """
    spoken = [c for c in contacts if c.last_message_at is not None]
    if not spoken:
        return False
    latest = max(spoken, key=lambda c: c.last_message_at)  # type: ignore[arg-type, return-value]
    return latest.id != chosen.id and latest.last_sender == Side.CITIZEN.value


def side_of(contact: Contact, sender: User) -> Side | None:
    """Which side of the contact `sender` is on; None when they are not part of it."""
    if contact.citizen_id == sender.id:
        return Side.CITIZEN
    if contact.peer_id == sender.id:
        return Side.PEER
    return None


def _other_chat(contact: Contact, side: Side) -> int:
    return contact.peer_chat if side is Side.CITIZEN else contact.citizen_chat


def to(contact: Contact, side: Side) -> Route:
    """The route of a message the sender chose to send into `contact` (no reply threading)."""
    return Route(contact, side, _other_chat(contact, side), None)


def display_name(t: Translator, contact: Contact, side: Side) -> str:
    """The name the other side sees for whoever writes from `side` (never empty).

    A coordinator writes under the name the bot gave them, marked as a coordinator, so that a
    citizen who also talks with a peer always knows who is who.
    """
    if side is Side.CITIZEN:
        return contact.citizen_name or t._("Your contact")
    name = contact.peer_name or t._("Your peer")
    if contact.kind == "coordinator":
        return t._("{name} (coordinator)", name=name)
    return name


def other_name(t: Translator, contact: Contact, me: Side) -> str:
    """The name of the person on the other side, as `me` sees them."""
    return display_name(t, contact, Side.PEER if me is Side.CITIZEN else Side.CITIZEN)


# One message, one bubble ------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Bubble:
    """How one relayed message is sent.

    ``method`` is ``sendMessage`` (a text sent again with the name on its first line) or
    ``copyMessage`` (media; ``text`` is then the new caption, or None to keep the original).
    ``name_apart`` asks for a separate name message first: stickers and video notes take no
    caption, and a name that would push a text or caption over Telegram's limit is not cut
    into the sender's words.
    """

    method: str
    text: str | None
    entities: tuple[dict[str, Any], ...]
    name_apart: bool = False


def name_entity(name: str) -> dict[str, Any]:
    return {"type": "bold", "offset": 0, "length": utf16_len(name)}


def compose(
    name: str,
    *,
    text: str | None,
    entities: list[dict[str, Any]],
    caption: str | None,
    caption_entities: list[dict[str, Any]],
    takes_caption: bool,
) -> Bubble:
    """The bubble for a message: the name in bold on the first line, the sender's formatting
    kept (its entities shifted by the name line, counted in UTF-16 as Telegram counts)."""
    prefix = name + "\n"
    shift = utf16_len(prefix)
    if text is not None:
        if len(prefix) + len(text) > TEXT_LIMIT:
            return Bubble("copyMessage", None, (), name_apart=True)
        return Bubble("sendMessage", prefix + text, (name_entity(name), *_shifted(entities, shift)))
    if not takes_caption:
        return Bubble("copyMessage", None, (), name_apart=True)
    if not caption:
        return Bubble("copyMessage", name, (name_entity(name),))
    if len(prefix) + len(caption) > CAPTION_LIMIT:
        return Bubble("copyMessage", None, (), name_apart=True)
    return Bubble(
        "copyMessage", prefix + caption, (name_entity(name), *_shifted(caption_entities, shift))
    )


def _shifted(entities: list[dict[str, Any]], shift: int) -> list[dict[str, Any]]:
    return [{**entity, "offset": entity["offset"] + shift} for entity in entities]


def delivered(
    rt: Runtime,
    route_: Route,
    source: tuple[int, int],
    copy_id: int,
    copy_kind: str = "text",
    *,
    name_copy: int | None = None,
) -> None:
    """Record the mapping (with the copy's kind: 'text', 'caption' or 'bare') and who spoke
    last in the next group commit. A separate name message sent before the copy is mapped to
    the same message, so a reply to it threads and an erasure withdraws it too."""
    assert route_.contact is not None
    metrics.RELAYED.inc()
    now = rt.now()
    contact_store.note_relayed_later(
        rt.later,
        route_.contact.id,
        route_.side.value,
        source,
        (route_.target_chat, copy_id),
        now,
        copy_kind,
        name_copy=name_copy,
    )
    spoken = _last_spoken(rt)
    if len(spoken) >= SPOKEN_KEEP:
        _forget_old_spoken(rt, spoken, now)
    spoken[route_.contact.id] = (route_.side.value, now)
    if route_.side is Side.PEER and route_.contact.kind == "peer":
        peer_store.touch_later(rt.later, route_.contact.peer_id, now)


async def already_sent(rt: Runtime, chat_id: int, message_id: int) -> bool:
    """True when this message of the sender's was relayed already (a replayed press)."""
    return await contact_store.counterpart(rt.storage, chat_id, message_id) is not None


def _last_spoken(rt: Runtime) -> dict[int, tuple[str, datetime]]:
    """Who wrote last in each contact, as relayed by this process.

    The group commit writes the same to the contact's row some milliseconds later; until then
    the row is behind, and a peer's unthreaded reply could miss that another citizen just
    wrote.
    """
    return rt.relay_last_spoken


def _forget_old_spoken(rt: Runtime, spoken: dict[int, tuple[str, datetime]], now: datetime) -> None:
    """Keep memory bounded: forget contacts quiet for `SPOKEN_SETTLED`, whose group commit
    landed long ago (their rows say the same). Recent entries stay: their rows may still be
    waiting for the group commit."""
    for contact_id, (_, at) in list(spoken.items()):
        if now - at > SPOKEN_SETTLED:
            del spoken[contact_id]


def _fresh(rt: Runtime, contact: Contact) -> Contact:
    """The contact with who-wrote-last as relayed, if its row has not caught up yet."""
    known = _last_spoken(rt).get(contact.id)
    if (
        known is None
        or (contact.last_sender, contact.last_message_at) == known
        or (contact.last_message_at is not None and contact.last_message_at > known[1])
    ):
        return contact
    return replace(contact, last_sender=known[0], last_message_at=known[1])


async def chosen(rt: Runtime, sender: User, contact_id: int) -> tuple[Contact, Side] | None:
    """The sender chose whom a message is for: only an active contact they are part of; a
    peer's choice also becomes their focus for the next unthreaded messages."""
    contact = await contact_store.contact(rt.storage, contact_id)
    if contact is None or not contact.active:
        return None
    side = side_of(contact, sender)
    if side is None:
        return None
    if side is Side.PEER:
        await peer_store.set_focus(rt.storage, sender.id, contact.id)
    return _fresh(rt, contact), side


async def focus(rt: Runtime, peer: User, contact_id: int) -> Contact | None:
    """The peer chooses whom their next messages go to; only their own active contacts."""
    contact = await contact_store.contact(rt.storage, contact_id)
    if contact is None or not contact.active or contact.peer_id != peer.id:
        return None
    await peer_store.set_focus(rt.storage, peer.id, contact.id)
    return contact


async def reads_later(rt: Runtime, route_: Route) -> bool:
    """A message to a citizen in the web chat whose page is closed and who gets no
    notifications: they will read it on their next visit. True once per absence, so the peer
    is told once, not after every message."""
    if rt.web is None or route_.side is not Side.PEER:
        return False
    return await rt.web.tell_reads_later(route_.target_chat)


async def should_show_crisis_lines(rt: Runtime, contact: Contact) -> bool:
    now = rt.now()
    return await contact_store.claim_crisis_notice(
        rt.storage, contact.id, now, now - CRISIS_NOTICE_EVERY
    )
