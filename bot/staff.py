"""Who is staff: the in-memory answer, asked on every update.

Configured ids always count; the database roles are loaded at start-up and changed only by
`bot.services.roles`, right after their transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Config
from bot.storage.roles import StaffRole


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
