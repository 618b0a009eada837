"""Who is writing: their role and the language to answer in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.config import Config
from bot.i18n import resolve_language
from bot.runtime import Runtime
from bot.staff import StaffRoles
from bot.storage import Database
from bot.storage import users as user_store
from bot.storage.users import Role, User


@dataclass(frozen=True)
class Person:
    """A Telegram user as the bot sees them; `user` is None until something is stored."""

    telegram_id: int
    role: Role
    language: str
    user: User | None
    is_administrator: bool = False

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    @property
    def is_peer(self) -> bool:
        return self.role is Role.PEER


async def identify(
    db: Database,
    config: Config,
    telegram_id: int,
    telegram_language: str | None,
    memory_language: str | None = None,
    *,
    now: datetime,
    staff: StaffRoles | None = None,
) -> Person:
    """Look the person up; staff roles come from memory (configuration and the roles table),
    everything else from the database. A stored coordinator role counts only while it lasts."""
    staff = staff or StaffRoles.from_config(config)
    user = await user_store.by_telegram_id(db, telegram_id)
    if staff.is_coordinator(telegram_id):
        role = Role.COORDINATOR
        if user is None:
            user = await _register_coordinator(db, telegram_id, telegram_language, config, now)
    elif user is not None:
        role = Role.CITIZEN if user.role is Role.COORDINATOR else user.role
    else:
        role = Role.CITIZEN
    choice = (user.language if user else None) or memory_language
    language = resolve_language(choice, telegram_language, config.default_language)
    return Person(
        telegram_id=telegram_id,
        role=role,
        language=language,
        user=user,
        is_administrator=staff.is_administrator(telegram_id),
    )


async def _register_coordinator(
    db: Database, telegram_id: int, telegram_language: str | None, config: Config, now: datetime
) -> User:
    """Coordinators are staff: their row lets alerts reach them in their own language."""
    language = resolve_language(None, telegram_language, config.default_language)
    async with db.transaction() as tx:
        return await user_store.ensure(tx, telegram_id, Role.COORDINATOR, now, language=language)


async def choose_language(rt: Runtime, telegram_id: int, language: str) -> bool:
    """Store the choice when the person is stored already; False means keep it in memory only."""
    return await user_store.set_language(rt.storage, telegram_id, language)
