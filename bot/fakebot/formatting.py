"""Text formatting the way Telegram applies it: HTML parse mode, entities, trimming.

Telegram measures limits on the text *after* entities are parsed and surrounding whitespace
is trimmed, and counts entity offsets in UTF-16 code units; the fake does the same so that a
bot which passes here does not fail on the real server. MarkdownV2 is refused with a clear
400: the project formats with HTML or sends plain text.
"""

from __future__ import annotations

import re
from typing import Any

from bot.fakebot.errors import ApiError

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_ATTRIBUTE_TAGS = {"a", "span", "blockquote", "tg-emoji"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHAR_REF = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_TAG_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _parse_error(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {reason}")


def _unescape(text: str) -> str:
    return _CHAR_REF.sub(_decode_reference, text)


def _decode_reference(match: re.Match[str]) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_ENTITIES[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    return chr(code) if 0 < code <= 0x10FFFF else match.group(0)


class _Open:
    """A start tag waiting for its end tag."""

    __slots__ = ("attributes", "name", "offset")

    def __init__(self, name: str, attributes: dict[str, str], offset: int) -> None:
        self.name = name
        self.attributes = attributes
        self.offset = offset


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and the entities of Telegram-flavoured HTML, or raise 400."""
    out: list[str] = []
    position = 0  # UTF-16 offset of the next character in the output
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "&":
            match = _CHAR_REF.match(source, i)
            piece = _decode_reference(match) if match else "&"
            out.append(piece)
            position += utf16_len(piece)
            i = match.end() if match else i + 1
            continue
        if char != "<":
            out.append(char)
            position += utf16_len(char)
            i += 1
            continue
        byte_offset = len(source[:i].encode())
        if not source.startswith("</", i) and not _TAG_NAME.match(source, i + 1):
            raise _parse_error(f'Unsupported start tag "" at byte offset {byte_offset}')
        end = _tag_end(source, i)
        if end == -1:
            raise _parse_error(f"Can't find end of the tag starting at byte offset {byte_offset}")
        if source.startswith("</", i):
            name = source[i + 2 : end].strip().lower()
            if not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {byte_offset}")
            opened = stack.pop()
            if name and name != opened.name:
                raise _parse_error(
                    f'Unmatched end tag at byte offset {byte_offset}, expected "</{opened.name}>",'
                    f' found "</{name}>"'
                )
            _close(opened, position, stack, entities)
        else:
            stack.append(_open_tag(source[i + 1 : end], byte_offset, position))
        i = end + 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(out), entities


def _tag_end(source: str, start: int) -> int:
    """Index of the ``>`` closing the tag at ``start`` (quotes respected), or -1."""
    quote = ""
    for index in range(start + 1, len(source)):
        char = source[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in {'"', "'"}:
            quote = char
        elif char == ">":
            return index
    return -1


def _open_tag(inside: str, byte_offset: int, position: int) -> _Open:
    match = _TAG_NAME.match(inside)
    name = match.group(0).lower() if match else ""
    if name not in _SIMPLE_TAGS and name not in _ATTRIBUTE_TAGS:
        raise _parse_error(f'Unsupported start tag "{name}" at byte offset {byte_offset}')
    attributes: dict[str, str] = {}
    rest = inside[len(name) :]
    while rest.strip():
        attribute = _ATTRIBUTE.match(rest)
        if attribute is None:
            raise _parse_error(f"Bad attribute of the tag at byte offset {byte_offset}")
        value = attribute.group(2) or ""
        if value[:1] in {'"', "'"}:
            value = value[1:-1]
        attributes[attribute.group(1).lower()] = _unescape(value)
        rest = rest[attribute.end() :]
    if name == "a" and "href" not in attributes:
        raise _parse_error(f'Tag "a" must have attribute "href" at byte offset {byte_offset}')
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise _parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}')
    if name == "tg-emoji" and "emoji-id" not in attributes:
        raise _parse_error(
            f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {byte_offset}'
        )
    return _Open(name, attributes, position)


def _close(
    opened: _Open, position: int, stack: list[_Open], entities: list[dict[str, Any]]
) -> None:
    length = position - opened.offset
    if length <= 0:
        return
    entity: dict[str, Any] = {"offset": opened.offset, "length": length}
    name, attributes = opened.name, opened.attributes
    if name == "code" and stack and stack[-1].name == "pre":
        language = attributes.get("class", "")
        if language.startswith("language-"):
            stack[-1].attributes["language"] = language.removeprefix("language-")
            return
    if name == "a":
        entity.update(type="text_link", url=attributes["href"])
    elif name == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attributes else "blockquote"
    elif name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=attributes["emoji-id"])
    elif name == "span":
        entity["type"] = "spoiler"
    else:
        entity["type"] = _SIMPLE_TAGS[name]
        if name == "pre" and attributes.get("language"):
            entity["language"] = attributes["language"]
    entities.append(entity)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace as Telegram does and shift the entities to match."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(limit, entity["offset"] + entity["length"] - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def format_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Return the text and entities Telegram would store for a text or caption."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        plain, parsed = parse_html(text)
    elif mode in {"markdown", "markdownv2"}:
        raise _parse_error(
            f"parse_mode {parse_mode} is not supported by the fake Bot API; use HTML or plain text"
        )
    elif mode:
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    else:
        plain, parsed = text, [dict(entity) for entity in entities or []]
        check_entities(plain, parsed)
    return _trim(plain, parsed)


ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)
_ENTITY_NEEDS = {"text_link": "url", "text_mention": "user", "custom_emoji": "custom_emoji_id"}


def check_entities(text: str, entities: list[dict[str, Any]]) -> None:
    """Refuse entities Telegram could not apply to `text`: an unknown type, a missing field,
    or a span outside the text in UTF-16 code units (where Telegram would drop or cut a
    misplaced span, the fake answers 400, so that a bot's wrong offsets cannot go unseen)."""
    size = utf16_len(text)
    for entity in entities:
        kind = entity.get("type")
        offset, length = entity.get("offset"), entity.get("length")
        if kind not in ENTITY_TYPES:
            raise _parse_error(f"unsupported entity type {kind!r}")
        if (needed := _ENTITY_NEEDS.get(kind)) and not entity.get(needed):
            raise _parse_error(f"entity {kind} needs {needed}")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise _parse_error("entity offset and length must be integers")
        if offset < 0 or length <= 0 or offset + length > size:
            raise _parse_error(
                f"entity {kind} at {offset}+{length} is outside the text of {size} UTF-16 units"
            )


def command_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entity Telegram adds to a message that starts with ``/``."""
    if len(text) < 2 or not text.startswith("/") or text[1].isspace():
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
