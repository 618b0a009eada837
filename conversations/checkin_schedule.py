"""Planning a check-in, call or meeting on a contact: kind -> when -> (day -> time) -> repeat
-> note -> confirm.

A peer plans on one of their contacts (choosing which when they have several), a citizen on
their own contact (check-in messages only). The draft row holds every answer and the step, so a
restart resumes here. Times are chosen and shown in the person's locale and the configured zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain import Checkin, Contact
from bot.errors import NotAllowed, UserInputError
from bot.scheduling import add_timers
from bot.services import checkins
from handlers.base import Context, Turn, begin
from handlers.keyboards import button, callback_parts

NAME = "checkin_schedule"
END = ConversationHandler.END
STEPS = ("kind", "when", "day", "time", "repeat", "note", "confirm")
HOURS = range(8, 22)
REPEATS = (0, 4, 8, 12)
DAYS_AHEAD = 14


async def _contacts(turn: Turn) -> list[Contact]:
    user = turn.person.user
    return await checkins.plannable_contacts(turn.rt, user.id) if user is not None else []


async def _draft(turn: Turn) -> Checkin | None:
    user = turn.person.user
    return await checkins.draft_of(turn.rt, user.id) if user is not None else None


def _summary(turn: Turn, draft: Checkin) -> str:
    t = turn.t
    lines = [t._("Please check:"), t._("What: {kind}", kind=t._(checkins.KIND_LABELS[draft.kind]))]
    if draft.local_time is not None:
        _, due_at, moved = checkins.occurrence(draft.local_time, turn.rt.config, draft.kind)
        lines.append(t._("When: {time}", time=t.weekday_datetime(due_at)))
        if moved and draft.kind == "checkin":
            lines.append(t._("That is in the night hours, so the message waits until morning."))
    if draft.repeat_weeks:
        lines.append(
            t.ngettext(
                "Repeats weekly for {n} more week",
                "Repeats weekly for {n} more weeks",
                draft.repeat_weeks,
            )
        )
    if draft.note:
        lines.append(t._("Note: {note}", note=draft.note))
    return "\n".join(lines)


def _question(turn: Turn, draft: Checkin, step: str) -> tuple[str, list[list[tuple[str, str]]]]:
    t, zone, now = turn.t, turn.rt.config.timezone, turn.rt.now()
    if step == "kind":
        rows = [
            [(t._(checkins.KIND_LABELS[code]), f"cis:kind:{code}")]
            for code in checkins.kinds(turn.rt.config)
        ]
        return t._("What would you like to plan?"), rows
    if step == "when":
        rows = [
            [(t._(label), f"cis:when:{code}")] for code, label in checkins.QUICK_CHOICES.items()
        ]
        rows.append([(t._("Choose day and time"), "cis:when:pick")])
        return t._("When?"), rows
    if step == "day":
        today = checkins.local_now(now, zone).date()
        days = [today + timedelta(days=n) for n in range(DAYS_AHEAD)]
        labels = [(t.day_label(day), f"cis:day:{day.isoformat()}") for day in days]
        return t._("Which day?"), [labels[i : i + 2] for i in range(0, len(labels), 2)]
    if step == "time":
        labels = [(t.clock(time(h)), f"cis:time:{h:02d}00") for h in HOURS]
        return (
            t._("At what time? Choose, or write a time like 18:30."),
            [labels[i : i + 4] for i in range(0, len(labels), 4)],
        )
    if step == "repeat":
        rows = [[(t._("Only once"), "cis:rep:0")]] + [
            [(t.ngettext("Every week for {n} week", "Every week for {n} weeks", n), f"cis:rep:{n}")]
            for n in REPEATS
            if n
        ]
        return t._("Should it repeat?"), rows
    if step == "note":
        return (
            t._(
                "If you like, write a short note for the peer (at most 200 characters), or "
                "press Skip."
            ),
            [[(t._("Skip"), "cis:skip:")]],
        )
    return _summary(turn, draft), [[(t._("Plan it"), "cis:ok:")]]


async def show(turn: Turn, draft: Checkin, step: str, *, edit: bool) -> str:
    text, rows = _question(turn, draft, step)
    navigation = [(turn.t._("Cancel"), "cis:cancel:")]
    if step not in ("kind", "when") or (
        step == "when" and draft.created_by == "peer" and draft.replaces_id is None
    ):
        navigation.insert(0, (turn.t._("Back"), "cis:back:"))
    markup = InlineKeyboardMarkup(
        [[button(label, data) for label, data in row] for row in [*rows, navigation]]
    )
    query = turn.update.callback_query
    if edit and query is not None:
        await query.edit_message_text(text, reply_markup=markup)
    else:
        await turn.context.bot.send_message(turn.chat_id, text, reply_markup=markup)
    return step


async def _go(turn: Turn, draft: Checkin, step: str, *, edit: bool = True, **values: object) -> str:
    assert turn.person.user is not None
    refreshed = await checkins.plan_step(turn.rt, draft, turn.person.user.id, step, **values)
    return await show(turn, refreshed, step, edit=edit)


async def checkin_command(update: Update, context: Context) -> str | int:
    """Starts planning, asking which contact when the peer has several."""
    turn = await begin(update, context)
    contacts = await _contacts(turn)
    if not contacts:
        await context.bot.send_message(
            turn.chat_id, turn.t._("Check-ins can be planned once you are in contact.")
        )
        return END
    if len(contacts) > 1:
        rows = [[button(c.citizen_name, f"cis:contact:{c.id}")] for c in contacts]
        await context.bot.send_message(
            turn.chat_id,
            turn.t._("Which contact is it for?"),
            reply_markup=InlineKeyboardMarkup(rows),
        )
        return END
    assert turn.person.user is not None
    draft = await checkins.start_draft(turn.rt, turn.person.user.id, contact_id=contacts[0].id)
    return await show(turn, draft, draft.step or "when", edit=False)


async def step_button(update: Update, context: Context) -> str | int:
    """Stores one answer from a button and shows the next step."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    _, action, value = callback_parts(query.data)
    if action == "contact":
        return await _start_for_contact(turn, value)
    if action == "resched":
        return await _reschedule(turn, value)
    draft = await _draft(turn)
    if draft is None or draft.step is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return END
    await query.answer()
    try:
        return await _answer(turn, draft, action, value)
    except (UserInputError, ValueError) as exc:
        message = (
            exc.message if isinstance(exc, UserInputError) else "That button is no longer valid."
        )
        await context.bot.send_message(turn.chat_id, turn.t._(message))
        return draft.step


