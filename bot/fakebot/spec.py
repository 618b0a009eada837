"""The Bot API specification as a validator: known methods, required fields, types, limits.

``BotApiSpec.default()`` loads ``api.min.json`` shipped beside this module once per process.
``validate(method, params)`` returns the parameters coerced to Python types or raises
``ApiError`` with Telegram's code and wording. Values may arrive JSON-typed (a JSON body) or as
strings (form posts, PTB's ``json_parameters``); one coercion handles both the way Telegram
does: ``"123"`` is an Integer, ``"true"`` a Boolean, arrays and objects are JSON text, and a
String field keeps its text as sent. Unknown fields are ignored, as Telegram ignores them;
required fields and types are strict, at the top level and inside objects.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from bot.fakebot.errors import ApiError
from bot.fakebot.formatting import format_text

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200

_SCALARS = {"Integer", "Float", "Boolean", "String"}
_INTEGER = re.compile(r"[+-]?\d+")
_DISCRIMINATOR = re.compile(r"(?:must be|always) [\"“]?([a-z0-9_]+)[\"”]?$")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_INLINE_BUTTON_PLAIN_FIELDS = {"text", "icon_custom_emoji_id", "style"}
_MISSING = {("sendMessage", "text"): "Bad Request: message text is empty"}


_ATOMS = (str, int, float, bool, type(None))
_PARSED_KEEP = 1024


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (all the fake keeps), several times faster than
    ``copy.deepcopy``: tests and the benchmark copy a message for every action a person takes."""
    kind = type(value)
    if kind is dict:
        return {
            key: item if type(item) in _ATOMS else json_copy(item) for key, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _ATOMS else json_copy(item) for item in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)


@dataclass(frozen=True)
class UploadedFile:
    """A file sent in a multipart request; the fake keeps its name and size, not its bytes."""

    file_name: str
    mime_type: str | None = None
    size: int | None = None


@dataclass
class _TypeSpec:
    name: str
    fields: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)
    subtypes: tuple[str, ...] = ()
    discriminator: tuple[str, str] | None = None

    @property
    def required(self) -> list[str]:
        return [name for name, (_, required) in self.fields.items() if required]


class _Mismatch(Exception):
    """The value has the wrong shape for one candidate type; another may fit."""


def _where(path: str) -> str:
    return f'field "{path}"' if "." in path or "[" in path else f'parameter "{path}"'


