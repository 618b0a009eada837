"""The web chat's page: one HTML document whose every text is translated on the server.

`render(t, base=...)` fills the template ``bot/web/page.html`` (``string.Template``
placeholders). The Content-Security-Policy forbids inline script and style, so the texts
the script needs (and the base path) travel in a ``<script type="application/json"
id="texts">`` block: a browser never executes it, and ``chat.js`` reads it with
``JSON.parse``. Each text shown in the HTML is escaped with `html.escape`; the JSON block
escapes ``<``, ``>`` and ``&`` so no translation can close the block.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from string import Template

from bot.config.labels import LANGUAGE_NAMES
from bot.delivery.notices import help_now_label
from bot.i18n import LANGUAGES, Translator

# What Telegram accepts in one message; the server answers 413 above it.
MAX_MESSAGE_LENGTH = 4096
# The counter appears when this many characters or fewer are left.
COUNTER_FROM = 300
# A base path: empty (the site's root) or "/segment[/segment...]" without a trailing slash.
BASE_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)*")
_JSON_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


class _Count(int):
    """A count that formats as the ``{n}`` placeholder again: how the page gets a plural form
    from the catalog with the number left for the script to put in."""

    def __format__(self, spec: str) -> str:
        return "{n}"


@cache
def _template() -> Template:
    return Template((files("bot.web") / "page.html").read_text(encoding="utf-8"))


def script_json(value: object) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``</script>``, no ``<!--``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return re.sub(r"[<>&]", lambda match: _JSON_UNSAFE[match.group()], text)


def plural_forms(form: Callable[[int], str]) -> dict[str, str]:
    """The forms for one and for many of an ``ngettext`` text, with ``{n}`` kept for the
    script: Danish and English both choose by ``n != 1`` (the catalogs' Plural-Forms), which
    is what chat.js does too."""
    return {"one": form(_Count(1)), "other": form(_Count(2))}


def script_texts(t: Translator, base: str) -> dict[str, object]:
    """What chat.js needs to say by itself (states, errors, counters, the push title)."""
    return {
        "base": base,
        "language": t.language,
        "maxLength": MAX_MESSAGE_LENGTH,
        "counterFrom": COUNTER_FROM,
        "helpNow": help_now_label(t),
        "sending": t._("Sending…"),
        "sendFailed": t._("Could not send. Try again."),
        "failed": t._("Something went wrong. Try again."),
        "reconnecting": t._("Reconnecting…"),
        "notificationsOn": t._("Notifications are on"),
        "notificationsOff": t._("Notifications are off"),
        "notificationsUnsupported": t._("This browser cannot show notifications"),
        "notificationsBlocked": t._("Notifications are blocked in this browser's settings"),
        "youWrote": t._("You wrote:"),
        "download": t._("Download {name}"),
        "newMessage": t._("New message"),
        "charactersLeft": plural_forms(
            lambda n: t.ngettext("You have {n} character left", "You have {n} characters left", n)
        ),
        "charactersOver": plural_forms(
            lambda n: t.ngettext(
                "The message is {n} character too long",
                "The message is {n} characters too long",
                n,
            )
        ),
    }


def _language_links(current: str) -> str:
    """Each language in its own name; the current one marked for screen readers and eyes."""
    links = []
    for code in LANGUAGES:
        name = html.escape(LANGUAGE_NAMES.get(code, code))
        current_mark = ' aria-current="true"' if code == current else ""
        links.append(
            f'<a class="language" href="?lang={code}" hreflang="{code}" lang="{code}" '
            f'data-language="{code}"{current_mark}>{name}</a>'
        )
    return "".join(links)


def render(t: Translator, *, base: str) -> str:
    """The whole chat page in the person's language, for the chat served under ``base``."""
    if not BASE_PATH.fullmatch(base):
        raise ValueError(f"not a base path: {base!r}")
    texts = {
        "title": t._("Chat with a peer"),
        "help_now": help_now_label(t),
        "menu": t._("Menu"),
        "my_data": t._("My data"),
        "delete_my_data": t._("Delete my data"),
        "notifications": t._("Notifications"),
        "forget": t._("Forget this device"),
        "language": t._("Language"),
        "welcome": t._(
            "Here you can write with a peer: someone who has had a hard time themselves and "
            "knows what it is like to find a way on."
        ),
        "welcome_help": " ".join(
            [
                t._("It is a conversation between equals, not an emergency service."),
                t._('If you need help right now, press "I need help now".'),
            ]
        ),
        "welcome_device": t._(
            "No app and no account: this browser keeps the key to your conversation, so you "
            'can come back to it here. "Forget this device" in the menu removes it.'
        ),
        "start": t._("Start a conversation"),
        "conversation": t._("Conversation"),
        "quick_replies": t._("Quick replies"),
        "write_a_message": t._("Write a message"),
        "send": t._("Send"),
        "needs_javascript": t._("This chat needs JavaScript to work."),
        "forget_question": t._(
            "Forget this device? Everything about you is deleted from our side and this "
            "device can no longer open the conversation. Your contact ends."
        ),
        "forget_yes": t._("Yes, forget it"),
        "forget_no": t._("No, go back"),
    }
    values = {name: html.escape(text) for name, text in texts.items()}
    values["lang"] = html.escape(t.language)
    values["base"] = html.escape(base)
    values["languages"] = _language_links(t.language)
    values["texts"] = script_json(script_texts(t, base))
    return _template().substitute(values)
