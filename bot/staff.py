"""Who is staff: the in-memory answer, asked on every update.

Configured ids always count; the database roles are loaded at start-up and changed only by
`bot.services.roles`, right after their transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.config import Config
from bot.domain import StaffRole
from bot.errors import NotAllowed


@dataclass(frozen=True)
class Actor:
    """Who acts and from which chat: coordinators' tools are open to coordinators in a private
    chat and to anyone in the coordinators' group, so the chat is part of who acts."""

    telegram_id: int
    chat_id: int
    private: bool


class Access(StrEnum):
    """The answer to "may this actor use coordinators' tools here?"."""

    ALLOWED = "allowed"
    OTHER_CHAT = "other_chat"  # a coordinator, but in a chat where health data must not show
    REFUSED = "refused"  # not staff


@dataclass
class StaffRoles:
    """The in-memory answer to "is this person staff?" (kept equal to the database)."""

    config_coordinators: frozenset[int] = frozenset()
    config_backups: frozenset[int] = frozenset()
    config_administrators: frozenset[int] = frozenset()
    coordinators: set[int] = field(default_factory=set)
    administrators: set[int] = field(default_factory=set)
    config_group: int | None = None
    # Groups Telegram turned into supergroups (old id -> new id), loaded at start-up and
    # added to when the bot sees a migration (`bot.services.group_chats`).
    group_moves: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Config) -> StaffRoles:
        return cls(
            config_coordinators=frozenset(config.coordinator_ids),
            config_backups=frozenset(config.backup_coordinator_ids),
            config_administrators=frozenset(config.administrator_ids),
            config_group=config.coordinator_group_id,
        )

    @property
    def coordinator_group(self) -> int | None:
        """The coordinators' group as it is now: the configured id, followed through every
        migration to a supergroup (the configuration may still name the old one)."""
        chat, seen = self.config_group, set()
        while chat is not None and chat in self.group_moves and chat not in seen:
            seen.add(chat)
            chat = self.group_moves[chat]
        return chat

    def is_coordinator_group(self, chat_id: int) -> bool:
        return chat_id == self.coordinator_group

    def is_coordinator(self, telegram_id: int) -> bool:
        return (
            telegram_id in self.config_coordinators
            or telegram_id in self.coordinators
            or telegram_id in self.config_backups
        )

    def coordinator_access(self, actor: Actor) -> Access:
        """Coordinators in a private chat or the coordinators' group, and anyone in that group;
        a coordinator in any other group is told where the tools work, never shown them."""
        in_group = self.is_coordinator_group(actor.chat_id)
        if self.is_coordinator(actor.telegram_id):
            return Access.ALLOWED if actor.private or in_group else Access.OTHER_CHAT
        return Access.ALLOWED if in_group else Access.REFUSED

    def require_coordinator(self, actor: Actor) -> None:
        """Raise `NotAllowed` unless the actor may use coordinators' tools (services call this,
        so a tool refuses a wrong actor whoever calls it)."""
        if self.coordinator_access(actor) is not Access.ALLOWED:
            raise NotAllowed("coordinators' tools")

    def is_administrator(self, telegram_id: int) -> bool:
        return telegram_id in self.config_administrators or telegram_id in self.administrators

    def primary_coordinators(self) -> list[int]:
        """Who gets alerts first: configured coordinators, then those added through the bot."""
        added = sorted(c for c in self.coordinators if c not in self.config_coordinators)
        return [*sorted(self.config_coordinators), *added]

    def administrator_count(self) -> int:
        return len(self.config_administrators | self.administrators)

    def ids(self, role: StaffRole) -> set[int]:
        return self.coordinators if role is StaffRole.COORDINATOR else self.administrators

    def configured(self, role: StaffRole) -> frozenset[int]:
        if role is StaffRole.COORDINATOR:
            return self.config_coordinators | self.config_backups
        return self.config_administrators
