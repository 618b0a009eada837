"""Crisis signals in what citizens write: never blocks a message, always reaches a human.

A hit raises an escalation (once per source update) and tells the caller to show the emergency
lines; the relay also tells the peer discreetly. Matched text is never stored or logged.
"""

from __future__ import annotations

import logging

from bot.runtime import Runtime
from bot.services import escalation
from bot.services.triage import TriageResult
from bot.storage.contacts import Contact
from bot.storage.requests import Request

log = logging.getLogger(__name__)


def signal_categories(result: TriageResult) -> frozenset[str]:
    """What the escalation keeps of a signal: its categories and, if known, its level."""
    level = getattr(result, "level", None)
    return result.categories | ({f"level:{int(level)}"} if level is not None else set())


def check(rt: Runtime, text: str | None) -> TriageResult | None:
    """Run the detector; None when there is nothing to check or nothing found."""
    if not text or rt.detector is None:
        return None
    result = rt.detector.check(text)
    return result if result.flagged else None


async def check_intake_note(rt: Runtime, request: Request, text: str, *, source_key: str) -> bool:
    result = check(rt, text)
    if result is None:
        return False
    escalation_id = await escalation.raise_escalation(
        rt,
        reason=escalation.Reason.SIGNAL,
        citizen_id=request.citizen_id,
        request_id=request.id,
        categories=signal_categories(result),
        source_key=source_key,
    )
    log.info("crisis signal in intake of request %d -> escalation %s", request.id, escalation_id)
    return True


async def check_relayed(
    rt: Runtime, contact: Contact, text: str | None, *, source_key: str
) -> bool:
    result = check(rt, text)
    if result is None:
        return False
    escalation_id = await escalation.raise_escalation(
        rt,
        reason=escalation.Reason.SIGNAL,
        citizen_id=contact.citizen_id,
        request_id=contact.request_id,
        contact_id=contact.id,
        categories=signal_categories(result),
        source_key=source_key,
    )
    log.info("crisis signal in contact %d -> escalation %s", contact.id, escalation_id)
    return True
