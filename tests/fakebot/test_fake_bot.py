"""A real ``telegram.Bot`` over ``FakeRequest`` sees Telegram's behaviour and errors."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot import fakebot as fakebot_package
from bot.fakebot import FakeRequest, FakeTelegram, Fault
from tests.fakebot.conftest import NOW
from tests.helpers.process import eventually

CHOICES = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes, please", callback_data="req:yes"),
            InlineKeyboardButton("No", callback_data="req:no"),
        ]
    ]
)
# PTB 22 warns that RetryAfter.retry_after will become a timedelta, from inside PTB itself.
PTB_RETRY_AFTER_WARNING = pytest.mark.filterwarnings(
    "ignore::telegram.warnings.PTBDeprecationWarning"
)


def retry_seconds(error: RetryAfter) -> float:
    """PTB 22 gives int or timedelta depending on PTB_TIMEDELTA; compare in seconds."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def test_public_surface_is_importable() -> None:
    assert all(hasattr(fakebot_package, name) for name in fakebot_package.__all__)


async def test_get_me_describes_the_bot(bot: telegram.Bot, fake: FakeTelegram) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "peerbot_test_bot", True)
    assert fake.calls[0].method == "getMe"


async def test_send_returns_a_full_message(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001, "Ada")
    first = await bot.send_message(1001, "<b>Hej</b> &amp; velkommen", parse_mode="HTML")
    second = await bot.send_message(1001, "Vælg", reply_markup=CHOICES, protect_content=True)
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.date == NOW
    assert first.text == "Hej & velkommen"
    assert first.text_html == "<b>Hej</b> &amp; velkommen"
    assert first.from_user is not None and first.from_user.id == 123456
    assert second.reply_markup == CHOICES
    assert second.has_protected_content is True
    assert ada.texts == ["Hej & velkommen", "Vælg"]
    call = fake.calls_to("sendMessage")[0]
    assert call.ok and call.params["chat_id"] == 1001


async def test_entities_are_checked_in_utf16_for_texts_and_captions(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    ada = fake.user(1001, "Ada")
    bold = telegram.MessageEntity("bold", 3, 4)  # the emoji is two UTF-16 units
    sent = await bot.send_message(1001, "🙂 hi there", entities=[bold])
    assert sent.parse_entities() == {bold: "hi t"}  # PTB reads offsets in UTF-16 too
    for wrong in (
        telegram.MessageEntity("bold", 7, 5),  # past the end (11 units)
        telegram.MessageEntity("bold", 0, 0),
        telegram.MessageEntity("text_link", 0, 2),  # a link without its url
        telegram.MessageEntity("shouting", 0, 2),
    ):
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(1001, "🙂 hi there", entities=[wrong])
    photo = ada.send_photo("seen")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.copy_message(
            1001, 1001, photo["message_id"], caption="x", caption_entities=[bold]
        )
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.copy_message(1001, 1001, photo["message_id"], caption="x" * 1025)
    copied = await bot.copy_message(
        1001, 1001, photo["message_id"], caption="Ada\nseen", caption_entities=[bold]
    )
    assert ada.message(copied.message_id)["caption_entities"] == [bold.to_dict()]


async def test_unknown_chat_is_not_found(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hello")


async def test_reply_needs_an_existing_message(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001, "Ada")
    question = ada.send_text("Hvornår?")
    reply = await bot.send_message(
        1001, "Snart", reply_parameters=ReplyParameters(question["message_id"])
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "Hvornår?"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(1001, "x", reply_parameters=ReplyParameters(77))
    loose = ReplyParameters(77, allow_sending_without_reply=True)
    assert (await bot.send_message(1001, "x", reply_parameters=loose)).reply_to_message is None


async def test_edit_semantics(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001, "Ada")
    sent = await bot.send_message(1001, "Vælg", reply_markup=CHOICES)
    edited = await bot.edit_message_text("Valgt", chat_id=1001, message_id=sent.message_id)
    assert edited.edit_date == NOW
    assert ada.last_message is not None
    assert ada.last_message["text"] == "Valgt"
    assert "reply_markup" not in ada.last_message  # an edit without markup drops the keyboard
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Valgt", chat_id=1001, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=99)
    await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=CHOICES)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=CHOICES)


async def test_user_messages_cannot_be_edited(bot: telegram.Bot, fake: FakeTelegram) -> None:
    message = fake.user(1001).send_text("mine")
    with pytest.raises(BadRequest, match="can't be edited"):
        await bot.edit_message_text("x", chat_id=1001, message_id=message["message_id"])


async def test_delete_message(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001)
    sent = await bot.send_message(1001, "soon gone")
    assert await bot.delete_message(1001, sent.message_id) is True
    assert ada.messages == [] and ada.message(sent.message_id) is None
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1001, sent.message_id)


