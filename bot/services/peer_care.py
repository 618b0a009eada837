"""Care for volunteers: after a heavy moment a peer is offered a debrief and asked the next day
how they are; after several in a week the bot suggests a break. Peers carry a lot."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery import notices
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services.coordinators import tell_coordinators
from bot.storage import Transaction
from bot.storage import peer_events as event_store
from bot.storage import peers as peer_store
from bot.storage import users as user_store

WEEK = timedelta(days=7)
FOLLOW_UP_AFTER = timedelta(days=1)


def _what_happened(t: Translator, kind: str, citizen_name: str | None) -> str:
    """Say what happened, so the offer of a debrief is not a riddle. (Crisis words and a
    peer's own concern already told the peer what happened, in their own message.)"""
    name = citizen_name or "-"
    if kind == "button":
        return t._(
            "{name} asked for urgent help with the button. Our coordinators have been alerted "
            "and a coordinator takes it from here; you do not need to do anything.",
            name=name,
        )
    return ""


async def heavy_moment(
    tx: Transaction, rt: Runtime, peer_id: int, kind: str, *, citizen_name: str | None = None
) -> None:
    """Record it and, in the same transaction, tell the peer what happened and offer a debrief
    (and maybe a break)."""
    peer = await user_store.by_id(tx, peer_id)
    if peer is None or peer.role.value != "peer":
        return
    now = rt.now()
    event_id = await event_store.add(tx, peer_id, kind, now, now + FOLLOW_UP_AFTER)
    t = rt.translator(peer.language)
    offer = t._(
        "That was a heavy moment. You do not have to carry it alone: a coordinator can "
        "talk it through with you."
    )
    what = _what_happened(t, kind, citizen_name)
    await _offer_debrief(
        tx, rt, peer.telegram_id, event_id, f"{what}\n\n{offer}" if what else offer, t
    )
    if await event_store.count_since(tx, peer_id, now - WEEK) >= rt.config.heavy_events_per_week:
        await notices.send(
            tx,
            peer.telegram_id,
            notices.Notice(
                t._(
                    "You have had several heavy moments this week. A break is a good idea; "
                    "your contacts can wait, and coordinators are there for urgent things."
                ),
                (((t._("Take a break (no new offers)"), f"care:away:{event_id}"),),),
            ),
            purpose="peer-care",
            now=now,
            ref_id=event_id,
        )


async def _offer_debrief(
    tx: Transaction, rt: Runtime, chat_id: int, event_id: int, text: str, t: Translator
) -> None:
    await notices.send(
        tx,
        chat_id,
        notices.Notice(text, (((t._("Ask for a debrief"), f"care:debrief:{event_id}"),),)),
        purpose="peer-care",
        now=rt.now(),
        ref_id=event_id,
    )


async def follow_ups(rt: Runtime) -> int:
    """The day after a heavy moment: a short "how are you?"."""
    sent = 0
    for event in await event_store.due_follow_ups(rt.storage, rt.now()):
        async with rt.storage.transaction() as tx:
            peer = await user_store.by_id(tx, event.peer_id)
            if peer is None or not await event_store.follow_up_done(tx, event.id):
                continue
            t = rt.translator(peer.language)
            await _offer_debrief(
                tx,
                rt,
                peer.telegram_id,
                event.id,
                t._(
                    "How are you after yesterday? If you would like to talk it through, a "
                    "coordinator is there for you."
                ),
                t,
            )
            sent += 1
    rt.wake_delivery()
    return sent


async def ask_debrief(rt: Runtime, event_id: int, peer_id: int) -> bool:
    """A non-urgent request to the coordinators, once per heavy moment, for the peer's own."""
    async with rt.storage.transaction() as tx:
        event = await event_store.by_id(tx, event_id)
        peer = await user_store.by_id(tx, peer_id)
        if event is None or peer is None or event.peer_id != peer_id:
            return False
        if not await event_store.ask_debrief(tx, event_id, rt.now()):
            return True
        name = peer.pseudonym or "-"
        await tell_coordinators(
            rt,
            tx,
            lambda t: notices.Notice(
                t._(
                    "{name}, a peer, would like a debrief after a heavy moment. "
                    "Not urgent; please write to them when you can.",
                    name=name,
                )
            ),
            purpose="debrief",
            ref_id=event_id,
        )
    rt.wake_delivery()
    return True


async def take_break(rt: Runtime, peer_id: int) -> bool:
    profile = await peer_store.profile(rt.storage, peer_id)
    if profile is None:
        return False
    await peer_store.set_away(rt.storage, peer_id, True, None)
    return True


async def heavy_this_week(rt: Runtime, peer_id: int) -> int:
    return await event_store.count_since(rt.storage, peer_id, rt.now() - WEEK)


def guide_text(t: Translator, config_guide: dict[str, str]) -> str:
    if t.language in config_guide:
        return config_guide[t.language]
    return "\n\n".join(
        [
            t._("A short guide for peers"),
            t._(
                "When you are worried: press “I'm worried” on the contact. Say what you "
                "notice, stay calm, and never promise secrecy about danger to life."
            ),
            t._(
                "Ending kindly: tell the citizen before you end, thank them, and remind them "
                "they can ask for a peer again. /end does the rest."
            ),
            t._(
                "Boundaries: you decide how often you write. /away pauses new offers; your "
                "capacity is in /profile."
            ),
            t._(
                "Who to call: your coordinators, through the bot or as agreed locally. In "
                "danger to life: 112."
            ),
        ]
    )