async def _start_for_contact(turn: Turn, raw_id: str) -> str | int:
    query = turn.update.callback_query
    assert query is not None
    user = turn.person.user
    try:
        if not raw_id.isdigit() or user is None:
            raise NotAllowed("no such contact")
        draft = await checkins.start_draft(turn.rt, user.id, contact_id=int(raw_id))
    except NotAllowed:
        await query.answer(turn.t._("That button is no longer valid."))
        return END
    await query.answer()
    return await show(turn, draft, draft.step or "when", edit=True)


async def _reschedule(turn: Turn, raw_id: str) -> str | int:
    query = turn.update.callback_query
    assert query is not None
    user = turn.person.user
    try:
        if not raw_id.isdigit() or user is None:
            raise NotAllowed("no such check-in")
        draft = await checkins.start_draft(turn.rt, user.id, replaces_id=int(raw_id))
    except NotAllowed:
        await query.answer(turn.t._("That button is no longer valid."))
        return END
    await query.answer()
    return await show(turn, draft, "when", edit=False)


async def _answer(turn: Turn, draft: Checkin, action: str, value: str) -> str | int:
    query = turn.update.callback_query
    assert query is not None
    now, zone = turn.rt.now(), turn.rt.config.timezone
    if action == "cancel":
        assert turn.person.user is not None
        await checkins.discard_draft(turn.rt, draft, turn.person.user.id)
        await query.edit_message_text(turn.t._("Nothing was planned."))
        return END
    if action == "back":
        index = STEPS.index(draft.step or "when")
        previous = "when" if draft.step in ("repeat",) else STEPS[max(index - 1, 0)]
        if previous == "kind" and draft.created_by != "peer":
            previous = "when"
        return await _go(turn, draft, previous)
    if action == "kind" and value in checkins.kinds(turn.rt.config) and draft.created_by == "peer":
        return await _go(turn, draft, "when", kind=value)
    if action == "when" and value == "pick":
        return await _go(turn, draft, "day")
    if action == "when":
        return await _go(turn, draft, "repeat", local_time=checkins.quick_time(value, now, zone))
    if action == "day":
        day = date.fromisoformat(value)
        today = checkins.local_now(now, zone).date()
        if not today <= day < today + timedelta(days=DAYS_AHEAD):
            raise UserInputError("That button is no longer valid.")
        return await _go(turn, draft, "time", local_time=datetime.combine(day, time(12, 0)))
    if action == "time" and draft.local_time is not None:
        clock = checkins.parse_clock(value)
        return await _go(
            turn,
            draft,
            "repeat",
            local_time=draft.local_time.replace(hour=clock.hour, minute=clock.minute),
        )
    if action == "rep" and value.isdigit() and int(value) in REPEATS:
        return await _go(turn, draft, "note", repeat_weeks=int(value))
    if action == "skip":
        return await _go(turn, draft, "confirm", note=None)
    if action == "ok":
        return await _confirm(turn, draft)
    raise UserInputError("That button is no longer valid.")


