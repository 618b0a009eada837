"""Each person's "/" menu shows the commands of their role(s), and ending a contact is findable."""

from dataclasses import replace
from typing import Any

from bot.services import menus
from handlers import registry
from tests.helpers.flows import coordinator, in_contact, make_peer, press
from tests.helpers.harness import COORDINATOR, Harness

ADMIN = 9100


async def menu_of(h: Harness, chat_id: int | None = None, language: str | None = None) -> list[str]:
    """The commands Telegram shows in this chat's "/" menu (its own scope, else the default)."""
    params: dict[str, Any] = {"scope": {"type": "chat", "chat_id": chat_id}} if chat_id else {}
    if language:
        params["language_code"] = language
    own = (await h.fake.call("getMyCommands", params))["result"]
    if own or chat_id is None:
        return [item["command"] for item in own]
    return await menu_of(h, None, language)


async def test_every_menu_command_is_a_command_the_bot_has(harness: Harness) -> None:
    known = registry.commands(harness.app)
    for menu, commands in menus.COMMANDS.items():
        assert {name for name, _ in commands} <= known, menu


async def test_the_citizen_menu_has_end_and_no_staff_commands(harness: Harness) -> None:
    h = harness
    for language in (None, "da", "en"):
        commands = await menu_of(h, None, language)
        assert "end" in commands and "help_now" in commands
        assert not {"queue", "roles", "mycontacts"} & set(commands)


async def test_a_coordinator_gets_their_menu_and_start_shows_their_tools(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    commands = await menu_of(h, COORDINATOR)
    assert "queue" in commands and "escalations" in commands
    assert "status" not in commands and "start" not in commands
    assert coco.texts[-1].startswith("Hello. You are staff here")
    assert "Talk to a peer" not in str(coco.last_message.get("reply_markup"))


async def test_a_peer_gets_the_peer_menu_once_approved(harness: Harness) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    commands = await menu_of(h, peer.id)
    assert "mycontacts" in commands and "end" in commands and "available" in commands
    assert "queue" not in commands
    # Removed, the person goes back to the default menu.
    coco = h.user(COORDINATOR)
    coco.send_text("/peers")
    await h.settle()
    await press(h, coco, "Maja", "Remove", "Yes, remove")
    assert await menu_of(h, peer.id) == await menu_of(h, None)


async def test_roles_combine_and_follow_every_change(harness: Harness) -> None:
    h = harness
    h.config = replace(h.config, administrator_ids=(ADMIN,))
    await h.restart()
    admin = await coordinator(h, ADMIN, "Alma")
    commands = await menu_of(h, ADMIN)
    assert {"roles", "addcoordinator"} <= set(commands)
    assert "queue" not in commands  # an administrator only, not a coordinator
    newcomer = h.user(5555, "Kim", language="en")
    newcomer.send_text("/start")
    await h.settle()
    assert await menu_of(h, 5555) == await menu_of(h, None)
    admin.send_text("/addcoordinator 5555")
    await h.settle()
    assert "queue" in await menu_of(h, 5555)
    admin.send_text("/addcoordinator 9100")
    await h.settle()
    combined = await menu_of(h, ADMIN)
    assert "queue" in combined and "roles" in combined
    assert len(combined) == len(set(combined))  # each command once
    admin.send_text("/removecoordinator 5555")
    await h.settle()
    assert await menu_of(h, 5555) == await menu_of(h, None)


async def test_menus_are_brought_up_to_date_at_start(harness: Harness) -> None:
    """Peers approved before menus existed get theirs when the bot starts."""
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    await h.rt.storage.execute("DELETE FROM command_menus")
    await h.fake.call("deleteMyCommands", {"scope": {"type": "chat", "chat_id": peer.id}})
    await h.restart()
    assert h.rt.menus_task is not None
    await h.rt.menus_task
    assert "mycontacts" in await menu_of(h, peer.id)


async def test_the_yes_message_and_status_say_how_to_end_with_a_button(harness: Harness) -> None:
    h = harness
    _, citizen = await in_contact(h)
    said_yes = next(text for text in citizen.texts if text.startswith("Good news"))
    assert "/end or the button below ends the contact" in said_yes
    citizen.send_text("/status")
    await h.settle()
    assert "/end or the button below ends the contact" in citizen.texts[-1]
    await press(h, citizen, "End the contact", "Yes, end it")
    citizen.send_text("/status")
    await h.settle()
    assert "You are in contact" not in citizen.texts[-1]
    row = await h.rt.storage.fetchone("SELECT status FROM contacts")
    assert row["status"] == "ended"
