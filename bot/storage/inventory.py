"""What the database holds about people, table by table and column by column.

The single description a data protection officer can read: each column's category, and each
table's purpose, retention and audience. A test keeps it equal to the real schema, so a new
column cannot appear without being described here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    NONE = "none"  # no information about a person
    ORDINARY = "ordinary"  # identifies or describes a person (e.g. a Telegram id)
    PSEUDONYMOUS = "pseudonymous"  # links to a person only through another table
    SPECIAL = "special"  # health-related (GDPR Art. 9)


@dataclass(frozen=True)
class Column:
    name: str
    category: Category
    holds: str


@dataclass(frozen=True)
class Table:
    name: str
    purpose: str
    retention: str
    seen_by: str
    columns: tuple[Column, ...]


# Short names keep the table below readable: None, Identifying, Pseudonymous, Special.
N, ID, P, S = Category.NONE, Category.ORDINARY, Category.PSEUDONYMOUS, Category.SPECIAL
CLOSED = "deleted with the person (/delete) or days after the case closes (retention.days)"


def _cols(*spec: tuple[str, Category, str]) -> tuple[Column, ...]:
    return tuple(Column(name, category, holds) for name, category, holds in spec)


INVENTORY: tuple[Table, ...] = (
    Table(
        "users",
        "know who writes, in which language, and whether they consented",
        CLOSED,
        "the bot; coordinators see pseudonyms",
        _cols(
            ("id", N, "internal number"),
            ("telegram_id", ID, "Telegram chat/user id"),
            ("role", P, "citizen, peer or coordinator"),
            ("language", P, "chosen language"),
            ("pseudonym", P, "made-up or chosen display name"),
            ("consent_version", P, "version of the privacy text agreed to"),
            ("consent_at", P, "when consent was given"),
            ("unreachable_at", P, "when the person blocked the bot"),
            ("created_at", P, "when first stored"),
        ),
    ),
    Table(
        "requests",
        "find a peer for a citizen",
        CLOSED,
        "the citizen, the offered peer, coordinators",
        _cols(
            ("id", N, "internal number"),
            ("citizen_id", P, "who asked"),
            ("status", P, "draft, waiting, active, closed, cancelled"),
            ("step", N, "intake step reached"),
            ("topic", S, "what it is about"),
            ("language", P, "language of the conversation"),
            ("contact_form", P, "chat, phone or meeting"),
            ("times", P, "when suits"),
            ("note", S, "the citizen's own words for the peer"),
            ("created_at", P, "time"),
            ("submitted_at", P, "time"),
            ("unanswered_at", P, "when raised to coordinators"),
            ("closed_at", P, "time"),
            ("close_reason", P, "who closed it"),
        ),
    ),
    Table(
        "offers",
        "offer a request to one peer at a time",
        CLOSED,
        "the bot, coordinators",
        _cols(
            ("id", N, "internal number"),
            ("request_id", P, "which request"),
            ("peer_id", P, "which peer"),
            ("status", P, "the peer's answer"),
            ("offered_at", P, "time"),
            ("expires_at", N, "deadline"),
            ("answered_at", P, "time"),
        ),
    ),
    Table(
        "contacts",
        "relay a conversation between a citizen and a peer",
        CLOSED,
        "both sides (by pseudonym), coordinators",
        _cols(
            ("id", N, "internal number"),
            ("kind", N, "peer or coordinator conversation"),
            ("request_id", P, "which request"),
            ("citizen_id", P, "the citizen"),
            ("peer_id", P, "the peer or coordinator"),
            ("status", P, "active or ended"),
            ("started_at", P, "time"),
            ("ended_at", P, "time"),
            ("ended_by", P, "which side"),
            ("last_sender", P, "who wrote last (name headers)"),
            ("last_message_at", P, "time of the last message"),
            ("crisis_notice_at", S, "when emergency lines were last shown for crisis words"),
        ),
    ),
    Table(
        "relay_messages",
        "thread replies to the right message; no text is kept",
        "7 days after the contact ends",
        "the bot only",
        _cols(
            ("chat_id", ID, "Telegram chat id"),
            ("message_id", N, "Telegram message number"),
            ("contact_id", P, "which contact"),
            ("other_chat_id", ID, "Telegram chat id"),
            ("other_message_id", N, "Telegram message number"),
            ("created_at", P, "time"),
        ),
    ),
    Table(
        "feedback",
        "learn whether contacts help",
        "comment and links removed after retention",
        "coordinators (anonymous figures)",
        _cols(
            ("id", N, "internal number"),
            ("contact_id", P, "which contact"),
            ("citizen_id", P, "who answered"),
            ("rating", S, "1-5"),
            ("comment", S, "optional sentence"),
            ("awaiting_comment", N, "dialogue state"),
            ("created_at", P, "time"),
        ),
    ),
    Table(
        "escalations",
        "get a human to someone who may be in crisis",
        CLOSED,
        "coordinators",
        _cols(
            ("id", N, "internal number"),
            ("source_key", N, "which update raised it"),
            ("reason", S, "help button, crisis words, peer concern, unanswered"),
            ("categories", S, "kind of crisis signal"),
            ("note", S, "a peer's concern"),
            ("citizen_id", P, "who"),
            ("request_id", P, "which request"),
            ("contact_id", P, "which contact"),
            ("status", N, "open or acknowledged"),
            ("created_at", P, "time"),
            ("acknowledged_by", ID, "coordinator's Telegram id"),
            ("acknowledged_at", P, "time"),
            ("renotified_at", N, "time"),
            ("backup_notified_at", N, "time"),
        ),
    ),
    Table(
        "checkins",
        "keep in touch between conversations",
        CLOSED,
        "the citizen and their peer",
        _cols(
            ("id", N, "internal number"),
            ("contact_id", P, "which contact"),
            ("created_by", P, "which side planned it"),
            ("kind", P, "message, call, meeting"),
            ("status", P, "planned, sent, answered"),
            ("step", N, "planning step"),
            ("local_time", P, "planned wall-clock time"),
            ("due_at", P, "planned moment"),
            ("quiet_moved", N, "moved out of the night"),
            ("repeat_weeks", P, "repeats left"),
            ("note", S, "note for the peer"),
            ("replaces_id", N, "rescheduled from"),
            ("fired_at", P, "time"),
            ("late", N, "sent late"),
            ("answer", S, "better, same, worse, would like to talk"),
            ("answered_at", P, "time"),
            ("created_at", P, "time"),
        ),
    ),
    Table(
        "peer_profiles",
        "match requests to volunteers",
        "while the person is a peer",
        "the peer, coordinators",
        _cols(
            ("user_id", P, "which peer"),
            ("status", P, "onboarding to approved"),
            ("step", N, "onboarding step"),
            ("topics", P, "topics they take"),
            ("languages", P, "languages"),
            ("capacity", P, "contacts at once"),
            ("availability", P, "usual times"),
            ("away", P, "away now"),
            ("away_until", P, "return date"),
            ("focus_contact_id", P, "writing to whom"),
            ("approved_at", P, "time"),
            ("last_active_at", P, "time"),
        ),
    ),
    Table(
        "invites",
        "let a new peer join once",
        "until used, then unlinked with the person",
        "coordinators",
        _cols(
            ("id", N, "internal number"),
            ("code", N, "single-use code"),
            ("created_at", N, "time"),
            ("expires_at", N, "time"),
            ("used_at", P, "time"),
            ("used_by", P, "the peer who joined"),
        ),
    ),
    Table(
        "inbox",
        "never lose an update that arrived",
        "until handled (seconds)",
        "the bot only",
        _cols(
            ("update_id", N, "Telegram update number"),
            ("chat_id", ID, "Telegram chat id"),
            ("payload", S, "the raw update, message text included"),
            ("received_at", N, "time"),
        ),
    ),
    Table(
        "outbox",
        "deliver what must arrive",
        "text removed once sent; rows after retention",
        "the bot only",
        _cols(
            ("id", N, "internal number"),
            ("chat_id", ID, "Telegram chat id"),
            ("method", N, "Bot API method"),
            ("params", S, "message text until sent"),
            ("priority", N, "urgent first"),
            ("purpose", N, "why it is sent"),
            ("ref_id", N, "what caused it"),
            ("status", N, "pending, sent, ..."),
            ("attempts", N, "tries"),
            ("not_before", N, "time"),
            ("created_at", N, "time"),
            ("sent_at", N, "time"),
            ("message_id", N, "Telegram message number"),
        ),
    ),
    Table(
        "audit",
        "account for coordinators' actions",
        "kept with the service",
        "coordinators",
        _cols(
            ("id", N, "internal number"),
            ("actor_id", ID, "coordinator's Telegram id"),
            ("action", N, "what was done"),
            ("target", P, "on which item"),
            ("created_at", N, "time"),
        ),
    ),
    Table(
        "meta",
        "facts the bot keeps about itself",
        "while installed",
        "the bot only",
        _cols(("key", N, "name"), ("value", N, "value")),
    ),
)


def described_columns() -> dict[str, set[str]]:
    return {table.name: {column.name for column in table.columns} for table in INVENTORY}
