"""Intake: a citizen asks for a peer in under a minute, with buttons only.

    (age, before consent) -> consent -> age -> topic -> language -> contact form -> times
        -> note (optional text) -> confirm

The contact form is asked only where the organisation offers more than chat
(``[contact_forms]``); otherwise the request is a chat and the step numbers count one fewer.

The age band comes first, so that nobody below the minimum age types their story: a newcomer
answers it before consent (kept in memory only, so a minor leaves nothing behind) and the draft
starts at the topic; someone who consented earlier answers it as the draft's first step. A band
below the minimum age discards the draft and refers the person to services for young people.

Each answer is stored on the draft request as it is given; "Back" and "Cancel" work at every
step, and after a restart the citizen continues where they were.
"""

from __future__ import annotations

import json

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.config import Config, labels
from bot.domain import Request, RequestStatus
from bot.errors import UserInputError
from bot.i18n import LANGUAGES, Translator
from bot.services import forget, intake, matching, names, reports, waiting, wellbeing
from bot.services.intake import Step
from bot.telegram.sent import MEMORY_UNRECORDED
from handlers import keyboards, outside, screens, texts
from handlers.base import (
    MEMORY_AGE,
    MEMORY_ASKED_AGE,
    Context,
    Turn,
    begin,
    call_unparsed,
    edit_pressed,
)
from handlers.keyboards import button

NAME = "intake"
END = ConversationHandler.END
TIME_CHOICES = ("weekday_day", "evening", "weekend", "weekday_day,evening,weekend")


def _contact_question(t: Translator, config: Config) -> str:
    """What each offered form means, so nobody gives away a number without knowing it."""
    lines = [
        t._("How would you like to be in contact?"),
        t._("• Chat: here in the bot. Your peer does not see your name or your number."),
    ]
    if "phone" in config.contact_forms:
        lines.append(
            t._(
                "• Phone call: you give your peer your phone number yourself, here in the chat, "
                "and they call you. Then your peer knows your number."
            )
        )
    if "meeting" in config.contact_forms:
        lines.append(
            t._(
                "• Meeting: at {organisation}, {address}. Your peer meets you there, "
                "never anywhere else.",
                organisation=config.organisation_name,
                address=config.organisation_address,
            )
        )
    return "\n".join(lines)


def _question(
    t: Translator,
    step: Step,
    request: Request,
    config: Config,
    name: str | None = None,
    *,
    web: bool = False,
) -> str:
    shown = intake.steps(config)
    questions = {
        Step.AGE: texts.age_question(t, config, before_consent=False),
        Step.TOPIC: t._("What would you like to talk about?"),
        Step.LANGUAGE: t._("Which language would you like to talk in?"),
        Step.CONTACT_FORM: _contact_question(t, config),
        Step.TIMES: t._("When suits you best?"),
        Step.NOTE: t._(
            "If you like, write a few words for the peer about what is on your mind "
            "(at most 500 characters). Or press Skip."
        ),
    }
    if step in questions:
        return (
            t._("Step {number} of {total}", number=shown.index(step) + 1, total=len(shown))
            + "\n"
            + questions[step]
        )
    lines = [
        texts.limits(t, config),
        "",
        t._("Please check your request:"),
        t._("Age: {band}", band=labels.stored_age_band(t, request.age_band)),
        t._("Topic: {topic}", topic=labels.topic(t, request.topic)),
        t._("Language: {language}", language=labels.language(request.language)),
        t._("Contact: {form}", form=labels.contact_form(t, request.contact_form)),
        t._("When: {times}", times=labels.times(t, request.times)),
    ]
    if request.note:
        lines.append(t._("Your words: {note}", note=request.note))
    if name:
        lines += ["", names.told_name(t, name, web=web)]
    return "\n".join(lines)


def _choices(t: Translator, step: Step, config: Config) -> list[tuple[str, str]]:
    if step is Step.AGE:
        return [(labels.age_band(t, band), str(band.low)) for band in config.age_bands]
    if step is Step.TOPIC:
        return [(labels.topic(t, code), code) for code in config.topics]
    if step is Step.LANGUAGE:
        return [(labels.language(code), code) for code in LANGUAGES]
    if step is Step.CONTACT_FORM:
        return [(labels.contact_form(t, code), code) for code in config.contact_forms]
    if step is Step.TIMES:
        return [
            (labels.times(t, code) if "," not in code else t._("Any time"), code)
            for code in TIME_CHOICES
        ]
    return []


