"""The name a citizen's peer and the coordinators see: choosing it, and when it can change.

The choice is stored as the citizen's pseudonym (the same column as the made-up name, so no new
data is kept) and is in /mydata as before. It cannot change during an active contact: the peer
knows them by it, and a new name in the middle of a conversation reads like someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services import pseudonyms
from bot.storage import contacts as contact_store
from bot.storage import users as user_store
from bot.storage.users import Role, User


class NameStatus(StrEnum):
    CAN_CHOOSE = "can_choose"
    IN_CONTACT = "in_contact"
    NOT_A_CITIZEN = "not_a_citizen"  # a peer or staff (peers choose theirs when they join)
    NO_NAME_YET = "no_name_yet"  # nothing stored: the name comes with consent


@dataclass(frozen=True)
class NameChoice:
    status: NameStatus
    current: str | None = None
    suggestions: tuple[str, ...] = ()


async def choice_for(rt: Runtime, user: User | None) -> NameChoice:
    """Whether `user` may choose their name now, their name today and a few suggestions."""
    if user is None or user.pseudonym is None:
        return NameChoice(NameStatus.NO_NAME_YET)
    if user.role is not Role.CITIZEN:
        return NameChoice(NameStatus.NOT_A_CITIZEN, user.pseudonym)
    if await contact_store.active_for_citizen(rt.storage, user.id) is not None:
        return NameChoice(NameStatus.IN_CONTACT, user.pseudonym)
    return NameChoice(
        NameStatus.CAN_CHOOSE, user.pseudonym, tuple(pseudonyms.suggestions(user.pseudonym))
    )


async def choose(rt: Runtime, user: User | None, text: str) -> NameChoice:
    """Store `text` as the citizen's name if they may choose now; `UserInputError` if the name
    cannot be used. Returns the choice as it now stands (its status says why not, if not)."""
    choice = await choice_for(rt, user)
    if choice.status is not NameStatus.CAN_CHOOSE:
        return choice
    assert user is not None
    name = pseudonyms.chosen_name(text)
    async with rt.storage.transaction() as tx:
        await user_store.set_pseudonym(tx, user.id, name)
    return NameChoice(NameStatus.CAN_CHOOSE, name)


def told_name(t: Translator, name: str, *, web: bool = False) -> str:
    """What the citizen is told about their name, wherever it is shown. `web`: the web chat,
    where there is no other name to keep from them."""
    if web:
        return t._("Your peer and our coordinators know you as: {name}", name=name)
    return t._(
        "Your peer and our coordinators know you as: {name}\nThey never see your Telegram name.",
        name=name,
    )
