"""The "/" command menu each person sees: the commands of their role(s), in their language.

Everyone starts with the citizens' menu (Telegram's default scope, per language). Peers,
coordinators and administrators get their own menu in their private chat (a chat scope),
combined when they have several roles; it changes when a role or the language changes, and a
person who loses every other role goes back to the default. Which menu a chat was given is kept
only for those who have a menu of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import N_
from bot.runtime import Runtime
from bot.storage import Database
from bot.storage import command_menus as menu_store
from bot.storage import peers as peer_store
from bot.storage import users as user_store
from bot.storage.peers import PeerStatus
from bot.storage.users import Role


class Menu(StrEnum):
    CITIZEN = "citizen"
    PEER = "peer"
    COORDINATOR = "coordinator"
    ADMINISTRATOR = "administrator"


_GENERAL = (
    ("help", N_("What I can do")),
    ("language", N_("Choose language")),
)
_OWN_DATA = (
    ("privacy", N_("What we keep and why")),
    ("mydata", N_("Get a copy of your data")),
    ("delete", N_("Delete your data")),
    ("forget", N_("Clear this chat")),
)

COMMANDS: dict[Menu, tuple[tuple[str, str], ...]] = {
    Menu.CITIZEN: (
        ("start", N_("Talk to a peer or get help")),
        ("help_now", N_("I need help now")),
        ("status", N_("See your request")),
        ("name", N_("The name your peer sees")),
        ("end", N_("End a contact")),
        ("checkin", N_("Plan a check-in")),
        ("checkins", N_("Planned check-ins")),
        ("wellbeing", N_("Your wellbeing scores")),
        ("communities", N_("Communities and activities")),
        *_GENERAL,
        *_OWN_DATA,
    ),
    Menu.PEER: (
        ("mycontacts", N_("Your contacts")),
        ("end", N_("End a contact")),
        ("checkin", N_("Plan a check-in")),
        ("checkins", N_("Planned check-ins")),
        ("available", N_("Take new contacts")),
        ("away", N_("No new contacts for now")),
        ("profile", N_("Your name, topics and capacity")),
        ("guide", N_("Guide for peers")),
        ("communities", N_("Share a community or activity")),
        *_GENERAL,
        *_OWN_DATA,
    ),
    Menu.COORDINATOR: (
        ("queue", N_("Open requests")),
        ("escalations", N_("Urgent requests")),
        ("peers", N_("Peers and their load")),
        ("reports", N_("Peers' reports")),
        ("invite", N_("Invite a new peer")),
        ("broadcast", N_("Write to all peers")),
        ("stats", N_("Anonymous figures")),
        ("audit", N_("Latest coordinator actions")),
        ("onduty", N_("Urgent alerts come to me")),
        ("offduty", N_("I am off duty")),
        *_GENERAL,
    ),
    Menu.ADMINISTRATOR: (
        ("roles", N_("Who has which role")),
        ("addcoordinator", N_("Add a coordinator")),
        ("removecoordinator", N_("Remove a coordinator")),
        ("addadmin", N_("Add an administrator")),
        ("removeadmin", N_("Remove an administrator")),
        *_GENERAL,
    ),
}


@dataclass(frozen=True)
class ChatMenu:
    """A chat's menu: `key` names it (roles and language); None for the default menu."""

    key: str | None
    language: str
    commands: tuple[tuple[str, str], ...]  # (command, untranslated description)


def combined(menus: tuple[Menu, ...]) -> tuple[tuple[str, str], ...]:
    """The commands of several menus, each once, in the order of the menus."""
    seen: dict[str, str] = {}
    for menu in menus:
        for command, description in COMMANDS[menu]:
            seen.setdefault(command, description)
    return tuple(seen.items())


async def menus_of(rt: Runtime, db: Database, telegram_id: int) -> tuple[Menu, ...]:
    user = await user_store.by_telegram_id(db, telegram_id)
    menus: list[Menu] = []
    if rt.roles.is_coordinator(telegram_id):
        menus.append(Menu.COORDINATOR)
    if user is not None and user.role is Role.PEER:
        profile = await peer_store.profile(db, user.id)
        if profile is not None and profile.status in (PeerStatus.APPROVED, PeerStatus.PAUSED):
            menus.append(Menu.PEER)
    if rt.roles.is_administrator(telegram_id):
        menus.append(Menu.ADMINISTRATOR)
    return tuple(menus) or (Menu.CITIZEN,)


async def wanted(rt: Runtime, telegram_id: int) -> ChatMenu:
    db = rt.storage
    menus = await menus_of(rt, db, telegram_id)
    user = await user_store.by_telegram_id(db, telegram_id)
    language = (user.language if user else None) or rt.config.default_language
    if menus == (Menu.CITIZEN,):
        return ChatMenu(None, language, COMMANDS[Menu.CITIZEN])
    return ChatMenu(f"{'+'.join(menus)}:{language}", language, combined(menus))


async def change_needed(rt: Runtime, telegram_id: int) -> tuple[ChatMenu, bool]:
    """The menu this chat should have, and whether it differs from what it was given."""
    menu = await wanted(rt, telegram_id)
    return menu, await menu_store.given(rt.storage, telegram_id) != menu.key


async def given(rt: Runtime, telegram_id: int, menu: ChatMenu) -> None:
    """Telegram accepted the menu: remember it (or forget, for the default one)."""
    await menu_store.remember(rt.storage, telegram_id, menu.key)


async def chats_with_roles(rt: Runtime) -> list[int]:
    """Everyone who may need a menu of their own: staff, peers, and chats that had one."""
    others = await menu_store.peer_and_menu_chats(rt.storage)
    staff = rt.roles.primary_coordinators() + sorted(
        rt.roles.config_backups | rt.roles.config_administrators | rt.roles.administrators
    )
    return list(dict.fromkeys([*staff, *others]))