def _keyboard(
    t: Translator, step: Step, config: Config, earlier_peer: str | None
) -> InlineKeyboardMarkup:
    rows = [[button(label, f"intake:set:{code}")] for label, code in _choices(t, step, config)]
    if step is Step.NOTE:
        rows.append([button(t._("Skip"), "intake:skip")])
    if step is Step.CONFIRM and earlier_peer:
        rows.append([button(t._("Send, and ask {name} first", name=earlier_peer), "intake:again")])
    if step is Step.CONFIRM:
        rows.append([button(t._("Choose another name"), "name:ask")])
        rows.append([button(t._("Send request"), "intake:send")])
    navigation = [button(t._("Cancel"), "intake:cancel")]
    if step is not Step.AGE:
        navigation.insert(0, button(t._("Back"), "intake:back"))
    rows.append(navigation)
    rows.append([keyboards.help_now_button(t)])
    return InlineKeyboardMarkup(rows)


_KEYBOARDS: dict[tuple[object, ...], str] = {}


def _keyboard_json(t: Translator, step: Step, config: Config, earlier_peer: str | None) -> str:
    """The step's buttons as the Bot API takes them (JSON text). They depend only on the
    language, the step, the configured topics, age bands and contact forms and the earlier
    peer's name, so
    each combination is built and encoded once, not at every press."""
    key = (t, step, config.topics, config.age_bands, config.contact_forms, earlier_peer)
    known = _KEYBOARDS.get(key)
    if known is None:
        if len(_KEYBOARDS) >= 256:
            _KEYBOARDS.clear()
        markup = _keyboard(t, step, config, earlier_peer).to_dict()
        known = _KEYBOARDS[key] = json.dumps(markup, ensure_ascii=False)
    return known


async def show(
    turn: Turn, request: Request, step: Step, *, edit: bool, preface: str | None = None
) -> str:
    """Show the question for `step` (after `preface`, if any); returns the conversation state."""
    if (shown := intake.asked(step, turn.rt.config)) is not step:
        request, step = await intake.go_to(turn.rt, request, shown), shown  # no longer asked
    user = turn.person.user
    name = user.pseudonym if user is not None and step is Step.CONFIRM else None
    text = _question(turn.t, step, request, turn.rt.config, name, web=turn.on_web)
    if preface:
        text = f"{preface}\n\n{text}"
    earlier = (
        await intake.previous_peer(turn.rt, request.citizen_id) if (step is Step.CONFIRM) else None
    )
    markup = _keyboard_json(turn.t, step, turn.rt.config, earlier[1] if earlier else None)
    query = turn.update.callback_query
    if edit and query is not None and query.message is not None:
        await edit_pressed(turn, text, markup)
    else:
        await call_unparsed(
            turn, "sendMessage", chat_id=turn.chat_id, text=text, reply_markup=markup
        )
    return step.value


async def begin_intake(turn: Turn) -> str | int:
    """Starts a new draft or shows the open request (one open request per citizen)."""
    assert turn.person.user is not None
    if until := reports.barred_until(turn.rt, turn.person.user):
        await screens.tell_barred(turn, until)
        return END
    remembered = intake.age_band(turn.rt.config, turn.user_data.pop(MEMORY_AGE, None))
    started = await intake.start(turn.rt, turn.person.user, remembered)
    request = started.request
    if request.status is not RequestStatus.DRAFT:
        await screens.show_status(turn, request)
        return END
    if request.age_band is None and request.step != Step.AGE:
        request = await intake.go_to(turn.rt, request, Step.AGE)  # a draft from before ages
    return await show(turn, request, Step(request.step or Step.AGE), edit=False)


