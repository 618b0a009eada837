"""Done-when of "every message reaches exactly the person it was meant for": a generated attack.

Every button prefix and every command the application has registered (read from its handlers,
so buttons added later are covered without touching this file) is pressed or sent by each kind
of wrong actor, with valid, stale, replayed and malformed ids. Nothing may change in the
database and nothing may be delivered to anyone but the actor's own chat.

Ids come from the buttons the bot really showed the people of one contact (a citizen, their
peer, the coordinator and the coordinators' group): valid for them, wrong for everyone else;
stale ones from a contact that ended and an alert that was taken; malformed ones are made up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from bot.fakebot import FakeChat, FakeUser
from bot.services import menus
from bot.services.menus import Menu
from handlers import registry
from handlers.base import is_coordinator_action
from tests.helpers.flows import ask_for_peer, coordinator, make_peer, press
from tests.helpers.harness import Harness

ADMIN = 9100
GROUP = -100200
MIGRATED = -100300

# Buttons that act on the presser's own data by design, whoever they are: asking for urgent
# help, starting or answering one's own intake, choosing one's language, reading the privacy
# text, erasing one's own data. In a private chat they are not "wrong actor" cases; in any group
# they are (there the bot must do nothing at all), so the group actors still press them.
OWN_BUTTONS = {"urgent:now", "citizen:ask", "citizen:privacy", "consent:yes", "consent:no"}
OWN_BUTTON_PREFIXES = ("lang:", "age:", "intake:", "onb:", "cis:", "del:")
# Commands are the actor's own when their role's "/" menu offers them (a citizen's /status, a
# peer's /profile) and the dialogue commands /request and /cancel; every other command is a
# wrong-actor case for them (a citizen's /queue, a removed peer's /profile).
OWN_COMMANDS = {"request", "cancel"}

# Tables that change on every update whoever sends it, and hold nothing a wrong actor could
# reach: the raw update inbox (written before handling, see DESIGN "Inbox before
# acknowledgement") and the numbers of handled updates (so that a repeat is not handled twice),
# the message ids kept for the actor's own /forget, the command menu of the actor's own chat,
# and the bot's facts about itself (e.g. when Telegram last answered).
BOOKKEEPING = {"inbox", "inbox_seen", "recent_messages", "command_menus", "meta"}

SENDS = re.compile(r"^(send|copy|forward|edit|delete|pin|set|leave)", re.IGNORECASE)


@dataclass
class Actor:
    name: str
    user: FakeUser
    menus: tuple[Menu, ...] = (Menu.CITIZEN,)
    # A chat the actor acts in other than their private chat: each action gets a fresh one
    # (`group_chat`) for ordinary groups, which the bot leaves after one sentence.
    in_group: str | None = None


async def snapshot(h: Harness) -> dict[str, list[tuple[Any, ...]]]:
    db = h.rt.storage
    tables = [
        row[0]
        for row in await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        table: [tuple(row) for row in await db.fetchall(f"SELECT * FROM {table} ORDER BY 1")]
        for table in sorted(tables)
        if table not in BOOKKEEPING
    }


def harvest(chats: list[FakeUser | FakeChat]) -> list[str]:
    """Every callback_data the bot ever showed in these chats (as sent, before later edits)."""
    found: dict[str, None] = {}
    for chat in chats:
        for message in chat.messages:
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if "callback_data" in button:
                        found[button["callback_data"]] = None
    return list(found)


def malformed(prefix: str) -> list[str]:
    """Made-up data: an id no row has, other scripts' digits, and a number beyond 64 bits."""
    base = prefix if prefix.endswith(":") else prefix + ":"
    return [base + "999999", base + "٣", base + "ack:１２", base + "1:" + str(2**64)]


def own(data: str) -> bool:
    return data in OWN_BUTTONS or data.startswith(OWN_BUTTON_PREFIXES)


