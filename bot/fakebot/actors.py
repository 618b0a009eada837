"""The people and group chats a test acts as, on the user side of the fake Telegram.

A ``FakeUser`` talks to the bot in a private chat whose id equals the user id; what they do
(send, press a button, block the bot) becomes an update the bot receives. The views
(``messages``, ``texts``, ...) show what the bot sent, as it stands after edits and deletions.
Misuse by a test (pressing a button that does not exist, writing after blocking the bot) raises
``AssertionError``, so a broken test fails where it went wrong.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from bot.fakebot.formatting import check_entities, command_entities

if TYPE_CHECKING:
    from bot.fakebot.core import FakeTelegram


class _ChatView:
    """What one chat shows: the bot's messages in order."""

    def __init__(self, fake: FakeTelegram, chat_id: int) -> None:
        self._fake = fake
        self.chat_id = chat_id

    def _bot_messages(self) -> list[dict[str, Any]]:
        """The live bot messages (not copies): for reading here, never handed out."""
        chat = self._fake._chat_state(self.chat_id)
        return [m for m in chat.messages.values() if self._fake._is_bot_message(m)]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Messages the bot sent to this chat, oldest first, as they are now."""
        return [copy.deepcopy(message) for message in self._bot_messages()]

    @property
    def history(self) -> list[dict[str, Any]]:
        """Every message of this chat, the bot's and the people's, oldest first, as they are now.

        A message's ``from.id`` tells who sent it (``FakeTelegram.bot_user["id"]`` is the bot).
        """
        chat = self._fake._chat_state(self.chat_id)
        return [copy.deepcopy(message) for message in chat.messages.values()]

    @property
    def blocked(self) -> bool:
        """Whether this chat blocked the bot."""
        return self._fake._chat_state(self.chat_id).blocked

    @property
    def last_message(self) -> dict[str, Any] | None:
        """The newest message from the bot still in the chat, or None."""
        messages = self._bot_messages()
        return copy.deepcopy(messages[-1]) if messages else None

    @property
    def texts(self) -> list[str]:
        """Text (or caption, or "") of each bot message, oldest first."""
        return [m.get("text") or m.get("caption") or "" for m in self.messages]

    def message(self, message_id: int) -> dict[str, Any] | None:
        """Any message of this chat by id (the bot's or a person's), or None if absent."""
        message = self._fake._chat_state(self.chat_id).messages.get(message_id)
        return copy.deepcopy(message) if message is not None else None

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the custom reply keyboard the bot shows in this chat, or None."""
        markup = self._fake._chat_state(self.chat_id).reply_keyboard
        if markup is None:
            return None
        return [[button["text"] for button in row] for row in markup["keyboard"]]


class FakeChat(_ChatView):
    """A group chat or channel (negative id) with the bot in it."""

    def __init__(self, fake: FakeTelegram, chat_id: int, title: str) -> None:
        super().__init__(fake, chat_id)
        self.title = title

    @property
    def members(self) -> list[FakeUser]:
        """People who may write in this group."""
        return list(self._fake._chat_state(self.chat_id).members.values())

    def add_member(self, person: FakeUser) -> None:
        """Let ``person`` write and press buttons in this group."""
        self._fake._chat_state(self.chat_id).members[person.id] = person

    @property
    def bot_left(self) -> bool:
        """Whether the bot left this group or channel (leaveChat)."""
        return self._fake._chat_state(self.chat_id).left

    def add_bot(self, by: FakeUser) -> None:
        """``by`` adds the bot to this group (again): the bot gets a my_chat_member update."""
        self._fake._add_bot(self, by)

    def post(self, text: str) -> dict[str, Any]:
        """Post ``text`` in this channel (a ``channel_post`` update, sent by the chat itself)."""
        return self._fake._channel_post(self, text)

    def migrate_to_supergroup(self, new_chat_id: int) -> FakeChat:
        """Upgrade to a supergroup with a new id; sends to the old id then get ChatMigrated."""
        return self._fake._migrate(self, new_chat_id)