async def age_chosen(update: Update, context: Context) -> int:
    """Refers someone too young elsewhere (storing nothing), or asks an adult for consent."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    band = intake.age_band(turn.rt.config, (query.data or "").removeprefix("age:"))
    if band is None or turn.person.is_peer or turn.person.is_coordinator:
        await query.answer(turn.t._("That button is no longer valid."))
        return END
    await query.answer()
    turn.user_data.pop(MEMORY_ASKED_AGE, None)
    if turn.rt.config.is_minor(band):
        turn.user_data.pop(MEMORY_AGE, None)
        await edit_pressed(
            turn,
            texts.youth_referral(
                turn.t,
                turn.rt.config,
                stored=turn.person.user is not None,
                web=turn.on_web,
            ),
            keyboards.only_help_now(turn.t),
        )
        return END
    turn.user_data[MEMORY_AGE] = str(band.low)
    await edit_pressed(
        turn, turn.t._("Thank you. Your answer: {band}", band=labels.age_band(turn.t, band))
    )
    if intake.has_consent(turn.person.user, turn.rt.config):
        return await begin_intake(turn)
    await screens.ask_consent(turn)
    return END


async def ask_for_peer(update: Update, context: Context) -> str | int:
    """Asks for consent first, or goes straight to intake for someone who consented."""
    turn = await begin(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    if turn.person.is_peer or turn.person.is_coordinator:
        await context.bot.send_message(
            turn.chat_id,
            turn.t._("You are registered as staff or a peer here; /help shows what you can do."),
        )
        return END
    if not intake.has_consent(turn.person.user, turn.rt.config):
        if turn.user_data.get(MEMORY_AGE) is None:
            await screens.ask_age_first(turn)
        else:
            await screens.ask_consent(turn)
        return END
    return await begin_intake(turn)


async def consent_given(update: Update, context: Context) -> str | int:
    """Stores the consent and starts intake."""
    turn = await begin(update, context)
    assert update.callback_query is not None
    await update.callback_query.answer()
    await intake.give_consent(turn.rt, turn.person.telegram_id, turn.person.language)
    forget.remember_earlier(turn.rt, turn.chat_id, turn.user_data.pop(MEMORY_UNRECORDED, []))
    turn = await begin(update, context)
    query = update.callback_query
    assert query.message is not None
    await call_unparsed(
        turn,
        "editMessageReplyMarkup",
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
    )
    await call_unparsed(
        turn,
        "sendMessage",
        chat_id=turn.chat_id,
        text=turn.t._(
            "Thank you. Your answer is saved; you can change your mind at any time. The "
            "button at the top is always there if you need help now."
        )
        if turn.on_web  # the web page keeps it at the top, Telegram under the text box
        else turn.t._(
            "Thank you. Your answer is saved; you can change your mind at any time. The "
            "button at the bottom is always there if you need help now."
        ),
        reply_markup=keyboards.help_now_keyboard(turn.t),
    )
    return await begin_intake(turn)


async def _draft(turn: Turn) -> Request | None:
    if turn.person.user is None:
        return None
    return await intake.draft_of(turn.rt, turn.person.user)


async def step_button(update: Update, context: Context) -> str | int:
    """Stores the answer from a button and shows the next step."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    request = await _draft(turn)
    if request is None or request.step is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return END
    step = Step(request.step)
    action, _, value = query.data.removeprefix("intake:").partition(":")
    if request.age_band is None and step is not Step.AGE and action != "cancel":
        await query.answer()  # a draft from before the age question: ask it first
        request = await intake.go_to(turn.rt, request, Step.AGE)
        return await show(turn, request, Step.AGE, edit=True)
    if action == "cancel":
        await intake.abandon(turn.rt, request)
        await query.answer()
        await edit_pressed(turn, _cancelled(turn))
        return END
    band = intake.age_band(turn.rt.config, value) if step is Step.AGE else None
    if action == "set" and band is not None and turn.rt.config.is_minor(band):
        await intake.abandon(turn.rt, request)
        await query.answer()
        await query.edit_message_text(
            texts.youth_referral(
                turn.t,
                turn.rt.config,
                stored=turn.person.user is not None,
                web=turn.on_web,
            ),
            reply_markup=keyboards.only_help_now(turn.t),
        )
        return END
    if action == "back":
        request = await intake.go_to(turn.rt, request, intake.previous_step(step, turn.rt.config))
    elif action == "set" and band is not None:
        request = await intake.answer(turn.rt, request, step, band.code)
    elif action == "set" and value in {code for _, code in _choices(turn.t, step, turn.rt.config)}:
        request = await intake.answer(turn.rt, request, step, value)
    elif action == "skip" and step is Step.NOTE:
        request = await intake.answer(turn.rt, request, step, None)
    elif action in {"send", "again"} and (until := reports.barred_until(turn.rt, turn.person.user)):
        await query.answer()
        await query.edit_message_reply_markup(None)
        await screens.tell_barred(turn, until)
        return END
    elif action == "send" and step is Step.CONFIRM:
        await query.answer()
        return await _send(turn, request)
    elif (
        action == "again"
        and step is Step.CONFIRM
        and (earlier := await intake.previous_peer(turn.rt, request.citizen_id))
    ):
        await intake.prefer_peer(turn.rt, request, earlier[0])
        await query.answer()
        return await _send(turn, request)
    else:
        await query.answer(turn.t._("That button is no longer valid."))
        return step.value
    await query.answer()
    return await show(turn, request, Step(request.step or Step.AGE), edit=True)


