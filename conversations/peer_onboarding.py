"""Peer onboarding (and /profile): name, topics, languages, capacity, availability.

A peer arrives through a coordinator's single-use link (``/start inv_...``). Each answer is
stored on the peer's profile with the step reached, so a restart resumes at the same step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.config import Config, labels
from bot.domain import PeerProfile
from bot.errors import UserInputError
from bot.i18n import LANGUAGES, Translator
from bot.services import contacts as contact_service
from bot.services import peers
from bot.services.office_hours import SLOTS
from bot.services.peers import Step
from handlers.base import Context, Turn, begin
from handlers.keyboards import button, callback_parts

Callback = Callable[[Update, Context], Awaitable[None]]
NAME = "peer_onboarding"
END = ConversationHandler.END


def _options(t: Translator, step: Step, topics: tuple[str, ...]) -> list[tuple[str, str]]:
    if step is Step.TOPICS:
        return [(labels.topic(t, code), code) for code in topics]
    if step is Step.LANGUAGES:
        return [(labels.language(code), code) for code in LANGUAGES]
    if step is Step.AVAILABILITY:
        return [(t._(labels.TIMES[code]), code) for code in SLOTS]
    if step is Step.CAPACITY:
        return [(str(n), str(n)) for n in range(1, peers.MAX_CAPACITY + 1)]
    return []


def _chosen(profile: PeerProfile, step: Step) -> frozenset[str]:
    return {
        Step.TOPICS: profile.topics,
        Step.LANGUAGES: profile.languages,
        Step.AVAILABILITY: profile.availability,
        Step.CAPACITY: frozenset({str(profile.capacity)}),
    }.get(step, frozenset())


async def show(turn: Turn, profile: PeerProfile, step: Step, *, edit: bool) -> str:
    t = turn.t
    questions = {
        Step.NAME: t._(
            "Welcome! Which name should citizens see? Your first name or a made-up "
            "name is fine. Write it here."
        ),
        Step.TOPICS: t._("Which topics can you talk about? Choose all that fit, then Done."),
        Step.LANGUAGES: t._("Which languages can you talk in? Choose, then Done."),
        Step.CAPACITY: t._("How many citizens can you have contact with at the same time?"),
        Step.AVAILABILITY: t._("When are you usually available? Choose, then Done."),
        Step.UNDERTAKING: undertaking_prompt(t, turn.rt.config),
    }
    rows = []
    chosen = _chosen(profile, step)
    for label, code in _options(t, step, turn.rt.config.topics):
        mark = "✓ " if code in chosen else ""
        rows.append([button(mark + label, f"onb:{step.value}:{code}")])
    if step in (Step.TOPICS, Step.LANGUAGES, Step.AVAILABILITY):
        rows.append([button(t._("Done"), f"onb:{step.value}:done")])
    if step is Step.UNDERTAKING:
        rows.append([button(t._("I accept"), f"onb:{step.value}:yes")])
    markup = InlineKeyboardMarkup(rows) if rows else None
    query = turn.update.callback_query
    if edit and query is not None:
        await query.edit_message_text(questions[step], reply_markup=markup)
    else:
        await turn.context.bot.send_message(turn.chat_id, questions[step], reply_markup=markup)
    return step.value


async def start_with_invite(update: Update, context: Context) -> str | int:
    """Uses the invitation in the deep link and asks for the peer's name."""
    turn = await begin(update, context)
    if turn.on_web:
        await context.bot.send_message(
            turn.chat_id,
            turn.t._(
                "Invitations for peers work in Telegram, where peers get requests and talk "
                "with coordinators. Please open the link in the Telegram app."
            ),
        )
        return END
    payload = (context.args or [""])[0]
    user = await peers.redeem(turn.rt, payload, turn.person.telegram_id, turn.person.language)
    profile = await peers.profile_of(turn.rt, user)
    if profile is None:
        await context.bot.send_message(
            turn.chat_id,
            turn.t._(
                "This invitation link is not valid: it may have been used already or have "
                "expired. Please ask your coordinator for a new one."
            ),
        )
        return END
    return await show(turn, profile, Step.NAME, edit=False)


async def profile_command(update: Update, context: Context) -> str | int:
    """Lets an approved peer go through their settings again."""
    turn = await begin(update, context)
    profile = await peers.profile_of(turn.rt, turn.person.user)
    if profile is None:
        await context.bot.send_message(turn.chat_id, turn.t._("This command is for peers."))
        return END
    await peers.restart_profile(turn.rt, profile)
    return await show(turn, profile, Step.NAME, edit=False)