class FakeUser(_ChatView):
    """A person using Telegram; their private chat with the bot has their id."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None,
        username: str | None,
    ) -> None:
        super().__init__(fake, user_id)
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.username = username
        self.answered_callbacks: list[str] = []

    def as_dict(self) -> dict[str, Any]:
        """The person as a Telegram ``User`` object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _send(
        self, content: dict[str, Any], reply_to: int | None, chat: FakeChat | None
    ) -> dict[str, Any]:
        chat_id = chat.chat_id if chat is not None else self.id
        return self._fake._user_message(self, chat_id, content, reply_to)

    def send_text(
        self,
        text: str,
        *,
        reply_to: int | None = None,
        chat: FakeChat | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Write ``text``; one starting with "/" is a command (``/start abc``); ``entities``
        is the formatting the person's app applied (bold, links, ...), in UTF-16 offsets."""
        content: dict[str, Any] = {"text": text}
        entities = [*command_entities(text), *(entities or [])]
        if entities:
            check_entities(text, entities)
            content["entities"] = entities
        return self._send(content, reply_to, chat)

    def edit_text(self, message_id: int, text: str) -> dict[str, Any]:
        """Edit one of their own texts in the private chat (Telegram sends ``edited_message``)."""
        return self._fake._user_edit(self, message_id, text)

    def send_photo(
        self,
        caption: str | None = None,
        *,
        reply_to: int | None = None,
        chat: FakeChat | None = None,
        caption_entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Send a photo, optionally with a caption (and its formatting)."""
        content: dict[str, Any] = {"photo": self._fake._new_file("photo")}
        if caption is not None:
            content["caption"] = caption
            if caption_entities:
                check_entities(caption, caption_entities)
                content["caption_entities"] = caption_entities
        return self._send(content, reply_to, chat)

    def send_voice(
        self, *, reply_to: int | None = None, chat: FakeChat | None = None
    ) -> dict[str, Any]:
        """Send a voice message."""
        return self._send({"voice": self._fake._new_file("voice")}, reply_to, chat)

    def send_document(
        self,
        file_name: str = "a.pdf",
        *,
        caption: str | None = None,
        reply_to: int | None = None,
        chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        """Send a file."""
        mime_type = "application/pdf" if file_name.endswith(".pdf") else None
        document = self._fake._new_file("document", file_name=file_name, mime_type=mime_type)
        content: dict[str, Any] = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return self._send(content, reply_to, chat)

    def send_sticker(
        self, emoji: str = "👍", *, reply_to: int | None = None, chat: FakeChat | None = None
    ) -> dict[str, Any]:
        """Send a sticker."""
        sticker = self._fake._new_file("sticker")
        sticker["emoji"] = emoji
        return self._send({"sticker": sticker}, reply_to, chat)

    def send_location(
        self,
        latitude: float = 55.6761,
        longitude: float = 12.5683,
        *,
        chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        """Share a location (a kind of message a bot may refuse)."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._send({"location": location}, None, chat)

    def send_contact(
        self, phone_number: str = "+4512345678", *, chat: FakeChat | None = None
    ) -> dict[str, Any]:
        """Share the person's own contact (a kind of message a bot may refuse)."""
        contact = {"phone_number": phone_number, "first_name": self.first_name, "user_id": self.id}
        return self._send({"contact": contact}, None, chat)

    def press(
        self,
        message_id: int,
        callback_data: str,
        *,
        forge: bool = False,
        chat: FakeChat | None = None,
    ) -> str:
        """Press the button with ``callback_data`` on a bot message; return the query id.

        ``forge=True`` sends the data even if no such button exists (security tests).
        """
        chat_id = chat.chat_id if chat is not None else self.id
        return self._fake._press(self, chat_id, message_id, callback_data, forge)

    def press_button(self, label_substring: str, *, chat: FakeChat | None = None) -> str:
        """Press the newest inline button whose label contains ``label_substring``."""
        view = chat if chat is not None else self
        labels: list[str] = []
        for message in reversed(view._bot_messages()):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if "callback_data" not in button:
                        continue
                    if label_substring in button["text"]:
                        return self.press(message["message_id"], button["callback_data"], chat=chat)
                    labels.append(button["text"])
        raise AssertionError(f"no inline button contains {label_substring!r}; buttons: {labels}")

    def block(self) -> None:
        """Block the bot: sends to this person fail with 403 and the bot gets my_chat_member."""
        self._fake._set_blocked(self, True)

    def unblock(self) -> None:
        """Unblock (restart) the bot."""
        self._fake._set_blocked(self, False)