async def test_delete_messages_follows_telegrams_rules() -> None:
    """1-100 ids, unknown ones skipped, incoming ones too in a private chat, and nothing at
    all once one of them is 48 hours old."""
    now = [NOW]
    fake = FakeTelegram(now=lambda: now[0])
    async with telegram.Bot(fake.token, request=FakeRequest(fake)) as bot:
        ada = fake.user(1001)
        old = await bot.send_message(1001, "two days ago")
        now[0] = NOW + timedelta(hours=47, minutes=59)
        mine = ada.send_text("my own words")
        new = await bot.send_message(1001, "just now")
        for ids, error in (
            ([], "Message identifiers are not specified"),
            (list(range(1, 102)), "Too many message identifiers specified"),
            ([new.message_id, 0], "Invalid message identifier specified"),
        ):
            with pytest.raises(BadRequest, match=error):
                await bot.delete_messages(1001, ids)
        now[0] = NOW + timedelta(hours=48)
        with pytest.raises(BadRequest, match="can't be deleted for everyone"):
            await bot.delete_messages(1001, [old.message_id, new.message_id])
        assert ada.message(new.message_id) is not None, "all or nothing"
        with pytest.raises(BadRequest, match="can't be deleted for everyone"):
            await bot.delete_message(1001, old.message_id)
        assert await bot.delete_messages(1001, [new.message_id, mine["message_id"], 999]) is True
        assert ada.message(new.message_id) is None and ada.message(mine["message_id"]) is None
        assert ada.texts == ["two days ago"]