class BotApiSpec:
    """Methods and types of the Bot API, able to validate and coerce a request."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data["version"]
        self.methods: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {}
        self.returns: dict[str, tuple[str, ...]] = {}
        for name, method in data["methods"].items():
            self.methods[name] = {
                item["name"]: (tuple(item["types"]), item["required"])
                for item in method.get("fields", [])
            }
            self.returns[name] = tuple(method.get("returns", ()))
        self._by_lower = {name.lower(): name for name in self.methods}
        self._expansions: dict[tuple[str, ...], list[str]] = {}
        self._parsed: dict[tuple[tuple[str, ...], str, str], Any] = {}
        self.types: dict[str, _TypeSpec] = {}
        for name, kind in data["types"].items():
            spec = _TypeSpec(name, subtypes=tuple(kind.get("subtypes", ())))
            for item in kind.get("fields", []):
                spec.fields[item["name"]] = (tuple(item["types"]), item["required"])
                if item["name"] in {"type", "status", "source"} and kind.get("subtype_of"):
                    match = _DISCRIMINATOR.search(item["description"])
                    if match:
                        spec.discriminator = (item["name"], match.group(1))
            self.types[name] = spec

    @classmethod
    def from_file(cls, path: Path) -> BotApiSpec:
        """Load a specification file (``api.min.json`` format)."""
        return cls(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def default(cls) -> BotApiSpec:
        """The specification shipped with the package, loaded once per process."""
        return _load_default()

    def canonical_method(self, method: str) -> str:
        """Return the method's documented spelling; names are case-insensitive, like Telegram's."""
        name = self._by_lower.get(method.lower())
        if name is None:
            raise ApiError(404, "Not Found")
        return name

    def validate(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Return ``params`` coerced to Python types, or raise ``ApiError`` as Telegram would."""
        name = self.canonical_method(method)
        out = {key: value for key, value in params.items() if value is not None}
        for field_name, (types, required) in self.methods[name].items():
            if field_name in out:
                out[field_name] = self.coerce(types, out[field_name], field_name, top=True)
            elif required:
                raise ApiError(
                    400,
                    _MISSING.get(
                        (name, field_name), f"Bad Request: {_where(field_name)} is required"
                    ),
                )
        _check_limits(name, out)
        return out

    def coerce(
        self, types: tuple[str, ...] | list[str], value: Any, path: str, *, top: bool = False
    ) -> Any:
        """Coerce ``value`` to the first of ``types`` it fits, or raise a 400.

        Only a top-level parameter may carry an array or object as JSON text (form posts).
        """
        candidates = self._expanded(tuple(types))
        if isinstance(value, str) and top:
            takes_text = any(t in _SCALARS or t == "InputFile" for t in candidates)
            if not takes_text and any(
                t.startswith("Array of ") or t in self.types for t in candidates
            ):
                return self._coerce_json_text(tuple(types), value, path)
        if isinstance(value, dict):
            objects = [t for t in candidates if t in self.types and t != "InputFile"]
            if objects:
                return self._coerce_object(self._pick_object(objects, value, path), value, path)
        for candidate in candidates:
            try:
                return self._coerce_one(candidate, value, path)
            except _Mismatch:
                continue
        raise ApiError(400, f"Bad Request: {_where(path)} must be of type {' or '.join(types)}")

    def _coerce_json_text(self, types: tuple[str, ...], text: str, path: str) -> Any:
        """An array or object sent as JSON text; the same text (a keyboard sent again and
        again) is checked once and a fresh copy of the result is returned after that."""
        key = (types, path, text)
        known = self._parsed.get(key)
        if known is None:
            try:
                value = json.loads(text)
            except ValueError:
                raise ApiError(400, f"Bad Request: can't parse {path} JSON object") from None
            known = self.coerce(types, value, path)
            if len(self._parsed) >= _PARSED_KEEP:
                self._parsed.clear()
            self._parsed[key] = known
        return json_copy(known)

    def _expanded(self, types: tuple[str, ...]) -> list[str]:
        """`_expand`, computed once per list of types (the spec does not change)."""
        known = self._expansions.get(types)
        if known is None:
            known = self._expansions[types] = self._expand(types)
        return known

    def _expand(self, types: tuple[str, ...] | list[str]) -> list[str]:
        expanded: list[str] = []
        for name in types:
            spec = self.types.get(name)
            if spec is not None and spec.subtypes:
                expanded.extend(self._expand(spec.subtypes))
            else:
                expanded.append(name)
        return expanded

    def _pick_object(self, candidates: list[str], value: dict[str, Any], path: str) -> str:
        fitting = []
        for name in candidates:
            discriminator = self.types[name].discriminator
            if discriminator is None or value.get(discriminator[0]) == discriminator[1]:
                fitting.append(name)
        if not fitting:
            raise ApiError(400, f"Bad Request: {_where(path)} has an unsupported type")
        complete = [n for n in fitting if all(f in value for f in self.types[n].required)]
        if complete:
            return complete[0]
        if len(fitting) == 1:
            return fitting[0]
        raise ApiError(
            400, f"Bad Request: can't parse {_where(path)}: expected {' or '.join(fitting)}"
        )

    def _coerce_object(self, name: str, value: dict[str, Any], path: str) -> dict[str, Any]:
        out = {key: item for key, item in value.items() if item is not None}
        for field_name, (types, required) in self.types[name].fields.items():
            if field_name in out:
                out[field_name] = self.coerce(types, out[field_name], f"{path}.{field_name}")
            elif required:
                raise ApiError(400, f"Bad Request: {_where(f'{path}.{field_name}')} is required")
        return out

    def _coerce_one(self, kind: str, value: Any, path: str) -> Any:
        if kind.startswith("Array of "):
            if not isinstance(value, list):
                raise _Mismatch
            inner = (kind.removeprefix("Array of "),)
            return [self.coerce(inner, item, f"{path}[{i}]") for i, item in enumerate(value)]
        if kind == "InputFile":
            if isinstance(value, UploadedFile):
                return value
            raise _Mismatch
        if kind in _SCALARS:
            return _coerce_scalar(kind, value)
        if kind in self.types:
            raise _Mismatch  # objects are handled by coerce(); anything else is the wrong shape
        return value  # a type the spec does not describe: accept as sent


def _coerce_scalar(kind: str, value: Any) -> Any:
    if kind == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    elif kind == "Integer":
        if isinstance(value, bool):
            raise _Mismatch
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value)
    elif kind == "Float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise _Mismatch from None
    elif kind == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0"}:
            return value.strip().lower() in {"true", "1"}
    raise _Mismatch


def _check_limits(method: str, params: dict[str, Any]) -> None:
    """Enforce the limits Telegram documents in prose rather than in types."""
    if method in {"sendMessage", "editMessageText"}:
        if "text" not in params and "rich_message" not in params:
            raise ApiError(400, "Bad Request: message text is empty")
        if "text" in params:
            text, _ = format_text(params["text"], params.get("parse_mode"), params.get("entities"))
            if not text:
                raise ApiError(400, "Bad Request: message text is empty")
            if len(text) > TEXT_LIMIT:
                raise ApiError(400, "Bad Request: message is too long")
    if isinstance(params.get("caption"), str):
        caption, _ = format_text(
            params["caption"], params.get("parse_mode"), params.get("caption_entities")
        )
        if len(caption) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and isinstance(markup.get("inline_keyboard"), list):
        for row in markup["inline_keyboard"]:
            for button in row:
                _check_inline_button(button)
    if method == "answerCallbackQuery" and len(params.get("text", "")) > CALLBACK_ANSWER_LIMIT:
        raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
    if method == "setMyCommands":
        _check_commands(params["commands"])


def _check_inline_button(button: dict[str, Any]) -> None:
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode())
        if not 1 <= size <= CALLBACK_DATA_LIMIT:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    if not set(button) - _INLINE_BUTTON_PLAIN_FIELDS:
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        )


def _check_commands(commands: list[dict[str, Any]]) -> None:
    if len(commands) > 100:
        raise ApiError(400, "Bad Request: too many commands")
    for command in commands:
        if not _COMMAND.fullmatch(command["command"]):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"].strip()) <= 256:
            raise ApiError(400, "Bad Request: command description must be 1-256 characters")


@functools.cache
def _load_default() -> BotApiSpec:
    source = resources.files("bot.fakebot").joinpath("api.min.json")
    return BotApiSpec(json.loads(source.read_text(encoding="utf-8")))