async def typed_text(update: Update, context: Context) -> str | int:
    """Takes a typed time (time step) or the note (note step)."""
    turn = await begin(update, context)
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = await _draft(turn)
    if draft is None or draft.step not in ("time", "note"):
        await message.reply_text(turn.t._("Please use the buttons above."))
        return draft.step if draft and draft.step else END
    try:
        if draft.step == "time" and draft.local_time is not None:
            clock = checkins.parse_clock(message.text)
            return await _go(
                turn,
                draft,
                "repeat",
                edit=False,
                local_time=draft.local_time.replace(hour=clock.hour, minute=clock.minute),
            )
        return await _go(turn, draft, "confirm", edit=False, note=checkins.clean_note(message.text))
    except UserInputError as exc:
        await message.reply_text(turn.t._(exc.message))
        return draft.step


async def _confirm(turn: Turn, draft: Checkin) -> str | int:
    query = turn.update.callback_query
    assert query is not None
    assert turn.person.user is not None
    scheduled = await checkins.confirm(turn.rt, draft, turn.person.user.id)
    assert scheduled.due_at is not None
    add_timers(turn.context.application, scheduled.id, scheduled.due_at)
    await query.edit_message_text(
        turn.t._(
            "Planned for {time}. /checkins shows what is coming.",
            time=turn.t.weekday_datetime(scheduled.due_at),
        )
    )
    return END


def build_checkin_conversation() -> ConversationHandler:
    buttons = CallbackQueryHandler(step_button, pattern=r"^cis:")
    text = MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, typed_text)
    # Typed text only where the step asks for it: otherwise a peer's chat message must still
    # reach the relay even with a half-planned check-in.
    states: dict[object, list] = {  # type: ignore[type-arg]
        step: [buttons, text] if step in ("time", "note") else [buttons] for step in STEPS
    }
    return ConversationHandler(
        entry_points=[
            CommandHandler("checkin", checkin_command, filters.ChatType.PRIVATE),
            buttons,
        ],
        states=states,
        fallbacks=[],
        name=NAME,
        persistent=True,
        allow_reentry=True,
    )
