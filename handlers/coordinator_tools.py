"""Coordinators' tools: the queue with filters and actions, peers and their status, broadcasts.

`/queue [waiting|offered|unanswered|urgent|active]` lists open requests; *Open #n* shows one
with its actions (offer to a chosen peer, hand to another peer, close with a reason).
`/peers` lists peers with load and last activity; a peer's card has Approve, Pause, Resume and
Remove. `/broadcast <text>` asks for confirmation, then writes to every peer through the outbox.
Every button is checked again here (coordinators only) and in the service (state), so a forged,
stale or doubled press changes nothing and is told "no longer valid".
"""

from __future__ import annotations

import re
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.config import labels
from bot.domain import PeerProfile, PeerStatus
from bot.errors import UserInputError
from bot.i18n import N_, Translator
from bot.services import broadcast, peer_care, peers, request_queue
from bot.services.broadcast import SendOutcome
from bot.services.matching import suitable_peers
from bot.services.request_queue import (
    CLOSE_LABELS,
    FILTER_LABELS,
    CloseReason,
    Filter,
    OfferOutcome,
)
from handlers.base import Context, Turn, coordinator_action
from handlers.keyboards import action_and_id, button, callback_parts, parse_id
from handlers.menus import sync_menu
from handlers.staff import coordinator_turn

COMMAND = re.compile(r"^/\S+\s*")
PAGE = 15  # requests or peers (each with a button) in one message
TEXT_LIMIT = 4000
PEER_CHOICES = 10
PEER_ACTIONS = {"list", "open", "card", "pause", "resume", "rm", "rmok"}

# Queue ------------------------------------------------------------------------------------------


def _state(t: Translator, item: request_queue.Item) -> str:
    if item.contact is not None:
        return t._("in contact with {name}", name=item.contact.peer_name)
    if item.offer is not None:
        return t._("offered to {name}", name=item.offered_to or "-")
    if item.request.unanswered_at is not None:
        return t._("unanswered")
    return t._("waiting")


def _line(turn: Turn, item: request_queue.Item) -> str:
    t = turn.t
    since = item.request.waiting_since or item.request.created_at
    hours = int((turn.rt.now() - since) / timedelta(hours=1))
    line = t.ngettext(
        "#{number} · {topic} · {status} · {n} hour",
        "#{number} · {topic} · {status} · {n} hours",
        hours,
        number=item.request.id,
        topic=labels.topic(t, item.request.topic),
        status=_state(t, item),
    )
    return ("⚠️ " if item.urgent else "") + line


def _filter_rows(t: Translator) -> list[list[InlineKeyboardButton]]:
    choices = [button(t._(FILTER_LABELS[f]), f"q:f:{f.value}") for f in Filter]
    return [choices[:3], choices[3:]]


def _pager(t: Translator, page: int, total: int, data: str) -> list[list[InlineKeyboardButton]]:
    """‹ and › buttons when a list is longer than one page; `data` takes the page number."""
    row = []
    if page > 0:
        row.append(button(t._("‹ Previous"), data.format(page - 1)))
    if (page + 1) * PAGE < total:
        row.append(button(t._("Next ›"), data.format(page + 1)))
    return [row] if row else []