async def typed_answer(update: Update, context: Context) -> str | int:
    """Takes the note at the note step; at any other step, or for media, kindly shows the step
    again with its buttons. The step comes from the draft, so it is right after any restart."""
    turn = await begin(update, context)
    request = await _draft(turn)
    if request is None:  # sent or cancelled meanwhile
        await outside.kind_answer(turn)
        return END
    return await _take_note_or_remind(turn, request)


async def after_crisis_words(turn: Turn, request: Request) -> None:
    """After the answer to crisis words (`handlers.crisis`), the citizen sees where they are in
    their request. At the note step their words are the note they were asked for, as any note."""
    await _take_note_or_remind(turn, request, reminded=False)


async def _take_note_or_remind(turn: Turn, request: Request, *, reminded: bool = True) -> str:
    message = turn.update.effective_message
    assert message is not None
    step = Step(request.step or Step.AGE)
    if step is Step.NOTE and message.text:
        try:
            request = await intake.answer(turn.rt, request, Step.NOTE, message.text)
        except UserInputError as exc:
            await message.reply_text(turn.t._(exc.message))
            return step.value
        return await show(turn, request, Step.CONFIRM, edit=False)
    preface = None
    if reminded:
        preface = (texts.words_reminder if step is Step.NOTE else texts.buttons_reminder)(turn.t)
    return await show(turn, request, step, edit=False, preface=preface)


async def cancel_command(update: Update, context: Context) -> int:
    """Cancels intake from a command."""
    turn = await begin(update, context)
    request = await _draft(turn)
    if request is not None:
        await intake.abandon(turn.rt, request)
    assert update.effective_message is not None
    await update.effective_message.reply_text(_cancelled(turn))
    return END


def _cancelled(turn: Turn) -> str:
    """Nothing of a cancelled draft is kept; in the web chat the conversation itself still
    shows what was written, until it is deleted as it always is."""
    if turn.on_web:
        return turn.t._(
            "Your request has been cancelled and nothing from it was kept, apart from this "
            "conversation itself. You can start again at any time with /start."
        )
    return turn.t._(
        "Your request has been cancelled and nothing from it was kept. You can "
        "start again at any time with /start."
    )


async def _send(turn: Turn, request: Request) -> int:
    await intake.submit(turn.rt, request)
    query = turn.update.callback_query
    assert query is not None
    sent = turn.t._(
        "Your request has been sent. A peer will see what you wrote, but not your name or "
        "number. We cannot promise when a peer will answer; I will write here as soon as "
        "someone says yes. You can see your request with /status."
    )
    wait = texts.expected_wait(turn.t, await waiting.typical_wait(turn.rt))
    form = texts.chosen_contact_form(turn.t, turn.rt.config, request.contact_form)
    sent = f"{sent}\n\n{form}" if form else sent
    await edit_pressed(turn, f"{sent}\n\n{wait}", keyboards.only_help_now(turn.t))
    await screens.tell_if_outside_office_hours(turn)
    await matching.offer_next(turn.rt, request.id)
    # The questionnaire is offered once the request is waiting, never inside intake.
    if turn.person.user is not None:
        await wellbeing.offer_at_intake(turn.rt, turn.person.user, request.id, turn.t)
    return END


def build_intake_conversation() -> ConversationHandler:
    # Also an entry point: the step lives in the database, so a button works even if the
    # conversation's in-memory state was lost. Typed messages are read against the draft's
    # step too. Crisis words never arrive here: `handlers.crisis` takes them first (group -1).
    buttons = CallbackQueryHandler(step_button, pattern=r"^intake:")
    typed = MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, typed_answer)
    states: dict[object, list] = {step.value: [buttons, typed] for step in Step}  # type: ignore[type-arg]
    return ConversationHandler(
        entry_points=[
            CallbackQueryHandler(ask_for_peer, pattern=r"^citizen:ask$"),
            CallbackQueryHandler(consent_given, pattern=r"^consent:yes$"),
            CallbackQueryHandler(age_chosen, pattern=r"^age:"),
            CommandHandler("request", ask_for_peer, filters.ChatType.PRIVATE),
            buttons,
        ],
        states=states,
        fallbacks=[CommandHandler("cancel", cancel_command)],
        name=NAME,
        persistent=True,
        allow_reentry=True,
    )
