"""Where a citizen stands, so that whatever they write outside a contact gets an answer that fits.

Read only when it is needed (a message nothing else took, or crisis words), never on the
relay's path: there a contact is found by the relay itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from bot.runtime import Runtime
from bot.services import intake, reports
from bot.services.people import Person
from bot.storage import contacts as contact_store
from bot.storage import requests as request_store
from bot.storage.contacts import Contact
from bot.storage.requests import Request, RequestStatus

_EVER = datetime(1970, 1, 1, tzinfo=UTC)


class Where(StrEnum):
    STAFF = "staff"  # a peer or a coordinator: not a citizen
    NEWCOMER = "newcomer"  # has not agreed (maybe stored by "I need help now" before consent)
    NO_REQUEST = "no_request"  # agreed, nothing open, never had a contact
    INTAKE = "intake"  # in the middle of asking for a peer (a draft request)
    WAITING = "waiting"  # the request waits for a peer to say yes
    IN_CONTACT = "in_contact"  # with a peer or a coordinator: what they write is relayed
    ENDED = "ended"  # had a contact with a peer, nothing open now
    BARRED = "barred"  # may not ask for a peer until a date


@dataclass(frozen=True)
class Situation:
    where: Where
    request: Request | None = None
    contact: Contact | None = None
    barred_until: datetime | None = None


async def of(rt: Runtime, person: Person) -> Situation:
    """The one state that decides the answer; a contact wins (the relay serves it), then a bar."""
    if person.is_peer or person.is_coordinator:
        return Situation(Where.STAFF)
    user = person.user
    if user is None:
        return Situation(Where.NEWCOMER)
    contact = await contact_store.active_for_citizen(rt.storage, user.id)
    if contact is not None:
        return Situation(Where.IN_CONTACT, contact=contact)
    if until := reports.barred_until(rt, user):
        return Situation(Where.BARRED, barred_until=until)
    if not intake.has_consent(user, rt.config):
        return Situation(Where.NEWCOMER)
    request = await request_store.open_for(rt.storage, user.id)
    if request is not None and request.status is RequestStatus.DRAFT:
        return Situation(Where.INTAKE, request=request)
    if request is not None and request.status is RequestStatus.WAITING:
        return Situation(Where.WAITING, request=request)
    if await contact_store.last_ended_peer(rt.storage, user.id, _EVER) is not None:
        return Situation(Where.ENDED)
    return Situation(Where.NO_REQUEST)
