"""Commands everyone has: /start, /help, /language, and answers to what the bot cannot use."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.domain import Role
from bot.i18n import LANGUAGES, Translator
from bot.services.people import choose_language
from handlers import keyboards, outside, texts
from handlers.base import MEMORY_LANGUAGE, NOT_SERVICE, Context, begin, call_unparsed
from handlers.menus import sync_menu


async def start(update: Update, context: Context) -> None:
    """Greets the person and shows what they can do: staff their tools, others the citizen's
    start; the "/" menu is set to their role(s)."""
    turn = await begin(update, context)
    person = turn.person
    if person.is_coordinator or (person.is_administrator and not person.is_peer):
        await context.bot.send_message(
            turn.chat_id, help_text(turn.t, person.role, person.is_administrator, staff=True)
        )
    else:
        await call_unparsed(
            turn,
            "sendMessage",
            chat_id=turn.chat_id,
            text=texts.greeting(turn.t, turn.rt.config),
            reply_markup=keyboards.start_menu(turn.t),
        )
    await sync_menu(context.bot, turn.rt, person.telegram_id)


def help_text(
    t: Translator,
    role: Role,
    administrator: bool = False,
    *,
    staff: bool = False,
    web: bool = False,
) -> str:
    """What this person can do; `staff`: only their tools (a coordinator's /start); `web`: a
    citizen in the web chat, where /forget clears the conversation on our server."""
    if staff:
        lines = [t._("Hello. You are staff here; these are your tools:")]
    else:
        lines = [
            t._("What I can do:"),
            t._("/start: talk to a peer, or get help now"),
            t._("/help_now: phone numbers and a coordinator, right away"),
            t._("/status: see your request"),
            t._("/name: the name your peer sees, and choosing another"),
            t._("/end: end your contact with a peer"),
            t._("/checkin plans a check-in; /checkins shows what is planned"),
            t._("/wellbeing: your answers to the wellbeing questions over time"),
            t._("/language: choose Danish or English"),
            t._("/privacy, /mydata, /delete: what we keep, a copy of it, delete it"),
            t._("/forget: clear the last 48 hours of this conversation")
            if web
            else t._("/forget: clear this chat's last 48 hours from your phone"),
        ]
    if role is Role.PEER:
        lines += [
            t._("/available and /away: say whether you can take new contacts"),
            t._("/mycontacts: your contacts; /end: end a contact"),
            t._("/profile: change your name, topics and capacity"),
            t._("/guide: what to do when worried, ending kindly, boundaries"),
        ]
    if role is Role.COORDINATOR:
        lines += coordinator_help_lines(t)
    if administrator:
        lines += [
            t._("/roles: who is coordinator or administrator"),
            t._("/addcoordinator, /removecoordinator, /addadmin, /removeadmin <Telegram id>"),
        ]
    return "\n".join(lines)


def coordinator_help_lines(t: Translator) -> list[str]:
    """Coordinators' commands: in their help, and all the coordinators' group hears of."""
    return [
        t._("/queue: open requests; /peers: peers and their load"),
        t._("/broadcast followed by a message: write to all peers"),
        t._("/invite: a single-use link for a new peer"),
        t._("/escalations: open and recent urgent requests"),
        t._("/audit: the latest coordinator actions"),
        t._("/onduty and /offduty: whether urgent alerts come to you"),
        t._("/stats [from to]: anonymous figures, e.g. /stats 2026-10-01 2026-10-31"),
        t._("/reports: peers' reports, with bar or dismiss"),
    ]


async def help_command(update: Update, context: Context) -> None:
    """Lists the commands this person can use."""
    turn = await begin(update, context)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        help_text(turn.t, turn.person.role, turn.person.is_administrator, web=turn.on_web),
        reply_markup=keyboards.only_help_now(turn.t),
    )


async def language_command(update: Update, context: Context) -> None:
    """Offers the languages."""
    turn = await begin(update, context)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        turn.t._("Which language would you like?"), reply_markup=keyboards.language_menu()
    )


async def language_button(update: Update, context: Context) -> None:
    """Shows the language menu or stores the chosen language."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")
    if parts[1] == "menu":
        await query.answer()
        await language_command(update, context)
        return
    code = parts[2] if len(parts) == 3 else ""
    turn = await begin(update, context)
    if code not in LANGUAGES:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    stored = await choose_language(turn.rt, turn.person.telegram_id, code)
    if not stored:
        turn.user_data[MEMORY_LANGUAGE] = code
    t = turn.rt.translator(code)
    await query.answer()
    await query.edit_message_text(t._("I will write to you in English from now on."))
    if stored:
        await sync_menu(context.bot, turn.rt, turn.person.telegram_id)


async def unknown_command(update: Update, context: Context) -> None:
    """Says the command is unknown and points to /help."""
    turn = await begin(update, context)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        turn.t._("I don't know that command. /help shows what I can do."),
        reply_markup=keyboards.only_help_now(turn.t),
    )


async def anything_else(update: Update, context: Context) -> None:
    """Answers a message nothing else could use, kindly and for the sender's situation."""
    await outside.kind_answer(await begin(update, context))


async def stale_button(update: Update, context: Context) -> None:
    """Answers a button press nothing recognised (old, or forged)."""
    turn = await begin(update, context)
    assert update.callback_query is not None
    await update.callback_query.answer(turn.t._("That button is no longer valid."))


def register(application: Application) -> None:
    """Register last in group 0: the catch-alls here answer only what no feature handled."""
    application.add_handler(CommandHandler("start", start, filters.ChatType.PRIVATE))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("language", language_command))
    application.add_handler(CallbackQueryHandler(language_button, pattern=r"^lang:"))
    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(filters.COMMAND & private, unknown_command))
    application.add_handler(MessageHandler(private & NOT_SERVICE, anything_else))
    application.add_handler(CallbackQueryHandler(stale_button))