async def name_text(update: Update, context: Context) -> str | int:
    """Stores the display name and asks for topics."""
    turn = await begin(update, context)
    message = update.effective_message
    assert message is not None
    profile = await peers.profile_of(turn.rt, turn.person.user)
    if profile is None:
        return END
    try:
        await peers.set_name(turn.rt, profile, message.text or "")
    except UserInputError as exc:
        await message.reply_text(turn.t._(exc.message))
        return Step.NAME.value
    return await show(turn, profile, Step.TOPICS, edit=False)


async def option_button(update: Update, context: Context) -> str | int:
    """Toggles a choice, or moves on with Done."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    profile = await peers.profile_of(turn.rt, turn.person.user)
    _, raw_step, value = callback_parts(query.data)
    valid_step = profile is not None and profile.step == raw_step
    if not valid_step or profile is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return profile.step if profile and profile.step else END
    step = Step(raw_step)
    codes = {code for _, code in _options(turn.t, step, turn.rt.config.topics)}
    if step is Step.UNDERTAKING and value != "yes":
        await query.answer(turn.t._("That button is no longer valid."))
        return step.value
    if (
        (value == "done" and _chosen(profile, step))
        or (step is Step.CAPACITY and value in codes)
        or step is Step.UNDERTAKING
    ):
        if step is Step.CAPACITY:
            await peers.set_capacity(turn.rt, profile, int(value))
        if step is Step.UNDERTAKING:
            await peers.accept_undertaking(turn.rt, profile)
        await query.answer()
        following = await peers.advance(turn.rt, profile, step)
        if following is None:
            await query.edit_message_text(_finished_text(turn, profile))
            return END
        refreshed = await peers.profile_of(turn.rt, turn.person.user)
        assert refreshed is not None
        return await show(turn, refreshed, following, edit=True)
    if value == "done":
        await query.answer(turn.t._("Please choose at least one."))
        return step.value
    if value not in codes:
        await query.answer(turn.t._("That button is no longer valid."))
        return step.value
    await query.answer()
    profile = await peers.toggle(turn.rt, profile, step, value)
    return await show(turn, profile, step, edit=True)


def undertaking_prompt(t: Translator, config: Config) -> str:
    return "\n\n".join(
        [
            peers.undertaking_text(t, config),
            t._("Please read it and press I accept. Your answer is recorded with the date."),
        ]
    )


def _finished_text(turn: Turn, profile: PeerProfile) -> str:
    if profile.status.value == "onboarding":
        return turn.t._(
            "Thank you! Your profile is saved. A coordinator will approve you "
            "before the first offer; I will tell you here."
        )
    return turn.t._("Your profile is saved.")


def use_the_buttons(pass_on: Callback) -> Callback:
    """The answer to a message mid-dialogue: a peer with contacts is chatting (they may be
    mid-/profile), so `pass_on` (the relay) takes it; anyone else is pointed to the buttons."""

    async def answer(update: Update, context: Context) -> None:
        turn = await begin(update, context)
        user = turn.person.user
        if user is not None and await contact_service.of_peer(turn.rt, user.id):
            await pass_on(update, context)
            return
        assert update.effective_message is not None
        await update.effective_message.reply_text(turn.t._("Please use the buttons above."))

    return answer


def build_peer_onboarding_conversation(pass_on: Callback) -> ConversationHandler:
    """`pass_on` handles a chat message of a peer in contact (the relay's, given by the app so
    that this dialogue does not import another audience's handlers)."""
    buttons = CallbackQueryHandler(option_button, pattern=r"^onb:")
    other = MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, use_the_buttons(pass_on))
    private_text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    states: dict[object, list] = {  # type: ignore[type-arg]
        step.value: [buttons, other] for step in Step if step is not Step.NAME
    }
    states[Step.NAME.value] = [MessageHandler(private_text, name_text), other]
    return ConversationHandler(
        entry_points=[
            CommandHandler(
                "start",
                start_with_invite,
                filters.ChatType.PRIVATE & filters.Regex(rf"^/start {peers.INVITE_PREFIX}"),
            ),
            CommandHandler("profile", profile_command, filters.ChatType.PRIVATE),
            buttons,
        ],
        states=states,
        fallbacks=[],
        name=NAME,
        persistent=True,
        allow_reentry=True,
    )
