"""What the page shows: each phone's chat as plain JSON, rebuilt from the fake Telegram's state.

The page keys messages by id, so an edited message is updated where it stands and a deleted one
disappears; the whole picture is small enough to send again after every change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.sandbox.world import Phone, Role, World

_FILE_KINDS = ("photo", "document", "voice", "sticker", "video", "audio", "animation")


def snapshot(world: World, *, generation: str, version: int, data_dir: str) -> dict[str, Any]:
    """Everything the page needs to draw itself."""
    now = world.clock.now()
    return {
        "sandbox": True,
        "generation": generation,
        "version": version,
        "database": str(world.config.database),
        "database_shown": shown_path(world.config.database),
        "data_dir": data_dir,
        "organisation": world.config.organisation_name,
        "timezone": world.config.timezone.key,
        "language": world.language,
        "clock_ms": int(now.timestamp() * 1000),
        "phones": [_phone(world, phone) for phone in sorted(world.phones, key=_order)],
    }


def shown_path(path: Path, cwd: Path | None = None, home: Path | None = None) -> str:
    """The database path as a person finds it again: relative to the working directory when it
    lies below it (`sandbox-data/sandbox.db`), else below the home folder as `~/...`; a long
    path elsewhere keeps its last two parts (`…/sandbox-data/sandbox.db`). The page gives the
    whole path on hover."""
    cwd = (cwd or Path.cwd()).resolve()
    home = home or Path.home()
    path = path.resolve()
    if path.is_relative_to(cwd):
        return str(path.relative_to(cwd))
    if home != Path("/") and path.is_relative_to(home):
        return str(Path("~") / path.relative_to(home))
    if len(str(path)) > 40 and len(path.parts) > 3:
        return str(Path("…", *path.parts[-2:]))
    return str(path)


def _order(phone: Phone) -> tuple[int, int]:
    """Citizens, then peers, then the coordinator: the way a request travels."""
    return (list(Role).index(phone.role), phone.user.id)


def _phone(world: World, phone: Phone) -> dict[str, Any]:
    user = phone.user
    bot_id = world.fake.bot_user["id"]
    return {
        "id": user.id,
        "role": phone.role.value,
        "name": user.first_name,
        "language": user.language_code or "",
        "blocked": user.blocked,
        "messages": _messages(world, user.history, bot_id),
        "keyboard": user.reply_keyboard,
        "toasts": list(user.answered_callbacks),
        "commands": world.commands.get(user.language_code or "", world.commands.get("", [])),
    }


def _messages(world: World, history: list[dict[str, Any]], bot_id: int) -> list[dict[str, Any]]:
    """The chat's messages; the first of each day carries its date, as Telegram shows it."""
    shown, day = [], None
    for message in history:
        if "from" not in message:  # service messages (a group's migration) are not drawn
            continue
        item = _message(world, message, bot_id)
        moment = _local(world, message["date"])
        if moment.date() != day:
            day = moment.date()
            item["time"] = f"{moment:%a} {moment.day} {moment:%b}, {item['time']}"
        shown.append(item)
    return shown


def _message(world: World, message: dict[str, Any], bot_id: int) -> dict[str, Any]:
    kind = next((k for k in _FILE_KINDS if k in message), "text" if "text" in message else "other")
    item: dict[str, Any] = {
        "id": message["message_id"],
        "mine": message["from"]["id"] != bot_id,
        "kind": kind,
        "text": message.get("text") or message.get("caption") or "",
        "time": f"{_local(world, message['date']):%H:%M}",
        "edited": "edit_date" in message,
        "protected": bool(message.get("has_protected_content")),
        "buttons": [
            [
                {"text": button["text"], "data": button.get("callback_data")}
                for button in row
                if "callback_data" in button
            ]
            for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        ],
    }
    if kind == "document":
        item["file_name"] = message["document"].get("file_name", "")
    elif kind == "sticker":
        item["emoji"] = message["sticker"].get("emoji", "")
    reply = message.get("reply_to_message")
    if reply is not None:
        item["reply_to"] = (reply.get("text") or reply.get("caption") or "")[:80]
    return item


def _local(world: World, timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).astimezone(world.config.timezone)
