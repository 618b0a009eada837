"""Communities and activities: a peer shares one in a contact, a citizen browses, saves and is
asked later (only if they agree) whether they got to try it.

/communities    a peer in a contact: choose one to share; anyone else: browse the list

Callback data (``com:<action>:...``; ``<c>`` is a contact id, or 0 while browsing):

- ``com:pick:<c>``, ``com:pall:<c>``: the peer's choice for contact c (fitting, or all)
- ``com:sh:<c>:<key>``: the peer shares activity ``key`` in their active contact c
- ``com:list:<c>``, ``com:all:<c>``: the citizen's list (fitting, or all)
- ``com:see:<c>:<key>``, ``com:sv:<c>:<key>``: one activity's card; save it
- ``com:fy:<c>:<key>``, ``com:fn:<c>:<key>``: yes or no to a follow-up
- ``com:rm:<saved id>``: take a saved activity off the list
- ``com:ans:<follow-up id>:<y|w|n>``: the answer to "Did you get to try ...?"

A contact in the data must be the presser's own; every check is in `bot.services.communities`.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.delivery.notices import Buttons
from bot.services import communities
from bot.services.communities import Listing, Saved
from handlers.base import Context, Turn, begin, edit_pressed
from handlers.keyboards import button, callback_parts, parse_id

log = logging.getLogger(__name__)
STAR = "★ "


def _markup(rows: Buttons) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(label, data) for label, data in row] for row in rows])


def _list_text(turn: Turn, listing: Listing) -> str:
    t = turn.t
    if not listing.items:
        return t._("The organisation has not listed any communities or activities yet.")
    lines = [
        t._(
            "Communities and activities: places to meet others, do something together, or "
            "just be among people. Join when it suits you; there is no pressure."
        )
    ]
    if listing.fallback:
        lines.append(
            t._("None matches your topic and language exactly, so here is the whole list.")
        )
    if listing.saved:
        lines.append(t._("★ marks those on your list."))
    return "\n\n".join(lines)


def _list_rows(turn: Turn, listing: Listing, contact_id: int) -> list[list[InlineKeyboardButton]]:
    rows = [
        [
            button(
                (STAR if item.key in listing.saved else "") + communities.text(turn.t, item.name),
                f"com:see:{contact_id}:{item.key}",
            )
        ]
        for item in listing.items
    ]
    if listing.more:
        rows.append([button(turn.t._("Show all"), f"com:all:{contact_id}")])
    return rows


async def _show_list(turn: Turn, contact_id: int, *, show_all: bool, edit: bool) -> None:
    if contact_id == 0:  # browsing: during a contact, what is saved counts for it
        contact_id = await communities.own_peer_contact_id(turn.rt, turn.person.user)
    listing = await communities.listing_for_citizen(
        turn.rt, turn.person.user, turn.person.language, show_all=show_all
    )
    rows = _list_rows(turn, listing, contact_id)
    markup = InlineKeyboardMarkup(rows) if rows else None
    if edit:
        await edit_pressed(turn, _list_text(turn, listing), markup)
    else:
        await turn.context.bot.send_message(
            turn.chat_id, _list_text(turn, listing), reply_markup=markup
        )


async def _show_picker(turn: Turn, contact_id: int, *, show_all: bool, edit: bool) -> bool:
    """The peer's choice of activities for one of their active contacts."""
    contact = await communities.peer_contact(turn.rt, turn.person.user, contact_id)
    if contact is None:
        return False
    listing = await communities.listing_for_contact(turn.rt, contact, show_all=show_all)
    t = turn.t
    if not listing.items:
        text = t._("The organisation has not listed any communities or activities yet.")
    else:
        text = t._(
            "Share a community or activity with {name}. They get its description and can save "
            "it; nothing is stored about them unless they choose to.",
            name=contact.citizen_name,
        )
        if listing.fallback:
            text += "\n\n" + t._(
                "None matches their topic and language exactly, so here is the whole list."
            )
        elif not show_all:
            text += "\n\n" + t._("These fit their topic and language.")
    rows = [
        [button(communities.text(t, item.name), f"com:sh:{contact.id}:{item.key}")]
        for item in listing.items
    ]
    if listing.more:
        rows.append([button(t._("Show all"), f"com:pall:{contact.id}")])
    markup = InlineKeyboardMarkup(rows) if rows else None
    if edit:
        await edit_pressed(turn, text, markup)
    else:
        await turn.context.bot.send_message(turn.chat_id, text, reply_markup=markup)
    return True


async def communities_command(update: Update, context: Context) -> None:
    """Shows a peer in a contact what to share; anyone else the list to browse."""
    turn = await begin(update, context)
    contacts = await communities.active_peer_contacts(turn.rt, turn.person.user)
    if len(contacts) == 1:
        await _show_picker(turn, contacts[0].id, show_all=False, edit=False)
        return
    if contacts:
        rows = [[button(c.citizen_name, f"com:pick:{c.id}")] for c in contacts]
        await context.bot.send_message(
            turn.chat_id,
            turn.t._("With whom do you want to share a community or activity?"),
            reply_markup=InlineKeyboardMarkup(rows),
        )
        return
    contact_id = await communities.own_peer_contact_id(turn.rt, turn.person.user)
    await _show_list(turn, contact_id, show_all=False, edit=False)


