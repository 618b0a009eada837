"""Conversation state read back from the services' own rows after a restart.

PTB's persistence writes behind (every minute and at shutdown), so it would not survive a crash.
Here each dialogue stores its step in the database as it goes (a draft request, a peer profile);
this class only tells `ConversationHandler` at start-up where everybody was. Nothing else is
persisted: ``user_data`` stays in memory by design (a language chosen before consent).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.storage import Database

# What `BasePersistence` speaks of conversations in (PTB documents these shapes; its own
# aliases live in a private module): a key is the tuple ConversationHandler builds (chat and
# user id here), the state is what a step returned.
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]

# name -> function returning (telegram id, step) pairs of unfinished dialogues
Loader = Callable[[Database], Awaitable[list[tuple[int, str]]]]


class StepPersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(self, database: Callable[[], Database]) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=False, callback_data=False
            ),
            update_interval=3600,
        )
        self._database = database
        self._loaders: dict[str, Loader] = {}

    def register(self, name: str, loader: Loader) -> None:
        self._loaders[name] = loader

    async def get_conversations(self, name: str) -> ConversationDict:
        loader = self._loaders.get(name)
        if loader is None:
            return {}
        return {(tid, tid): step for tid, step in await loader(self._database())}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Nothing to do: the handler already stored the step in the same step's transaction."""

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
