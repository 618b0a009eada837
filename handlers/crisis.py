"""Crisis words are heard wherever a citizen writes: before consent, in any step of a dialogue,
while waiting, in a contact, after it ended, when barred, in a text or a caption, and in a
message edited afterwards.

Registered in the urgent group (-1), before every dialogue, so that no conversation state and
no catch-all can take such a message as an ordinary answer. The detector's verdict comes from
the poller (`bot.services.crisis.safety`), so an ordinary message costs a dictionary look-up here.

Decided per situation, and then nothing else handles the update:
- in a contact (with a peer or a coordinator) the message is relayed as always, never blocked,
  then escalated, answered with the emergency lines (at most once an hour) and the peer gets a
  discreet note: exactly what happens for any message there (`handlers.relay`);
- anywhere else the escalation is raised like "I need help now" (before consent the same little
  is stored, and the citizen is told what) and the citizen gets the same answer as in a
  contact; in the middle of asking for a peer they then see their step again, and at the note
  step their words become the note they were asked for. A dialogue never takes the message
  as its answer besides.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.runtime import RUNTIME_KEY, Runtime
from bot.services import situation
from bot.services.crisis import safety, urgent
from bot.services.crisis.triage import TriageResult
from bot.services.situation import Where
from conversations import intake as intake_dialogue
from handlers import citizen, relay
from handlers.base import Context, begin
from handlers.urgent import GROUP


class _CrisisWords(filters.UpdateFilter):
    """A new private message (not a command) whose text or caption the detector flagged; the
    verdict reaches the callback as ``context.crisis``."""

    __slots__ = ("_rt",)

    def __init__(self, rt: Runtime) -> None:
        super().__init__(name="CRISIS_WORDS", data_filter=True)
        self._rt = rt

    def filter(self, update: Update) -> dict[str, Any] | None:  # type: ignore[override]
        message = update.message or update.edited_message
        if message is None:
            return None
        text = message.text or message.caption
        if not text:
            return None
        if message.chat.type != ChatType.PRIVATE or filters.COMMAND.filter(message):
            safety.forget(self._rt, update.update_id)
            return None
        result = safety.verdict(self._rt, update.update_id, text)
        return {"crisis": result} if result is not None else None


async def crisis_words(update: Update, context: Context) -> None:
    """Answers a citizen's crisis words and alerts coordinators, whatever they were doing."""
    result: TriageResult = context.crisis  # type: ignore[attr-defined]
    turn = await begin(update, context)
    found = await situation.of(turn.rt, turn.person)
    if found.where is Where.STAFF:
        return  # not a citizen's signal: the message goes on as usual
    edited = update.edited_message is not None
    # An edit is never passed on, so in a contact it is raised like words outside one: the peer
    # did not receive these words and gets no note about them.
    if not edited and found.where is Where.IN_CONTACT and await relay.flagged_message(turn, result):
        raise ApplicationHandlerStop
    outcome = await urgent.crisis_words(
        turn.rt,
        turn.person.telegram_id,
        turn.person.language,
        result,
        source_key=f"update:{update.update_id}",
    )
    await citizen.show_crisis_lines(turn, stored_without_consent=outcome.stored_without_consent)
    if not edited and found.where is Where.INTAKE and found.request is not None:
        await intake_dialogue.after_crisis_words(turn, found.request)
    raise ApplicationHandlerStop


def register(application: Application) -> None:
    """After "I need help now" in the urgent group, so its button text is never counted twice."""
    words = _CrisisWords(application.bot_data[RUNTIME_KEY])
    application.add_handler(MessageHandler(words, crisis_words), group=GROUP)
