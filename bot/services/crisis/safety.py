"""Crisis signals in what citizens write: never blocks a message, always reaches a human.

The detector runs once per message: the poller asks it when it sorts urgent updates first
(`remember`), and the handlers read that verdict (`verdict`) instead of asking again. A hit
raises an escalation (once per source update) and tells the caller to show the emergency lines;
in a contact the relay also tells the peer discreetly, outside one `bot.services.crisis.urgent`
raises it like "I need help now". Matched text is never stored or logged.
"""

from __future__ import annotations

import logging

from bot.runtime import Runtime
from bot.services import peer_care
from bot.services.crisis import escalation
from bot.services.crisis.triage import TriageResult
from bot.storage import contacts as contact_store
from bot.storage import escalations as escalation_store
from bot.storage import peer_events as event_store
from bot.storage.contacts import Contact

log = logging.getLogger(__name__)

# Verdicts wait here from the poller to the handlers: a batch is at most 100 updates, so this
# covers a long backlog; a verdict pushed out early is simply computed again.
VERDICTS_KEEP = 4096


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


def _verdicts(rt: Runtime) -> dict[int, TriageResult | None]:
    return rt.triage_verdicts


def remember(rt: Runtime, update_id: int, text: str | None) -> TriageResult | None:
    """Check a message's text (or caption) as it arrives and keep the verdict for its handlers."""
    result = check(rt, text)
    verdicts = _verdicts(rt)
    if len(verdicts) >= VERDICTS_KEEP:
        del verdicts[next(iter(verdicts))]  # the oldest: dicts keep insertion order
    verdicts[update_id] = result
    return result


def verdict(rt: Runtime, update_id: int, text: str | None) -> TriageResult | None:
    """The verdict on an update's text: the one kept when it arrived, else checked now (an
    update recovered from the inbox after a restart, or one pushed out of memory)."""
    verdicts = _verdicts(rt)
    if update_id in verdicts:
        return verdicts.pop(update_id)
    return check(rt, text)


def forget(rt: Runtime, update_id: int) -> None:
    """Drop the verdict of an update no handler asks about (a command, a group message)."""
    _verdicts(rt).pop(update_id, None)


async def signal_in_contact(
    rt: Runtime,
    contact: Contact,
    result: TriageResult,
    *,
    source_key: str,
    peer_saw_words: bool,
) -> int | None:
    """Raise the escalation for crisis words a citizen wrote in a contact (with a peer or a
    coordinator); None when this update raised it already.

    Written in a coordinator's conversation, the alert still links the citizen's contact with
    their peer, if any, so coordinators see who the peer is."""
    linked = contact
    if contact.kind != "peer":
        linked = await contact_store.active_peer_for_citizen(rt.storage, contact.citizen_id) or (
            contact
        )
    escalation_id = await escalation.raise_escalation(
        rt,
        reason=escalation.Reason.SIGNAL,
        citizen_id=linked.citizen_id,
        request_id=linked.request_id,
        contact_id=linked.id,
        categories=signal_categories(result),
        source_key=source_key,
        peer_saw_words=peer_saw_words and linked.id == contact.id,
    )
    log.info("crisis signal in contact %d -> escalation %s", contact.id, escalation_id)
    return escalation_id


async def peer_received_later(rt: Runtime, contact: Contact, source_key: str) -> None:
    """Words held back (whom is this for?) reached the peer after their alert was raised (with
    `source_key`, linked to this contact): now it is a heavy moment for the peer, once (not
    again when the same update is handled twice)."""
    async with rt.storage.transaction() as tx:
        raised = await escalation_store.by_source_key(tx, source_key)
        if (
            raised is None
            or raised.contact_id != contact.id
            or await event_store.has_kind_since(
                tx, contact.peer_id, escalation.Reason.SIGNAL.value, raised.created_at
            )
        ):
            return
        await peer_care.heavy_moment(
            tx,
            rt,
            contact.peer_id,
            escalation.Reason.SIGNAL.value,
            citizen_name=contact.citizen_name,
        )
    rt.wake_delivery()