async def _queue_view(
    turn: Turn, wanted: Filter, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    t = turn.t
    found = await request_queue.items(turn.rt, wanted)
    if not found:
        text = (
            t._("No open requests.")
            if wanted is Filter.ALL
            else t._("No open requests in “{filter}”.", filter=t._(FILTER_LABELS[wanted]))
        )
        return text, InlineKeyboardMarkup(_filter_rows(t))
    head = (
        t._("Open requests:")
        if wanted is Filter.ALL
        else t._("Open requests in “{filter}”:", filter=t._(FILTER_LABELS[wanted]))
    )
    page = min(page, (len(found) - 1) // PAGE)
    shown = found[page * PAGE : (page + 1) * PAGE]
    lines = [head] + [_line(turn, item) for item in shown]
    opens = [
        button(t._("Open #{number}", number=i.request.id), f"q:open:{i.request.id}") for i in shown
    ]
    rows = [opens[n : n + 4] for n in range(0, len(opens), 4)]
    rows += _pager(t, page, len(found), f"q:f:{wanted.value}:{{}}") + _filter_rows(t)
    return _fit(lines), InlineKeyboardMarkup(rows)


def _fit(lines: list[str]) -> str:
    """Join lines within Telegram's limit for one message (long names cannot break it)."""
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > TEXT_LIMIT:
            return text + "\n…"
        text = f"{text}\n{line}" if text else line
    return text


@coordinator_action
async def queue_command(update: Update, context: Context) -> None:
    """Lists open requests, optionally one kind (/queue waiting), each with an Open button."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    word = (context.args[0].lower() if context.args else "all").strip()
    wanted = request_queue.FILTER_WORDS.get(word)
    if wanted is None:
        await context.bot.send_message(
            turn.chat_id,
            turn.t._(
                "Show one kind with /queue waiting, /queue offered, /queue unanswered, "
                "/queue urgent or /queue active."
            ),
        )
        return
    text, markup = await _queue_view(turn, wanted)
    await context.bot.send_message(turn.chat_id, text, reply_markup=markup)


def _card(turn: Turn, item: request_queue.Item) -> tuple[str, InlineKeyboardMarkup]:
    t, request = turn.t, item.request
    lines = [
        t._("Request #{number} from {name}", number=request.id, name=item.citizen_name),
        t._("Status: {status}", status=_state(t, item)),
        t._("Topic: {topic}", topic=labels.topic(t, request.topic)),
        t._("Contact: {form}", form=labels.contact_form(t, request.contact_form)),
        t._("When: {times}", times=labels.times(t, request.times)),
        t._("Language: {language}", language=labels.language(request.language)),
    ]
    if request.submitted_at is not None:
        lines.append(t._("Sent: {time}", time=t.datetime(request.submitted_at)))
    if item.offer is not None:
        lines.append(t._("Answer due: {time}", time=t.datetime(item.offer.expires_at)))
    if item.urgent:
        lines.append(t._("⚠️ An urgent alert about this citizen is not acknowledged yet."))
    if request.note:
        lines.append(t._("In their own words: {note}", note=request.note))
    rid = request.id
    if item.contact is not None:
        first = button(t._("Hand to another peer"), f"q:pick:{rid}")
    else:
        first = button(t._("Offer to a peer"), f"q:pick:{rid}")
    rows = [[first], [button(t._("Close…"), f"q:close:{rid}")]]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _choices(turn: Turn, item: request_queue.Item) -> tuple[str, InlineKeyboardMarkup]:
    t, rid = turn.t, item.request.id
    exclude = {item.contact.peer_id} if item.contact is not None else set()
    if item.offer is not None:
        exclude.add(item.offer.peer_id)
    found = await suitable_peers(turn.rt, item.request, exclude)
    back = [button(t._("Back"), f"q:card:{rid}")]
    if not found:
        return (
            t._(
                "No approved peer who speaks the language is free right now for #{number}.",
                number=rid,
            ),
            InlineKeyboardMarkup([back]),
        )
    action = "move" if item.contact is not None else "offer"
    target = item.contact.id if item.contact is not None else rid
    rows = []
    for choice in found[:PEER_CHOICES]:
        peer = choice.peer
        label = t._(
            "{name} · {load} of {capacity}",
            name=peer.pseudonym or "-",
            load=peer.active_contacts + choice.pending,
            capacity=peer.capacity,
        )
        if choice.topic_match:
            label += " ✓"
        rows.append([button(label, f"q:{action}:{target}:{peer.user_id}")])
    text = t._(
        "Choose a peer for #{number}. Shown: contacts now (and open offers) of their capacity; "
        "✓ means the topic is theirs.",
        number=rid,
    )
    return text, InlineKeyboardMarkup([*rows, back])


def _close_reasons(t: Translator, rid: int) -> InlineKeyboardMarkup:
    rows = [[button(t._(label), f"q:cl:{rid}:{r.value}")] for r, label in CLOSE_LABELS.items()]
    return InlineKeyboardMarkup([*rows, [button(t._("Back"), f"q:card:{rid}")]])


OFFER_ANSWERS = {
    OfferOutcome.ALREADY: N_("That peer has this offer already."),
    OfferOutcome.PEER_BUSY: N_("That peer cannot take it right now. Please choose again."),
}


@coordinator_action
async def queue_button(update: Update, context: Context) -> None:
    """Filters the queue, opens a request, and carries out the coordinator's choice on it."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    query = update.callback_query
    assert query is not None
    _, action, first, second = callback_parts(query.data, 4)
    item, other = parse_id(first), parse_id(second)
    if action == "f":
        wanted = Filter(first) if first in set(Filter) else None
        page = parse_id(second or "0")
        if wanted is not None and page is not None:
            await query.answer()
            text, markup = await _queue_view(turn, wanted, page)
            await query.edit_message_text(text, reply_markup=markup)
            return
    elif item is not None and action in {"offer", "move"} and other is not None:
        await _offer(turn, action, item, other)
        return
    elif item is not None and action == "cl" and second in set(CloseReason):
        await _close(turn, item, CloseReason(second))
        return
    elif item is not None and action in {"open", "card", "pick", "close"}:
        await _show(turn, action, item)
        return
    await query.answer(turn.t._("That button is no longer valid."))


async def _offer(turn: Turn, action: str, target: int, peer_id: int) -> None:
    """Offers a waiting request (target: request) or hands a contact (target: contact) on."""
    query, t, actor = turn.update.callback_query, turn.t, turn.person.telegram_id
    assert query is not None
    if action == "offer":
        outcome = await request_queue.offer_to(turn.rt, target, peer_id, actor)
    else:
        outcome = await request_queue.reassign(turn.rt, target, peer_id, actor)
    if outcome is OfferOutcome.STALE:
        await query.answer(t._("That button is no longer valid."))
        return
    if outcome is not OfferOutcome.OFFERED:
        await query.answer(t._(OFFER_ANSWERS[outcome]))
        return
    await query.answer()
    profile = await peers.profile_for_staff(turn.rt, turn.actor, peer_id)
    await query.edit_message_text(
        t._(
            "Offered to {name}. They have {minutes} minutes to answer; if they say no, "
            "the request goes on to other peers as usual.",
            name=profile.pseudonym if profile and profile.pseudonym else "-",
            minutes=turn.rt.config.offer_timeout_minutes,
        )
    )


async def _close(turn: Turn, request_id: int, reason: CloseReason) -> None:
    query, t = turn.update.callback_query, turn.t
    assert query is not None
    if not await request_queue.close(turn.rt, request_id, reason, turn.person.telegram_id):
        await query.answer(t._("That button is no longer valid."))
        return
    await query.answer()
    await query.edit_message_text(
        t._(
            "Request #{number} is closed ({reason}).",
            number=request_id,
            reason=t._(CLOSE_LABELS[reason]),
        )
    )


async def _show(turn: Turn, action: str, request_id: int) -> None:
    """A request's card (new or in place), the peers to choose from, or the close reasons."""
    query, t = turn.update.callback_query, turn.t
    assert query is not None
    item = await request_queue.item(turn.rt, request_id)
    if item is None:
        await query.answer(t._("That button is no longer valid."))
        return
    await query.answer()
    if action == "open":
        text, markup = _card(turn, item)
        await turn.context.bot.send_message(turn.chat_id, text, reply_markup=markup)
        return
    if action == "card":
        text, markup = _card(turn, item)
    elif action == "pick":
        text, markup = await _choices(turn, item)
    else:
        text = t._(
            "Why is #{number} being closed? The citizen gets a short, kind message, never "
            "the reason.",
            number=request_id,
        )
        markup = _close_reasons(t, request_id)
    await query.edit_message_text(text, reply_markup=markup)


# Peers ------------------------------------------------------------------------------------------


def _peer_state(t: Translator, profile: PeerProfile, undertaking_version: int) -> str:
    state = {
        PeerStatus.ONBOARDING: t._("filling in profile"),
        PeerStatus.PENDING: t._("waits for approval"),
        PeerStatus.APPROVED: t._("approved"),
        PeerStatus.PAUSED: t._("paused"),
        PeerStatus.REMOVED: t._("removed"),
    }[profile.status]
    if profile.away:
        state += ", " + t._("away")
    if profile.undertaking_version != undertaking_version:
        state += ", " + t._("has not accepted the current undertaking (no offers)")
    return state


async def _peer_line(turn: Turn, profile: PeerProfile) -> str:
    t = turn.t
    heavy = await peer_care.heavy_this_week(turn.rt, profile.user_id)
    line = t._(
        "{name}: {state}, {active} of {capacity} contacts, {heavy} heavy this week",
        name=profile.pseudonym or "-",
        state=_peer_state(t, profile, turn.rt.config.undertaking_version),
        active=profile.active_contacts,
        capacity=profile.capacity,
        heavy=heavy,
    )
    last = (
        t._("last active {time}", time=t.datetime(profile.last_active_at))
        if profile.last_active_at
        else t._("not active yet")
    )
    return f"{line}; {last}"


async def _peers_view(turn: Turn, page: int = 0) -> tuple[str, InlineKeyboardMarkup | None]:
    t = turn.t
    profiles = await peers.roster(turn.rt, turn.actor)
    if not profiles:
        return t._("No peers yet. /invite makes a link."), None
    # Those waiting for approval first: someone is waiting on us.
    profiles.sort(key=lambda p: (p.status is not PeerStatus.PENDING, (p.pseudonym or "").lower()))
    page = min(page, (len(profiles) - 1) // PAGE)
    shown = profiles[page * PAGE : (page + 1) * PAGE]
    lines = [t._("Peers:")] + [await _peer_line(turn, p) for p in shown]
    opens = [button(p.pseudonym or "-", f"pa:open:{p.user_id}") for p in shown]
    rows = [opens[n : n + 3] for n in range(0, len(opens), 3)]
    rows += _pager(t, page, len(profiles), "pa:list:{}")
    return _fit(lines), InlineKeyboardMarkup(rows)


@coordinator_action
async def peers_command(update: Update, context: Context) -> None:
    """Lists peers with status, load and last activity; each opens a card with its actions."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    text, markup = await _peers_view(turn)
    await context.bot.send_message(turn.chat_id, text, reply_markup=markup)


async def _peer_card(turn: Turn, profile: PeerProfile) -> tuple[str, InlineKeyboardMarkup]:
    t, uid = turn.t, profile.user_id
    text = "\n".join(
        [
            await _peer_line(turn, profile),
            t._(
                "Topics: {topics}",
                topics=", ".join(labels.topic(t, c) for c in sorted(profile.topics)) or "-",
            ),
            t._(
                "Languages: {languages}",
                languages=", ".join(labels.language(c) for c in sorted(profile.languages)) or "-",
            ),
        ]
    )
    actions = []
    if profile.status is PeerStatus.PENDING:
        actions.append(button(t._("Approve"), f"peer:approve:{uid}"))
    if profile.status is PeerStatus.APPROVED:
        actions.append(button(t._("Pause"), f"pa:pause:{uid}"))
    if profile.status is PeerStatus.PAUSED:
        actions.append(button(t._("Resume"), f"pa:resume:{uid}"))
    rows = [actions] if actions else []
    if profile.status is not PeerStatus.REMOVED:
        rows.append([button(t._("Remove…"), f"pa:rm:{uid}")])
    return text, InlineKeyboardMarkup(rows)


def _confirm_removal(t: Translator, profile: PeerProfile) -> tuple[str, InlineKeyboardMarkup]:
    text = t.ngettext(
        "Remove {name} as a peer? It takes effect at once: their open offers are "
        "withdrawn and their {n} contact goes to another peer (or to you when "
        "nobody is free). Everyone is told neutrally, never why.",
        "Remove {name} as a peer? It takes effect at once: their open offers are "
        "withdrawn and their {n} contacts go to other peers (or to you when "
        "nobody is free). Everyone is told neutrally, never why.",
        profile.active_contacts,
        name=profile.pseudonym or "-",
    )
    uid = profile.user_id
    markup = InlineKeyboardMarkup(
        [
            [button(t._("Yes, remove"), f"pa:rmok:{uid}")],
            [button(t._("Back"), f"pa:card:{uid}")],
        ]
    )
    return text, markup


@coordinator_action
async def peers_button(update: Update, context: Context) -> None:
    """Opens a peer's card, and pauses, resumes or (after confirming) removes them."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    query = update.callback_query
    assert query is not None
    t = turn.t
    invalid = t._("That button is no longer valid.")
    parsed = action_and_id(query.data, PEER_ACTIONS)
    if parsed is None:
        await query.answer(invalid)
        return
    action, item_id = parsed
    if action == "list":
        await query.answer()
        text, markup = await _peers_view(turn, item_id)
        await query.edit_message_text(text, reply_markup=markup)
        return
    uid, actor = item_id, turn.person.telegram_id
    profile = await peers.profile_for_staff(turn.rt, turn.actor, uid)
    if profile is None or profile.status is PeerStatus.REMOVED:
        await query.answer(invalid)
        return
    if action in {"open", "card", "rm"}:
        await query.answer()
        if action == "rm":
            text, markup = _confirm_removal(t, profile)
        else:
            text, markup = await _peer_card(turn, profile)
        if action == "open":
            await context.bot.send_message(turn.chat_id, text, reply_markup=markup)
        else:
            await query.edit_message_text(text, reply_markup=markup)
        return
    service = {"pause": peers.pause, "resume": peers.resume, "rmok": peers.revoke}[action]
    if await service(turn.rt, uid, actor) is None:
        await query.answer(invalid)
        return
    await query.answer()
    name = profile.pseudonym or "-"
    done = {
        "pause": t._("{name} gets no new offers now; their contacts go on.", name=name),
        "resume": t._("{name} gets offers again.", name=name),
        "rmok": t._("{name} is no longer a peer. Their contacts have been passed on.", name=name),
    }[action]
    await query.edit_message_text(done)
    await sync_menu(context.bot, turn.rt, profile.telegram_id)


# Broadcast --------------------------------------------------------------------------------------


@coordinator_action
async def broadcast_command(update: Update, context: Context) -> None:
    """Shows the message and how many peers will get it, with Send and Cancel."""
    turn = await coordinator_turn(update, context)
    if turn is None or update.effective_message is None:
        return
    t, actor = turn.t, turn.person.telegram_id
    text = COMMAND.sub("", update.effective_message.text or "", count=1)
    next_at = await broadcast.next_allowed(turn.rt, turn.rt.storage, actor)
    if next_at is not None:
        await context.bot.send_message(
            turn.chat_id,
            t._("You can send the next broadcast at {time}.", time=t.datetime(next_at)),
        )
        return
    try:
        draft = await broadcast.prepare(turn.rt, actor, text)
    except UserInputError as exc:
        await context.bot.send_message(turn.chat_id, t._(exc.message))
        return
    if draft.recipients == 0:
        await context.bot.send_message(turn.chat_id, t._("There are no approved peers yet."))
        return
    preview = t.ngettext("This goes to {n} peer:", "This goes to {n} peers:", draft.recipients)
    markup = InlineKeyboardMarkup(
        [
            [
                button(
                    t.ngettext("Send to {n} peer", "Send to {n} peers", draft.recipients),
                    f"bc:send:{draft.id}",
                ),
                button(t._("Cancel"), f"bc:no:{draft.id}"),
            ]
        ]
    )
    await context.bot.send_message(turn.chat_id, f"{preview}\n\n{draft.text}", reply_markup=markup)


@coordinator_action
async def broadcast_button(update: Update, context: Context) -> None:
    """Sends the author's confirmed broadcast once, or cancels it."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    query = update.callback_query
    assert query is not None
    t = turn.t
    parsed = action_and_id(query.data, {"send", "no"})
    if parsed is None:
        await query.answer(t._("That button is no longer valid."))
        return
    action, item_id = parsed
    actor = turn.person.telegram_id
    if action == "no":
        if not await broadcast.cancel(turn.rt, item_id, actor):
            await query.answer(t._("That button is no longer valid."))
            return
        await query.answer()
        await query.edit_message_text(t._("Not sent."))
        return
    result = await broadcast.send(turn.rt, item_id, actor)
    if result.outcome is SendOutcome.STALE:
        await query.answer(t._("That button is no longer valid."))
        return
    if result.outcome is SendOutcome.TOO_SOON:
        assert result.next_at is not None
        await query.answer(
            t._("You can send the next broadcast at {time}.", time=t.datetime(result.next_at))
        )
        return
    if result.outcome is SendOutcome.NOBODY:
        await query.answer(t._("There are no approved peers yet."))
        return
    await query.answer()
    await query.edit_message_text(
        t.ngettext("Sent to {n} peer.", "Sent to {n} peers.", result.recipients)
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("queue", queue_command))
    application.add_handler(CommandHandler("peers", peers_command))
    application.add_handler(CommandHandler("broadcast", broadcast_command))
    application.add_handler(CallbackQueryHandler(queue_button, pattern=r"^q:"))
    application.add_handler(CallbackQueryHandler(peers_button, pattern=r"^pa:"))
    application.add_handler(CallbackQueryHandler(broadcast_button, pattern=r"^bc:"))
