"""Domain types shared by services, handlers and storage: who people are and the state of
what they asked for. Plain dataclasses and enums, no I/O, so that handlers and dialogues can
name them without importing the storage layer (which reads and writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Web chats are private chats to the bot, with ids Telegram never gives out: its user and chat
# ids have at most 52 significant bits. Below 2**53 they stay exact in JavaScript too.
WEB_CHAT_BASE = 2**52
WEB_CHAT_END = 2**53


def is_web_chat(chat_id: object) -> bool:
    return isinstance(chat_id, int) and WEB_CHAT_BASE <= chat_id < WEB_CHAT_END


class Role(StrEnum):
    CITIZEN = "citizen"
    PEER = "peer"
    COORDINATOR = "coordinator"


@dataclass(frozen=True)
class User:
    id: int
    telegram_id: int
    role: Role
    language: str | None
    pseudonym: str | None
    consent_version: int | None
    unreachable: bool
    barred_until: datetime | None = None


@dataclass(frozen=True)
class Contact:
    """An active or ended contact with both sides' Telegram ids and pseudonyms."""

    id: int
    kind: str
    request_id: int | None
    citizen_id: int
    peer_id: int
    citizen_chat: int
    peer_chat: int
    citizen_name: str
    peer_name: str
    citizen_language: str | None
    peer_language: str | None
    active: bool
    last_sender: str | None
    last_message_at: datetime | None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    peer_unreachable: bool = False  # the peer (or coordinator) blocked the bot
    handover_asked: bool = False  # the peer proposed a note for the next peer (once)


class RequestStatus(StrEnum):
    DRAFT = "draft"
    WAITING = "waiting"
    ACTIVE = "active"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Request:
    id: int
    citizen_id: int
    status: RequestStatus
    step: str | None
    topic: str | None
    language: str | None
    contact_form: str | None
    times: str | None
    note: str | None
    created_at: datetime
    submitted_at: datetime | None
    unanswered_at: datetime | None
    preferred_peer_id: int | None = None
    age_band: str | None = None
    requeued_at: datetime | None = None

    @property
    def waiting_since(self) -> datetime | None:
        """When the present wait for a peer began: sent, or handed back by a coordinator."""
        return self.requeued_at or self.submitted_at


class StaffRole(StrEnum):
    COORDINATOR = "coordinator"
    ADMINISTRATOR = "administrator"


class WellbeingStatus(StrEnum):
    OFFERED = "offered"
    ANSWERING = "answering"
    ANSWERED = "answered"
    SKIPPED = "skipped"


class PeerStatus(StrEnum):
    ONBOARDING = "onboarding"
    PENDING = "pending"
    APPROVED = "approved"
    PAUSED = "paused"
    REMOVED = "removed"


@dataclass(frozen=True)
class PeerProfile:
    user_id: int
    telegram_id: int
    pseudonym: str | None
    language: str | None
    status: PeerStatus
    step: str | None
    topics: frozenset[str]
    languages: frozenset[str]
    capacity: int
    availability: frozenset[str]
    away: bool
    away_until: datetime | None
    focus_contact_id: int | None
    active_contacts: int
    last_active_at: datetime | None
    undertaking_version: int | None = None
    undertaking_asked_version: int | None = None
    unreachable: bool = False  # blocked the bot: no offers until they come back


class ReportStatus(StrEnum):
    OPEN = "open"
    BARRED = "barred"
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class Report:
    id: int
    citizen_id: int | None
    peer_id: int | None
    contact_id: int | None
    reason: str
    note: str | None
    status: ReportStatus
    created_at: datetime
    decided_at: datetime | None
    barred_until: datetime | None
    citizen_name: str | None
    peer_name: str | None
    peer_chat: int | None


class CheckinStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    REMINDED = "reminded"  # a call or meeting whose reminder went out
    SENT = "sent"
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Checkin:
    id: int
    contact_id: int
    created_by: str
    kind: str
    status: CheckinStatus
    step: str | None
    local_time: datetime | None  # naive wall-clock time in the configured zone
    due_at: datetime | None
    quiet_moved: bool
    repeat_weeks: int
    note: str | None
    replaces_id: int | None
    fired_at: datetime | None