async def _card(turn: Turn, contact_id: int, key: str) -> bool:
    """One activity, with Save (or Remove when it is on the list) and Back."""
    community = communities.by_key(turn.rt.config, key)
    if (
        community is None
        or await communities.citizen_contact(turn.rt, turn.person.user, contact_id) is False
    ):
        return False
    listing = await communities.listing_for_citizen(
        turn.rt, turn.person.user, turn.person.language, show_all=True
    )
    t = turn.t
    saved_id = listing.saved.get(key)
    first = (
        (t._("Remove from my list"), f"com:rm:{saved_id}")
        if saved_id is not None
        else (t._("Save it on my list"), f"com:sv:{contact_id}:{key}")
    )
    rows = ((first,), ((t._("Back to the list"), f"com:list:{contact_id}"),))
    await edit_pressed(turn, communities.card(t, community), _markup(rows))
    return True


async def _saved(turn: Turn, contact_id: int, key: str) -> bool:
    result = await communities.save(turn.rt, turn.person.user, contact_id, key)
    query = turn.update.callback_query
    assert query is not None
    t = turn.t
    if result is Saved.INVALID:
        return False
    if result is Saved.NEEDS_CONSENT:
        await query.answer(
            t._(
                "I can keep a list for you once you have agreed to how we store data "
                "(/start, then Talk to a peer). The activity is open to you anyway."
            ),
            show_alert=True,
        )
        return True
    if result is Saved.ALREADY:
        await query.answer(t._("It is already on your list."))
        return True
    await query.answer(t._("Saved on your list."))
    community = communities.by_key(turn.rt.config, key)
    assert community is not None
    text = "\n\n".join(
        [
            communities.card(t, community),
            t._("Saved on your list: /communities shows it."),
            communities.consent_text(t),
        ]
    )
    rows = (
        *communities.consent_buttons(t, contact_id, key),
        ((t._("Back to the list"), f"com:list:{contact_id}"),),
    )
    await edit_pressed(turn, text, _markup(rows))
    return True


async def _followup_yes(turn: Turn, contact_id: int, key: str) -> bool:
    agreed = await communities.agree_followup(turn.rt, turn.person.user, contact_id, key)
    query = turn.update.callback_query
    assert query is not None
    if agreed is None:
        return False
    if not agreed:
        await query.answer(turn.t._("I will already ask you about this one."))
        return True
    await query.answer()
    await edit_pressed(
        turn,
        turn.t._(
            "Good, I will ask you in about three weeks. Until then I keep which activity it is "
            "and when to ask; afterwards only your answer. /delete removes it all."
        ),
    )
    return True


async def _followup_no(turn: Turn, contact_id: int, key: str) -> bool:
    if not await communities.decline_followup(turn.rt, turn.person.user, contact_id, key):
        return False
    query = turn.update.callback_query
    assert query is not None
    await query.answer()
    await edit_pressed(
        turn, turn.t._("That is fine: I will not ask. /communities shows the list any time.")
    )
    return True


async def _answered(turn: Turn, followup_id: int, code: str) -> bool:
    chosen = await communities.answer(turn.rt, turn.person.user, followup_id, code)
    if chosen is None:
        return False
    t = turn.t
    replies = {
        "yes": t._(
            "How good that you tried it. Thank you for telling me. I keep only your answer, "
            "not which activity it was."
        ),
        "not_yet": t._(
            "That is fine: there is no hurry. It is there when you are ready, and "
            "/communities shows the list any time. I keep only your answer."
        ),
        "not_for_me": t._(
            "Thank you for saying so: not everything suits everyone. /communities shows the "
            "rest of the list whenever you like. I keep only your answer."
        ),
    }
    query = turn.update.callback_query
    assert query is not None
    await query.answer()
    await edit_pressed(turn, replies[chosen])
    return True


async def _shared(turn: Turn, contact_id: int, key: str) -> bool:
    community = await communities.share(turn.rt, turn.person.user, contact_id, key)
    if community is None:
        return False
    query = turn.update.callback_query
    assert query is not None
    await query.answer()
    await edit_pressed(
        turn,
        turn.t._(
            "I have sent them {name}. They can save it and choose whether I ask them later how "
            "it went; you are not told their answer.",
            name=communities.text(turn.t, community.name),
        ),
    )
    return True


async def _removed(turn: Turn, saved_id: int) -> bool:
    if not await communities.remove(turn.rt, turn.person.user, saved_id):
        return False
    query = turn.update.callback_query
    assert query is not None
    await query.answer()
    await edit_pressed(
        turn,
        turn.t._("Removed from your list."),
        _markup((((turn.t._("Back to the list"), "com:list:0"),),)),
    )
    return True


async def communities_button(update: Update, context: Context) -> None:
    """Every ``com:`` button: parse, let the service check who may, render."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    _, action, raw_id, extra = callback_parts(query.data, 4)
    item_id = parse_id(raw_id)
    handled = False
    if item_id is not None:
        if action in ("list", "all"):
            if await communities.citizen_contact(turn.rt, turn.person.user, item_id) is not False:
                await query.answer()
                await _show_list(turn, item_id, show_all=action == "all", edit=True)
                handled = True
        elif action in ("pick", "pall"):
            handled = await _show_picker(turn, item_id, show_all=action == "pall", edit=True)
            if handled:
                await query.answer()
        elif action == "see":
            handled = await _card(turn, item_id, extra)
            if handled:
                await query.answer()
        elif action == "sh":
            handled = await _shared(turn, item_id, extra)
        elif action == "sv":
            handled = await _saved(turn, item_id, extra)
        elif action == "fy":
            handled = await _followup_yes(turn, item_id, extra)
        elif action == "fn":
            handled = await _followup_no(turn, item_id, extra)
        elif action == "rm":
            handled = await _removed(turn, item_id)
        elif action == "ans":
            handled = await _answered(turn, item_id, extra)
    if not handled:
        log.info("refused community button (update %s)", update.update_id)
        await query.answer(turn.t._("That button is no longer valid."))


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("communities", communities_command, private))
    application.add_handler(CallbackQueryHandler(communities_button, pattern=r"^com:"))
