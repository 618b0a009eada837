"""The validator refuses what Telegram refuses and coerces what Telegram coerces."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.fakebot import ApiError, BotApiSpec, FakeTelegram
from bot.fakebot.formatting import format_text, parse_html

BUTTON = {"text": "Yes", "callback_data": "yes"}


@pytest.fixture(scope="module")
def spec() -> BotApiSpec:
    return BotApiSpec.default()


def refused(spec: BotApiSpec, method: str, params: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        spec.validate(method, params)
    return caught.value


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"inline_keyboard": [list(buttons)]}


async def test_unknown_method_is_404_in_telegrams_envelope(fake: FakeTelegram) -> None:
    answer = await fake.call("sendTelepathy", {"chat_id": 1})
    assert answer == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert fake.calls[-1].ok is False


def test_method_names_are_case_insensitive(spec: BotApiSpec) -> None:
    assert spec.canonical_method("SENDMESSAGE") == "sendMessage"
    assert spec.validate("sendmessage", {"chat_id": 1, "text": "hi"})["text"] == "hi"


def test_missing_required_field_is_named(spec: BotApiSpec) -> None:
    error = refused(spec, "sendMessage", {"text": "hi"})
    assert (error.error_code, error.description) == (
        400,
        'Bad Request: parameter "chat_id" is required',
    )


@pytest.mark.parametrize("text", [None, "", "  \n "])
def test_send_message_without_text_is_empty(spec: BotApiSpec, text: str | None) -> None:
    params: dict[str, Any] = {"chat_id": 1}
    if text is not None:
        params["text"] = text
    assert refused(spec, "sendMessage", params).description == "Bad Request: message text is empty"


@pytest.mark.parametrize(
    ("field", "value"),
    [("disable_notification", "maybe"), ("chat_id", [1]), ("message_thread_id", "1.5")],
)
def test_wrong_type_is_refused(spec: BotApiSpec, field: str, value: object) -> None:
    error = refused(spec, "sendMessage", {"chat_id": 1, "text": "hi", field: value})
    assert error.error_code == 400
    assert field in error.description


def test_form_strings_are_coerced_like_telegram(spec: BotApiSpec) -> None:
    params = spec.validate(
        "sendMessage",
        {
            "chat_id": "42",
            "text": "123",
            "disable_notification": "true",
            "protect_content": "false",
            "reply_markup": json.dumps(keyboard(BUTTON)),
            "reply_parameters": '{"message_id": "7"}',
        },
    )
    assert params["chat_id"] == 42
    assert params["text"] == "123"
    assert params["disable_notification"] is True
    assert params["protect_content"] is False
    assert params["reply_markup"] == keyboard(BUTTON)
    assert params["reply_parameters"] == {"message_id": 7}


def test_json_typed_values_pass_and_usernames_stay_strings(spec: BotApiSpec) -> None:
    params = spec.validate(
        "sendMessage", {"chat_id": "@someone", "text": "hi", "reply_markup": keyboard(BUTTON)}
    )
    assert params["chat_id"] == "@someone"
    assert params["reply_markup"] == keyboard(BUTTON)


def test_text_limit_is_4096_characters_after_parsing(spec: BotApiSpec) -> None:
    spec.validate("sendMessage", {"chat_id": 1, "text": "ø" * 4096})
    spec.validate(
        "sendMessage", {"chat_id": 1, "text": "<b>" + "a" * 4096 + "</b>", "parse_mode": "HTML"}
    )
    error = refused(spec, "editMessageText", {"chat_id": 1, "message_id": 1, "text": "a" * 4097})
    assert error.description == "Bad Request: message is too long"


def test_caption_limit_is_1024(spec: BotApiSpec) -> None:
    spec.validate(
        "sendPhoto", {"chat_id": 1, "photo": "https://x.test/p.jpg", "caption": "c" * 1024}
    )
    error = refused(
        spec, "sendPhoto", {"chat_id": 1, "photo": "https://x.test/p.jpg", "caption": "c" * 1025}
    )
    assert error.description == "Bad Request: message caption is too long"


@pytest.mark.parametrize("data", ["", "x" * 65, "æ" * 33])
def test_callback_data_must_be_1_to_64_bytes(spec: BotApiSpec, data: str) -> None:
    markup = keyboard(BUTTON, {"text": "Bad", "callback_data": data})
    error = refused(spec, "sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": markup})
    assert error.description == "Bad Request: BUTTON_DATA_INVALID"


def test_callback_data_of_64_bytes_is_fine(spec: BotApiSpec) -> None:
    markup = keyboard({"text": "Ok", "callback_data": "x" * 64})
    spec.validate("editMessageReplyMarkup", {"chat_id": 1, "message_id": 1, "reply_markup": markup})


def test_inline_button_needs_an_action(spec: BotApiSpec) -> None:
    markup = keyboard({"text": "Just text"})
    error = refused(spec, "sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": markup})
    assert "Text buttons are unallowed" in error.description


def test_nested_required_field_and_type_are_checked(spec: BotApiSpec) -> None:
    missing = refused(
        spec, "sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": keyboard({"url": "x"})}
    )
    assert missing.description == (
        'Bad Request: field "reply_markup.inline_keyboard[0][0].text" is required'
    )
    flat = {"inline_keyboard": [BUTTON]}
    wrong = refused(spec, "sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": flat})
    assert "reply_markup.inline_keyboard[0]" in wrong.description


def test_unknown_fields_inside_objects_are_tolerated(spec: BotApiSpec) -> None:
    markup = keyboard({**BUTTON, "future_field": 1})
    spec.validate("sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": markup})


@pytest.mark.parametrize(
    "markup",
    [
        {"keyboard": [[{"text": "Help"}]], "one_time_keyboard": True},
        {"remove_keyboard": True},
        {"force_reply": True, "input_field_placeholder": "Write"},
    ],
)
def test_every_reply_markup_kind_is_accepted(spec: BotApiSpec, markup: dict[str, Any]) -> None:
    spec.validate("sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": markup})


def test_reply_markup_of_no_known_kind_is_refused(spec: BotApiSpec) -> None:
    error = refused(spec, "sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": {"x": 1}})
    assert "reply_markup" in error.description


def test_subtypes_are_chosen_by_their_type_field(spec: BotApiSpec) -> None:
    commands = [{"command": "start", "description": "Start"}]
    chat_scope = {"type": "chat", "chat_id": "5"}
    params = spec.validate("setMyCommands", {"commands": commands, "scope": chat_scope})
    assert params["scope"] == {"type": "chat", "chat_id": 5}
    missing = refused(spec, "setMyCommands", {"commands": commands, "scope": {"type": "chat"}})
    assert "scope.chat_id" in missing.description
    unknown = refused(spec, "setMyCommands", {"commands": commands, "scope": {"type": "moon"}})
    assert unknown.error_code == 400


def test_bot_commands_follow_telegrams_rules(spec: BotApiSpec) -> None:
    error = refused(spec, "setMyCommands", {"commands": [{"command": "Start", "description": "x"}]})
    assert error.description == "Bad Request: BOT_COMMAND_INVALID"


def test_callback_answer_text_is_at_most_200(spec: BotApiSpec) -> None:
    spec.validate("answerCallbackQuery", {"callback_query_id": "1", "text": "t" * 200})
    error = refused(spec, "answerCallbackQuery", {"callback_query_id": "1", "text": "t" * 201})
    assert error.error_code == 400


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a <3 b", 'Unsupported start tag "" at byte offset 2'),
    ],
)
def test_bad_html_cannot_be_parsed(spec: BotApiSpec, html: str, reason: str) -> None:
    error = refused(spec, "sendMessage", {"chat_id": 1, "text": html, "parse_mode": "HTML"})
    assert error.description == f"Bad Request: can't parse entities: {reason}"


def test_markdown_is_refused_clearly(spec: BotApiSpec) -> None:
    error = refused(spec, "sendMessage", {"chat_id": 1, "text": "*x*", "parse_mode": "MarkdownV2"})
    assert error.description.startswith("Bad Request: can't parse entities:")
    assert "use HTML" in error.description


def test_html_becomes_text_and_utf16_entities() -> None:
    text, entities = parse_html('😀 <b>hi</b> &lt;3 <a href="https://x.test/?a=1&amp;b=2">l</a>')
    assert text == "😀 hi <3 l"
    assert entities == [
        {"offset": 3, "length": 2, "type": "bold"},
        {"offset": 9, "length": 1, "type": "text_link", "url": "https://x.test/?a=1&b=2"},
    ]


def test_pre_with_language_and_trimming() -> None:
    text, entities = format_text(
        '  <pre><code class="language-python">x = 1</code></pre>\n', "HTML"
    )
    assert text == "x = 1"
    assert entities == [{"offset": 0, "length": 5, "type": "pre", "language": "python"}]
