"""Each person's command menu: the citizens' by default, their roles' combined otherwise, and
changed only when the role or the language changes."""

from __future__ import annotations

from dataclasses import replace

from bot.runtime import Runtime
from bot.services import menus, peers, people, roles
from bot.services.menus import Menu
from tests.helpers.harness import COORDINATOR
from tests.services import given
from tests.services.given import CITIZEN, PEER


async def test_a_citizen_has_the_default_menu_and_nothing_is_kept(rt: Runtime) -> None:
    await given.citizen(rt, CITIZEN, "da")
    menu, changed = await menus.change_needed(rt, CITIZEN)
    assert menu.key is None and menu.commands == menus.COMMANDS[Menu.CITIZEN]
    assert not changed  # the default needs no chat menu


async def test_a_peer_gets_the_peer_menu_only_once_approved(rt: Runtime) -> None:
    pending = await given.peer(rt, PEER, approve=False)
    assert await menus.menus_of(rt, rt.storage, PEER) == (Menu.CITIZEN,)
    await peers.approve(rt, pending.user_id, COORDINATOR)
    menu, changed = await menus.change_needed(rt, PEER)
    assert menu.key == "peer:da" and changed
    await menus.given(rt, PEER, menu)
    assert not (await menus.change_needed(rt, PEER))[1]

    await people.choose_language(rt, PEER, "en")
    menu, changed = await menus.change_needed(rt, PEER)
    assert menu.key == "peer:en" and changed


async def test_several_roles_are_combined_each_command_once(rt: Runtime) -> None:
    rt.config = replace(rt.config, administrator_ids=(COORDINATOR,))
    await roles.load(rt)
    menu = await menus.wanted(rt, COORDINATOR)
    assert menu.key == "coordinator+administrator:da"
    commands = [command for command, _ in menu.commands]
    assert len(commands) == len(set(commands))
    assert {"queue", "roles", "help"} <= set(commands) and "start" not in commands
    assert COORDINATOR in await menus.chats_with_roles(rt)
