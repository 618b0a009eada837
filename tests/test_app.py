from pathlib import Path

from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from bot.app import build_application
from handlers import common, relay
from tests.helpers.harness import Harness, make_config


async def test_start_greets_in_danish_with_help_one_line_and_menu(harness: Harness) -> None:
    citizen = harness.user(1001, "Ada", language="da")
    citizen.send_text("/start")
    await harness.settle()
    text = citizen.texts[-1]
    assert "Hej og velkommen" in text
    assert "112" not in text and "»Jeg har brug for hjælp nu«" in text  # one line, the button
    labels = [
        b["text"] for row in citizen.last_message["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert "Tal med en peer" in labels
    assert "Jeg har brug for hjælp nu" in labels


async def test_english_telegram_user_is_answered_in_english(harness: Harness) -> None:
    citizen = harness.user(1002, "Ben", language="en-GB")
    citizen.send_text("/start")
    await harness.settle()
    assert citizen.texts[-1].startswith("Hi, and welcome")


async def test_language_choice_before_consent_is_kept_in_memory_only(harness: Harness) -> None:
    citizen = harness.user(1003, language="da")
    citizen.send_text("/language")
    await harness.settle()
    citizen.press_button("English")
    await harness.settle()
    assert citizen.texts[-1] == "I will write to you in English from now on."
    citizen.send_text("/help")
    await harness.settle()
    assert citizen.texts[-1].startswith("What I can do")
    assert await harness.rt.storage.fetchone("SELECT 1 FROM users") is None


async def test_unknown_command_and_media_get_a_clear_answer(harness: Harness) -> None:
    citizen = harness.user(1004)
    citizen.send_text("/frobnicate")
    await harness.settle()
    assert "/help" in citizen.texts[-1]
    citizen.send_location()
    await harness.settle()
    assert "ikke sendt videre til nogen" in citizen.texts[-1]  # a kind answer, in Danish
    buttons = [
        b["text"] for row in citizen.last_message["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons == ["Tal med en peer", "Jeg har brug for hjælp nu"]


async def test_forged_button_is_answered_and_changes_nothing(harness: Harness) -> None:
    citizen = harness.user(1005)
    citizen.send_text("/start")
    await harness.settle()
    citizen.press(citizen.last_message["message_id"], "lang:set:xx", forge=True)
    await harness.settle()
    assert citizen.answered_callbacks[-1] == "Den knap virker ikke længere."


async def test_command_menu_is_registered_per_language(harness: Harness) -> None:
    calls = [c for c in harness.fake.calls if c.method == "setMyCommands"]
    languages = {c.params.get("language_code") for c in calls}
    assert {None, "da", "en"} <= languages


def test_no_plain_message_handler_comes_after_the_relay(tmp_path: Path) -> None:
    """The relay is registered early for speed; a handler of plain messages after it would
    never see a message from someone in a contact. Only commands, buttons, edits and the
    catch-alls may follow it."""
    application = build_application(make_config(tmp_path))
    handlers = application.handlers[0]
    position = next(
        n for n, h in enumerate(handlers) if getattr(h, "callback", None) is relay.private_message
    )
    assert all(isinstance(h, ConversationHandler) for h in handlers[:position])
    allowed = {relay.edited_message, common.unknown_command, common.anything_else}
    for handler in handlers[position + 1 :]:
        assert isinstance(handler, CommandHandler | CallbackQueryHandler) or (
            isinstance(handler, MessageHandler) and handler.callback in allowed
        ), handler.callback
