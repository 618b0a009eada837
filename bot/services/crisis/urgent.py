""" "I need help now": works for everyone, before consent too.

Before consent only what a coordinator needs to reach the person is stored: a made-up name, the
chat number and the language. The legal basis for that is not vital interests (GDPR Art.
9(2)(c) covers only someone physically or legally incapable of consenting, and a person who
presses a button usually can): it is for the organisation's data protection officer to decide
between the options set out in docs/legal-basis.md.

The escalation is committed before anything is sent. Crisis words written outside a contact
take the same path (`crisis_words`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.delivery.notices import help_now_labels
from bot.runtime import Runtime
from bot.services import intake, pseudonyms
from bot.services.crisis import escalation, safety
from bot.services.crisis.triage import TriageResult
from bot.services.office_hours import is_open, next_opening
from bot.storage import contacts as contact_store
from bot.storage import escalations as escalation_store
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage.users import Role, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UrgentOutcome:
    escalation_id: int | None
    stored_without_consent: bool
    office_open: bool
    next_opening_at: datetime
    nobody_reachable: bool = False


def urgent_update_check(rt: Runtime) -> Callable[[dict[str, Any]], bool]:
    """A cheap test on a raw update: "I need help now" in any form, or crisis words."""
    labels = help_now_labels()

    def is_urgent(raw: dict[str, Any]) -> bool:
        query = raw.get("callback_query")
        if query is not None:
            return query.get("data") == "urgent:now"
        message = raw.get("message") or raw.get("edited_message") or {}
        text = message.get("text") or ""
        if text.startswith("/help_now") or text in labels:
            return True
        # The verdict is kept for the handlers, so the detector runs once per message.
        return safety.remember(rt, raw["update_id"], text or message.get("caption")) is not None

    return is_urgent


async def help_now(
    rt: Runtime, telegram_id: int, language: str, *, source_key: str
) -> UrgentOutcome:
    return await raise_for(
        rt,
        telegram_id,
        language,
        reason=escalation.Reason.BUTTON,
        source_key=source_key,
        citizen_answered=True,
    )


async def raise_for(
    rt: Runtime,
    telegram_id: int,
    language: str,
    *,
    reason: escalation.Reason,
    source_key: str,
    categories: frozenset[str] = frozenset(),
    citizen_answered: bool,
) -> UrgentOutcome:
    """Raise an escalation for whoever wrote, stored or not, linked to their open request and
    active contact; before consent the person is stored with a made-up name and nothing else."""
    now = rt.now()
    async with rt.storage.transaction() as tx:
        existing = await user_store.by_telegram_id(tx, telegram_id)
        user: User = existing or await user_store.ensure(
            tx,
            telegram_id,
            Role.CITIZEN,
            now,
            language=language,
            pseudonym=pseudonyms.citizen_pseudonym(),
        )
        # A repeated press within the window joins the person's open alert; a press processed
        # again after a restart finds its own escalation and joins nothing.
        again = await escalation_store.by_source_key(tx, source_key)
        joined = None
        if reason is escalation.Reason.BUTTON and existing is not None and again is None:
            joined = await escalation.join_repeat(tx, rt, user.id, source_key)
        if joined is None:
            request = await request_store.open_for(tx, user.id)
            # The peer's contact, also while a coordinator talks with them: the alert names
            # the peer, and the peer hears what happened.
            contact = await contact_store.active_peer_for_citizen(
                tx, user.id
            ) or await contact_store.active_for_citizen(tx, user.id)
            await escalation.raise_in(
                tx,
                rt,
                reason=reason,
                citizen_id=user.id,
                request_id=request.id if request else None,
                contact_id=contact.id if contact else None,
                categories=categories,
                source_key=source_key,
                citizen_answered=citizen_answered,
                # Crisis words outside a contact were passed on to nobody.
                peer_saw_words=False,
            )
        raised = joined or await escalation_store.by_source_key(tx, source_key)
    rt.wake_delivery()
    config = rt.config
    return UrgentOutcome(
        escalation_id=raised.id if raised is not None else None,
        stored_without_consent=existing is None or not intake.has_consent(existing, rt.config),
        office_open=is_open(config.office_hours, now, config.timezone),
        next_opening_at=next_opening(config.office_hours, now, config.timezone),
        nobody_reachable=raised is not None and raised.unreached,
    )


async def crisis_words(
    rt: Runtime, telegram_id: int, language: str, result: TriageResult, *, source_key: str
) -> UrgentOutcome:
    """Crisis words written outside a contact: the same escalation as in a contact, raised like
    "I need help now" (so before consent the same little is stored). When no coordinator can be
    reached the citizen is told by the escalation's own message, as in a contact."""
    outcome = await raise_for(
        rt,
        telegram_id,
        language,
        reason=escalation.Reason.SIGNAL,
        categories=safety.signal_categories(result),
        source_key=source_key,
        citizen_answered=False,
    )
    log.info("crisis signal outside a contact -> escalation %s", outcome.escalation_id)
    return outcome