async def build_world(h: Harness) -> dict[str, Any]:
    """One contact with an alert (the victims), and every kind of wrong actor."""
    h.config = replace(h.config, administrator_ids=(ADMIN,), coordinator_group_id=GROUP)
    await h.restart()
    coco = await coordinator(h)
    admin = await coordinator(h, ADMIN, "Alma")
    group = h.fake.group(GROUP, "Koordinatorer")
    gitte = h.user(9200, "Gitte", language="en")
    group.add_member(gitte)
    maja = await make_peer(h, 2001, "Maja")
    ada = h.user(1001, "Ada", language="en")
    await ask_for_peer(h, ada)
    maja.press_button("Accept")
    await h.settle()
    # A second contact of the same peer that ends: its buttons go stale.
    cleo = h.user(1003, "Cleo", language="en")
    await ask_for_peer(h, cleo)
    maja.press_button("Accept")
    await h.settle()
    # Both write, then Maja writes without replying: she is asked whom it is for, so her
    # "Send it to ..." buttons (relay:to, one of them stale once Cleo's contact ends) are among
    # the valid ids the wrong actors press.
    ada.send_text("hello from Ada")
    cleo.send_text("hello from Cleo")
    await h.settle()
    maja.send_text("hello, both of you")
    await h.settle()
    assert "Who is this message for?" in maja.texts[-1]
    cleo.send_text("/end")
    await h.settle()
    await press(h, cleo, "End contact with", "Yes, end it")
    # Ada asks for help twice: one alert is taken (stale for others), one is open.
    ada.send_text("/help_now")
    await h.settle()
    coco.press_button("I'm handling it")
    await h.settle()
    h.clock.advance(timedelta(minutes=31))
    ada.send_text("/help_now")
    await h.settle()
    maja.send_text("/checkin")
    await h.settle()
    await press(h, maja, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    maja.send_text("/mycontacts")
    await h.settle()
    coco.send_text("/queue")
    await h.settle()
    coco.send_text("/peers")
    await h.settle()
    # The wrong actors.
    jonas = await make_peer(h, 2002, "Jonas")
    bo = h.user(1002, "Bo", language="en")
    await ask_for_peer(h, bo)
    jonas.press_button("Accept")
    await h.settle()
    ended = await make_peer(h, 2003, "Ebbe")
    dina = h.user(1004, "Dina", language="en")
    await ask_for_peer(h, dina)
    ended.press_button("Accept")
    await h.settle()
    ended.send_text("/end")
    await h.settle()
    await press(h, ended, "End contact with", "Yes, end it")
    removed = await make_peer(h, 2004, "Rasmus")
    paused = await make_peer(h, 2005, "Pia")
    for name, action in (("Rasmus", ("Remove", "Yes, remove")), ("Pia", ("Pause",))):
        coco.send_text("/peers")
        await h.settle()
        await press(h, coco, name, *action)
    former = h.user(9500, "Frede", language="en")
    former.send_text("/start")
    await h.settle()
    admin.send_text("/addcoordinator 9500")
    await h.settle()
    admin.send_text("/removecoordinator 9500")
    await h.settle()
    stranger = h.user(3001, "Kim", language="en")
    stranger.send_text("/start")
    await h.settle()
    member = h.user(3002, "Lis", language="en")
    victims: list[FakeUser | FakeChat] = [ada, cleo, maja, coco, group]
    data = harvest(victims)
    supergroup = group.migrate_to_supergroup(MIGRATED)
    await h.settle()
    actors = [
        Actor("stranger", stranger),
        Actor("other citizen", bo),
        Actor("peer of another contact", jonas, (Menu.CITIZEN, Menu.PEER)),
        Actor("ended peer", ended, (Menu.CITIZEN, Menu.PEER)),
        Actor("removed peer", removed),
        Actor("paused peer", paused, (Menu.CITIZEN, Menu.PEER)),
        Actor("removed coordinator", former),
        Actor("member of an ordinary group", member, in_group="ordinary"),
        Actor("a chat in a migrated group", gitte, in_group="migrated"),
    ]
    return {"data": data, "actors": actors, "supergroup": supergroup}


def cases(h: Harness, harvested: list[str], actor: Actor) -> tuple[list[str], list[str]]:
    """(button data, commands) this actor tries, generated from the registered handlers."""
    assert h.app is not None
    prefixes = registry.button_prefixes(h.app)
    coordinator_prefixes = {
        prefix
        for handler in registry.every_handler(h.app)
        if is_coordinator_action(handler.callback)
        for prefix in registry.button_prefixes_of(handler)
    }
    buttons: list[str] = []
    for prefix in sorted(prefixes):
        valid = [d for d in harvested if d.startswith(prefix)]
        made_up = malformed(prefix)
        if actor.in_group == "migrated" and prefix in coordinator_prefixes:
            valid = []  # coordinators' work is what this group is for; only stale and malformed
        tried = [*valid, *valid, *made_up]  # each valid one twice: replayed
        if actor.in_group is None:
            tried = [d for d in tried if not own(d)]
        buttons += tried
    commands = sorted(registry.commands(h.app))
    if actor.in_group is None:
        own_commands = OWN_COMMANDS | {c for m in actor.menus for c, _ in menus.COMMANDS[m]}
        commands = [c for c in commands if c not in own_commands]
    if actor.in_group == "migrated":
        coordinator_commands = {
            command
            for handler in registry.every_handler(h.app)
            if is_coordinator_action(handler.callback)
            for command in getattr(handler, "commands", ())
        }
        commands = [c for c in commands if c not in coordinator_commands]
    return buttons, commands


def deliveries(h: Harness, since: int) -> list[tuple[str, Any]]:
    """(method, chat) of everything the bot sent or changed in a chat after call `since`."""
    found = []
    for call in h.fake.calls[since:]:
        if not SENDS.match(call.method) or not call.ok:
            continue
        scope = call.params.get("scope")
        chat = call.params.get("chat_id", scope.get("chat_id") if isinstance(scope, dict) else None)
        found.append((call.method, chat))
    return found


async def test_no_wrong_actor_changes_anything_or_reaches_anyone(harness: Harness) -> None:
    h = harness
    world = await build_world(h)
    harvested: list[str] = world["data"]
    supergroup: FakeChat = world["supergroup"]
    assert h.app is not None
    prefixes = registry.button_prefixes(h.app)
    covered: set[str] = set()
    sent: set[str] = set()
    group_number = 0
    baseline = await snapshot(h)
    for actor in world["actors"]:
        buttons, commands = cases(h, harvested, actor)
        covered |= {p for p in prefixes if any(b.startswith(p) for b in buttons)}
        sent |= set(commands)
        since = len(h.fake.calls)
        allowed: set[Any] = {actor.user.id}
        for kind, value in [("press", b) for b in buttons] + [("send", c) for c in commands]:
            chat: FakeChat | None = None
            if actor.in_group == "ordinary":
                group_number += 1
                chat = h.fake.group(-5000 - group_number, f"Group {group_number}")
                chat.add_member(actor.user)
            elif actor.in_group == "migrated":
                chat = supergroup
            if chat is not None:
                allowed.add(chat.chat_id)
            if kind == "press":
                view = chat or actor.user
                last = view.last_message
                message_id = last["message_id"] if last else 1
                actor.user.press(message_id, value, forge=True, chat=chat)
            else:
                actor.user.send_text(f"/{value}", chat=chat)
            await h.settle()
            if chat is not None and actor.in_group == "ordinary":
                assert chat.bot_left, (actor.name, value)
        assert await snapshot(h) == baseline, actor.name
        elsewhere = [(m, c) for m, c in deliveries(h, since) if c not in allowed]
        assert elsewhere == [], actor.name
    assert h.fake.unanswered_queries() == []
    # Every registered button prefix was pressed, and every command sent, by some wrong actor.
    assert covered == prefixes, prefixes - covered
    assert sent == registry.commands(h.app)
    # Valid "Send it to ..." ids were among them, not only made-up ones.
    assert sum(d.startswith("relay:to:") for d in harvested) == 2


@pytest.mark.parametrize("prefix", ["esc:", "peer:approve:", "urgent:now"])
async def test_the_generator_sees_the_registered_prefixes(harness: Harness, prefix: str) -> None:
    assert prefix in registry.button_prefixes(harness.app)