async def test_bot_deletes_only_its_own_messages_in_groups(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    group = fake.group(-100200, "Team")
    coco = fake.user(9001)
    group.add_member(coco)
    theirs = coco.send_text("hello team", chat=group)
    with pytest.raises(BadRequest, match="can't be deleted"):
        await bot.delete_messages(-100200, [theirs["message_id"]])


async def test_copy_keeps_content_not_sender(bot: telegram.Bot, fake: FakeTelegram) -> None:
    citizen, peer = fake.user(1001, "Ada"), fake.user(2002, "Bo")
    photo = citizen.send_photo("se her")
    copied = await bot.copy_message(2002, 1001, photo["message_id"], protect_content=True)
    message = peer.message(copied.message_id)
    assert message is not None
    assert message["photo"] == photo["photo"]
    assert message["caption"] == "se her"
    assert message["from"]["id"] == 123456
    assert message["has_protected_content"] is True
    text = citizen.send_text("hej")
    await bot.copy_message(2002, 1001, text["message_id"])
    assert peer.texts[-1] == "hej"
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(2002, 1001, 404)


async def test_forward_shows_the_origin(bot: telegram.Bot, fake: FakeTelegram) -> None:
    note = fake.user(1001, "Ada").send_text("til koordinator")
    fake.user(3003)
    forwarded = await bot.forward_message(3003, 1001, note["message_id"])
    assert forwarded.forward_origin is not None
    assert forwarded.text == "til koordinator"


async def test_media_files_get_ids_and_can_be_resent(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001)
    document = await bot.send_document(1001, b"%PDF-1.4", filename="guide.pdf", caption="Guide")
    assert document.document is not None
    assert document.document.file_name == "guide.pdf"
    assert document.document.file_id and document.document.file_unique_id
    voice = ada.send_voice()
    again = await bot.send_voice(1001, voice["voice"]["file_id"])
    assert again.voice is not None and again.voice.file_id == voice["voice"]["file_id"]
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(1001, "no-such-file")
    sticker = ada.send_sticker()
    assert sticker["sticker"]["emoji"] == "👍"
    assert (await bot.get_file(voice["voice"]["file_id"])).file_path


async def test_callback_query_flow(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001, "Ada")
    sent = await bot.send_message(1001, "Vil du have kontakt?", reply_markup=CHOICES)
    query_id = ada.press_button("Yes")
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.id == query_id
    assert update.callback_query.data == "req:yes"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id
    assert fake.unanswered_queries() == [query_id]
    assert await bot.answer_callback_query(query_id, text="Tak!") is True
    assert ada.answered_callbacks == ["Tak!"]
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")


async def test_presses_need_a_real_button_unless_forged(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    ada = fake.user(1001)
    sent = await bot.send_message(1001, "Vælg", reply_markup=CHOICES)
    with pytest.raises(AssertionError):
        ada.press(sent.message_id, "admin:delete_all")
    with pytest.raises(AssertionError):
        ada.press_button("Maybe")
    ada.press(sent.message_id, "admin:delete_all", forge=True)
    ada.press(404, "req:yes", forge=True)
    updates = await bot.get_updates()
    assert [u.callback_query.data for u in updates if u.callback_query] == [
        "admin:delete_all",
        "req:yes",
    ]


async def test_blocked_user_is_forbidden(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001)
    sent = await bot.send_message(1001, "hej")
    ada.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1001, "hallo?")
    with pytest.raises(Forbidden):
        await bot.edit_message_text("x", chat_id=1001, message_id=sent.message_id)
    ada.unblock()
    await bot.send_message(1001, "velkommen tilbage")
    statuses = [
        u.my_chat_member.new_chat_member.status for u in await bot.get_updates() if u.my_chat_member
    ]
    assert statuses == ["kicked", "member"]


async def test_a_person_who_never_started_the_bot(bot: telegram.Bot, fake: FakeTelegram) -> None:
    coordinator = fake.user(5005, started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(5005, "alarm")
    coordinator.send_text("/start")
    await bot.send_message(5005, "alarm")


@PTB_RETRY_AFTER_WARNING
async def test_injected_faults(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.user(1001)
    fake.user(2002)
    fake.inject(Fault.retry_after(7), method="sendMessage")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(1001, "x")
    assert retry_seconds(flood.value) == 7
    fake.inject(Fault.timeout(), method="sendMessage")
    with pytest.raises(TimedOut):
        await bot.send_message(1001, "x")
    fake.inject(Fault.server_error())
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(1001, "x")
    fake.inject(Fault.forbidden(), chat_id=2002, times=2)
    await bot.send_message(1001, "fine")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(2002, "x")
    await bot.send_message(2002, "fine again")
    assert [(c.ok, c.fault) for c in fake.calls_to("sendMessage")[:3]] == [
        (False, "error"),
        (False, "timeout"),
        (False, "error"),
    ]


async def test_timeout_after_performing_delivers_anyway(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    ada = fake.user(1001)
    fake.inject(Fault.timeout(performed=True))
    with pytest.raises(TimedOut):
        await bot.send_message(1001, "maybe twice")
    assert ada.texts == ["maybe twice"]


@PTB_RETRY_AFTER_WARNING
async def test_flood_limit_is_a_token_bucket() -> None:
    clock = [1000.0]  # frozen: a slow machine cannot refill the bucket mid-burst
    fake = FakeTelegram(flood_limit=True, flood_clock=lambda: clock[0])
    fake.user(1001)
    bot = telegram.Bot(fake.token, request=FakeRequest(fake))
    for _ in range(30):
        await bot.send_message(1001, "burst")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(1001, "one too many")
    assert retry_seconds(flood.value) == 1
    clock[0] += 0.1  # three tokens back, no more
    for _ in range(3):
        await bot.send_message(1001, "refilled")
    with pytest.raises(RetryAfter):
        await bot.send_message(1001, "again too many")
    clock[0] += 60  # a long pause refills only up to the burst
    for _ in range(30):
        await bot.send_message(1001, "burst again")
    with pytest.raises(RetryAfter):
        await bot.send_message(1001, "still one too many")


async def test_get_updates_offset_and_limit(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001)
    for text in ("a", "b", "c"):
        ada.send_text(text)
    first, second, third = await bot.get_updates()
    assert [first.update_id, second.update_id, third.update_id] == [1, 2, 3]
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [1]
    assert [u.update_id for u in await bot.get_updates(offset=2)] == [2, 3]
    assert [u["update_id"] for u in fake.pending_updates()] == [2, 3]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [3]
    assert [u["update_id"] for u in fake.pending_updates()] == [3]
    assert await bot.get_updates(offset=4) == ()


async def test_long_poll_wakes_on_a_new_update(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001)
    # A poll that ran into its (long) timeout would answer no update at all.
    poll = asyncio.create_task(bot.get_updates(timeout=60))
    await eventually(lambda: fake.long_polls_waiting() > 0)
    assert not poll.done()
    ada.send_text("/start abc")
    [update] = await poll
    assert update.message is not None
    assert update.message.text == "/start abc"
    assert update.message.entities[0].type == "bot_command"


async def test_long_poll_ends_at_its_timeout(fake: FakeTelegram) -> None:
    started = time.monotonic()
    answer = await fake.call("getUpdates", {"timeout": 1})
    assert answer == {"ok": True, "result": []}
    assert time.monotonic() - started > 0.9  # a slow machine only makes it later


async def test_a_second_poller_ends_the_first(bot: telegram.Bot, fake: FakeTelegram) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=60))
    # The first poll really waits before the second comes.
    await eventually(lambda: fake.long_polls_waiting() > 0)
    await bot.get_updates()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_webhook_blocks_polling(bot: telegram.Bot, fake: FakeTelegram) -> None:
    await bot.set_webhook("https://bot.example.org/hook", secret_token="s3cret-token")
    assert fake.webhook == {"url": "https://bot.example.org/hook", "secret_token": "s3cret-token"}
    assert (await bot.get_webhook_info()).url == "https://bot.example.org/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()
    with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
        await bot.set_webhook("http://bot.example.org/hook")


async def test_commands_per_scope_and_language(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.user(1001)
    scope = telegram.BotCommandScopeChat(1001)
    await bot.set_my_commands([("start", "Start")])
    await bot.set_my_commands([("help", "Hjælp")], scope=scope, language_code="da")
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    danish = await bot.get_my_commands(scope=scope, language_code="da")
    assert [c.command for c in danish] == ["help"]
    assert await bot.get_my_commands(scope=scope) == ()
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_small_chat_methods(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.user(1001, "Ada")
    assert (await bot.get_chat(1001)).first_name == "Ada"
    assert await bot.send_chat_action(1001, "typing") is True
    with pytest.raises(BadRequest):
        await bot.send_chat_action(1001, "dancing")
    assert await bot.set_chat_menu_button(1001, telegram.MenuButtonCommands()) is True
    assert (await bot.get_chat_menu_button(1001)).type == "commands"
    assert await bot.set_message_reaction(1001, 1, "👍") is True
    assert fake.calls_to("setMessageReaction")[0].ok


async def test_groups_members_and_migration(bot: telegram.Bot, fake: FakeTelegram) -> None:
    group = fake.group(-42, "Koordinatorer")
    kim, stranger = fake.user(7007, "Kim"), fake.user(8008)
    group.add_member(kim)
    alert = await bot.send_message(-42, "Akut!", reply_markup=CHOICES)
    assert alert.chat.type == "group"
    kim.press_button("Yes", chat=group)
    with pytest.raises(AssertionError):
        stranger.send_text("hi", chat=group)
    supergroup = group.migrate_to_supergroup(-1000000000042)
    with pytest.raises(ChatMigrated) as moved:
        await bot.send_message(-42, "Akut!")
    assert moved.value.new_chat_id == -1000000000042
    await bot.send_message(-1000000000042, "Akut!")
    assert supergroup.texts == ["Akut!"] and kim in supergroup.members


async def test_reply_keyboard_is_visible_to_the_user(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001)
    keyboard = telegram.ReplyKeyboardMarkup([["Jeg har brug for hjælp nu"]], one_time_keyboard=True)
    await bot.send_message(1001, "Vælg", reply_markup=keyboard)
    assert ada.reply_keyboard == [["Jeg har brug for hjælp nu"]]
    ada.send_text("Jeg har brug for hjælp nu")
    assert ada.reply_keyboard is None


async def test_every_user_action_is_an_update(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ada = fake.user(1001, "Ada", username="ada")
    ada.send_text("hej")
    ada.send_photo()
    ada.send_voice()
    ada.send_document("plan.pdf")
    ada.send_sticker()
    ada.send_location()
    ada.send_contact()
    messages = [u.message for u in await bot.get_updates()]
    assert all(m is not None and m.from_user and m.from_user.username == "ada" for m in messages)
    kinds = [m.effective_attachment.__class__.__name__ for m in messages if m]
    assert kinds[1:] == ["tuple", "Voice", "Document", "Sticker", "Location", "Contact"]


async def test_a_ptb_application_polls_the_fake(fake: FakeTelegram) -> None:
    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Hej {context.args[0]}")

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .request(FakeRequest(fake))
        .get_updates_request(FakeRequest(fake))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    ada = fake.user(1001)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        ada.send_text("/start abc")
        await eventually(lambda: bool(ada.texts))  # bounded generously: a loaded machine is slow
        await app.updater.stop()
        await app.stop()
    assert ada.texts == ["Hej abc"]
    assert fake.calls_to("deleteWebhook")[0].ok


async def test_listeners_hear_every_change_and_history_shows_both_sides(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    heard: list[int] = []
    fake.add_listener(lambda: heard.append(len(fake.calls)))
    ada = fake.user(1001, "Ada")
    ada.send_text("hej")
    assert len(heard) == 1  # a person's action
    await bot.get_updates(timeout=0)
    assert len(heard) == 1  # fetching updates changes nothing anyone sees
    sent = await bot.send_message(1001, "Hej Ada", reply_markup=CHOICES)
    await bot.edit_message_text("Hej igen", chat_id=1001, message_id=sent.message_id)
    assert len(heard) == 3
    with pytest.raises(BadRequest):
        await bot.edit_message_text("x", chat_id=1001, message_id=99)
    assert len(heard) == 3  # a refused call changed nothing
    ada.block()
    assert ada.blocked and len(heard) == 4
    history = ada.history
    assert [m.get("text") for m in history] == ["hej", "Hej igen"]
    assert history[0]["from"]["id"] == 1001
    assert history[1]["from"]["id"] == fake.bot_user["id"] and "edit_date" in history[1]
    history[1]["text"] = "changed by the caller"
    assert ada.history[1]["text"] == "Hej igen"  # copies, never the fake's own state
