"""What the database holds about people, table by table and column by column.

The single description a data protection officer can read: each column's category, and each
table's purpose, retention and audience. A test keeps it equal to the real schema, so a new
column cannot appear without being described here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.i18n import N_


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
    """One table. `mine` selects a person's rows for /mydata (SQL with ``:user``, their internal
    number, and ``:telegram``, their Telegram id); every column is then in the copy, shown as
    the SQL in `shown_as` (another person by pseudonym, say) or named in `withheld` with the
    reason it is left out. A table without `mine` says in `not_in_copy` why it has no rows of
    anyone's own."""

    name: str
    purpose: str
    retention: str
    seen_by: str
    columns: tuple[Column, ...]
    mine: str | None = None
    shown_as: dict[str, str] = field(default_factory=dict)
    withheld: dict[str, str] = field(default_factory=dict)
    not_in_copy: str | None = None


# Short names keep the table below readable: None, Identifying, Pseudonymous, Special.
N, ID, P, S = Category.NONE, Category.ORDINARY, Category.PSEUDONYMOUS, Category.SPECIAL
CLOSED = N_(
    "deleted on /delete, or when the retention period after the request or contact ended has passed"
)


# Why a column is not in a person's copy of their data (/mydata).
INTERNAL = N_("an internal number that means nothing outside the bot")
OWN_TELEGRAM_ID = N_("your own Telegram id, left out so the file is safe to pass on")
OTHER_TELEGRAM_ID = N_("another person's Telegram id")
STEP = N_("where a dialogue had got to, only while it runs")
OTHER_PEER = "(SELECT pseudonym FROM users WHERE id = {column})"


def _pseudonym(column: str) -> str:
    """Another person in the copy: by made-up name, never by number."""
    return OTHER_PEER.format(column=column)


def _cols(*spec: tuple[str, Category, str]) -> tuple[Column, ...]:
    return tuple(Column(name, category, holds) for name, category, holds in spec)


INVENTORY: tuple[Table, ...] = (
    Table(
        "users",
        N_("know who writes, in which language, and whether they consented"),
        CLOSED,
        N_("the bot; coordinators see pseudonyms"),
        _cols(
            ("id", N, N_("internal number")),
            ("telegram_id", ID, N_("Telegram chat/user id")),
            ("role", P, N_("citizen, peer or coordinator")),
            ("language", P, N_("chosen language")),
            ("pseudonym", P, N_("made-up or chosen display name")),
            ("consent_version", P, N_("version of the privacy text agreed to")),
            ("consent_at", P, N_("when consent was given")),
            ("unreachable_at", P, N_("when the person blocked the bot")),
            ("on_duty", N, N_("a coordinator on duty")),
            ("barred_until", P, N_("until when a reported citizen cannot ask for a peer")),
            ("created_at", P, N_("when first stored")),
        ),
        mine="id = :user",
        withheld={"id": INTERNAL, "telegram_id": OWN_TELEGRAM_ID},
    ),
    Table(
        "requests",
        N_("find a peer for a citizen"),
        CLOSED,
        N_("the citizen, the offered peer, coordinators"),
        _cols(
            ("id", N, N_("internal number")),
            ("citizen_id", P, N_("who asked")),
            ("status", P, N_("draft, waiting, active, closed, cancelled")),
            ("step", N, N_("intake step reached")),
            ("topic", S, N_("what it is about")),
            ("language", P, N_("language of the conversation")),
            ("contact_form", P, N_("chat, phone or meeting")),
            ("times", P, N_("when suits")),
            ("note", S, N_("the citizen's own words for the peer")),
            ("created_at", P, N_("time")),
            ("submitted_at", P, N_("time")),
            ("unanswered_at", P, N_("when raised to coordinators")),
            ("closed_at", P, N_("time")),
            ("close_reason", P, N_("who closed it, or the coordinator's reason")),
            ("preferred_peer_id", P, N_("an earlier peer asked first")),
            ("requeued_at", P, N_("when a coordinator handed it to another peer")),
            ("age_band", P, N_("age band, e.g. 18 or over (never below the minimum age)")),
            ("first_contact_at", P, N_("when a peer first said yes")),
        ),
        mine="citizen_id = :user",
        shown_as={"preferred_peer_id": _pseudonym("preferred_peer_id")},
        withheld={"citizen_id": INTERNAL, "step": STEP},
    ),
    Table(
        "offers",
        N_("offer a request to one peer at a time"),
        CLOSED,
        N_("the bot, coordinators"),
        _cols(
            ("id", N, N_("internal number")),
            ("request_id", P, N_("which request")),
            ("peer_id", P, N_("which peer")),
            ("status", P, N_("the peer's answer")),
            ("offered_at", P, N_("time")),
            ("expires_at", N, N_("deadline")),
            ("answered_at", P, N_("time")),
        ),
        mine="peer_id = :user OR request_id IN (SELECT id FROM requests WHERE citizen_id = :user)",
        shown_as={"peer_id": _pseudonym("peer_id")},
        withheld={"id": INTERNAL},
    ),
    Table(
        "contacts",
        N_("relay a conversation between a citizen and a peer"),
        CLOSED,
        N_("both sides (by pseudonym), coordinators"),
        _cols(
            ("id", N, N_("internal number")),
            ("kind", N, N_("peer or coordinator conversation")),
            ("request_id", P, N_("which request")),
            ("citizen_id", P, N_("the citizen")),
            ("peer_id", P, N_("the peer or coordinator")),
            ("status", P, N_("active or ended")),
            ("started_at", P, N_("time")),
            ("ended_at", P, N_("time")),
            ("ended_by", P, N_("which side")),
            ("last_sender", P, N_("who wrote last (to ask whom a message is for)")),
            ("last_message_at", P, N_("time of the last message")),
            ("crisis_notice_at", S, N_("when emergency lines were last shown for crisis words")),
            ("handover_asked_at", P, N_("when the peer proposed a note for the next peer")),
            ("handover_prompt_id", N, N_("Telegram message number")),
        ),
        mine="citizen_id = :user OR peer_id = :user",
        shown_as={"citizen_id": _pseudonym("citizen_id"), "peer_id": _pseudonym("peer_id")},
        withheld={"handover_prompt_id": INTERNAL},
    ),
    Table(
        "relay_messages",
        N_("thread replies to the right message; no text is kept"),
        N_("7 days after the contact ends"),
        N_("the bot only"),
        _cols(
            ("chat_id", ID, N_("Telegram chat id")),
            ("message_id", N, N_("Telegram message number")),
            ("contact_id", P, N_("which contact")),
            ("other_chat_id", ID, N_("Telegram chat id")),
            ("other_message_id", N, N_("Telegram message number")),
            ("created_at", P, N_("time")),
            ("copy_kind", N, N_("for the bot's copy of someone's message: text, caption or none")),
        ),
        mine="chat_id = :telegram",
        withheld={"chat_id": OWN_TELEGRAM_ID, "other_chat_id": OTHER_TELEGRAM_ID},
    ),
    Table(
        "feedback",
        N_("learn whether contacts help"),
        N_("comment and links removed after retention"),
        N_("coordinators (anonymous figures)"),
        _cols(
            ("id", N, N_("internal number")),
            ("contact_id", P, N_("which contact")),
            ("citizen_id", P, N_("who answered")),
            ("rating", S, N_("1-5")),
            ("comment", S, N_("optional sentence")),
            ("awaiting_comment", N, N_("dialogue state")),
            ("created_at", P, N_("time")),
        ),
        mine="citizen_id = :user",
        withheld={"id": INTERNAL, "citizen_id": INTERNAL, "awaiting_comment": STEP},
    ),
    Table(
        "escalations",
        N_("get a human to someone who may be in crisis"),
        CLOSED,
        N_("coordinators"),
        _cols(
            ("id", N, N_("internal number")),
            ("source_key", N, N_("which update raised it")),
            ("reason", S, N_("help button, crisis words, peer concern, unanswered")),
            ("categories", S, N_("kind of crisis signal")),
            ("note", S, N_("a peer's concern")),
            ("citizen_id", P, N_("who")),
            ("request_id", P, N_("which request")),
            ("contact_id", P, N_("which contact")),
            ("status", N, N_("open or acknowledged")),
            ("created_at", P, N_("time")),
            ("acknowledged_by", ID, N_("coordinator's Telegram id")),
            ("acknowledged_at", P, N_("time")),
            ("renotified_at", N, N_("time")),
            ("backup_notified_at", N, N_("time")),
            ("unreached_at", N, N_("when no coordinator could be reached")),
            ("alarmed_at", N, N_("when the e-mail alarm was decided")),
            ("repeat_count", S, N_("how often the help button was pressed again")),
            ("last_repeat_at", P, N_("time")),
            ("repeat_noted_at", N, N_("when coordinators were last told of a repeat")),
            ("note_prompt_id", N, N_("Telegram message number")),
        ),
        mine="citizen_id = :user",
        withheld={
            "source_key": N_("which Telegram update raised it, an internal reference"),
            "citizen_id": INTERNAL,
            "acknowledged_by": OTHER_TELEGRAM_ID,
            "note_prompt_id": INTERNAL,
        },
    ),
    Table(
        "alarms",
        N_("alert by e-mail or SMS when no coordinator answers on Telegram"),
        N_("rows after retention"),
        N_("the bot only; the e-mail goes to the configured addresses"),
        _cols(
            ("id", N, N_("internal number")),
            ("escalation_id", N, N_("which urgent request (its number only)")),
            ("stage", N, N_("unacknowledged or unreachable")),
            ("reason", N, N_("kind of reason")),
            ("raised_at", N, N_("time")),
            ("status", N, N_("pending, sent, cancelled")),
            ("delivered_to", ID, N_("staff addresses already sent to, until all are")),
            ("attempts", N, N_("tries")),
            ("last_error", N, N_("the mail server's status code")),
            ("not_before", N, N_("time")),
            ("created_at", N, N_("time")),
            ("sent_at", N, N_("time")),
        ),
        not_in_copy=N_(
            "alarms to staff carry only the number of an urgent request, nothing about you"
        ),
    ),
    Table(
        "checkins",
        N_("keep in touch between conversations"),
        CLOSED,
        N_("the citizen and their peer"),
        _cols(
            ("id", N, N_("internal number")),
            ("contact_id", P, N_("which contact")),
            ("created_by", P, N_("which side planned it")),
            ("kind", P, N_("message, call, meeting")),
            ("status", P, N_("planned, sent, answered")),
            ("step", N, N_("planning step")),
            ("local_time", P, N_("planned wall-clock time")),
            ("due_at", P, N_("planned moment")),
            ("quiet_moved", N, N_("moved out of the night")),
            ("repeat_weeks", P, N_("repeats left")),
            ("note", S, N_("note for the peer")),
            ("replaces_id", N, N_("rescheduled from")),
            ("fired_at", P, N_("time")),
            ("late", N, N_("sent late")),
            ("answer", S, N_("better, same, worse, would like to talk")),
            ("answered_at", P, N_("time")),
            ("created_at", P, N_("time")),
        ),
        mine="contact_id IN (SELECT id FROM contacts WHERE citizen_id = :user OR peer_id = :user)",
        withheld={"step": STEP, "replaces_id": INTERNAL},
    ),
    Table(
        "wellbeing",
        N_("show whether peer support helps (WHO-5), if the citizen chooses to answer"),
        CLOSED,
        N_("the citizen; coordinators see only anonymous figures"),
        _cols(
            ("id", N, N_("internal number")),
            ("citizen_id", P, N_("who answered")),
            ("request_id", P, N_("which request")),
            ("occasion", P, N_("at the request, after 4 or 8 weeks")),
            ("status", P, N_("offered, answering, answered, skipped")),
            ("answers", S, N_("the five answers, 0-5 each")),
            ("score", S, N_("WHO-5 score, 0-100")),
            ("baseline", S, N_("the score at the request, for the change")),
            ("offered_at", P, N_("time")),
            ("answered_at", P, N_("time")),
            ("talk_asked_at", S, N_("when the citizen asked to talk with a coordinator")),
            ("talk_taken_by", ID, N_("the coordinator who took the wish to talk")),
            ("talk_contact_id", P, N_("the conversation that coordinator opened")),
        ),
        mine="citizen_id = :user",
        withheld={
            "id": INTERNAL,
            "citizen_id": INTERNAL,
            "talk_taken_by": OTHER_TELEGRAM_ID,
        },
    ),
    Table(
        "peer_profiles",
        N_("match requests to volunteers"),
        N_("while the person is a peer"),
        N_("the peer, coordinators"),
        _cols(
            ("user_id", P, N_("which peer")),
            ("status", P, N_("onboarding to approved")),
            ("step", N, N_("onboarding step")),
            ("topics", P, N_("topics they take")),
            ("languages", P, N_("languages")),
            ("capacity", P, N_("contacts at once")),
            ("availability", P, N_("usual times")),
            ("away", P, N_("away now")),
            ("away_until", P, N_("return date")),
            ("focus_contact_id", P, N_("writing to whom")),
            ("approved_at", P, N_("time")),
            ("last_active_at", P, N_("time")),
            ("undertaking_version", P, N_("version of the confidentiality undertaking accepted")),
            ("undertaking_at", P, N_("when it was accepted")),
            ("undertaking_asked_version", P, N_("last version they were asked to accept")),
        ),
        mine="user_id = :user",
        withheld={"user_id": INTERNAL, "step": STEP},
    ),
    Table(
        "reports",
        N_("protect peers: a peer's report on a citizen, and the coordinators' decision"),
        N_(
            "when the retention period after the report (and any bar) has passed; when the "
            "citizen erases their data, the note and every link to them go at once, and a keyed "
            "mark keeps the bar and the reporting peer apart from them until then"
        ),
        N_("coordinators; the citizen and the peer in their copy of their data"),
        _cols(
            ("id", N, N_("internal number")),
            ("citizen_id", P, N_("who was reported")),
            ("citizen_mark", P, N_("after an erasure: a keyed mark of the Telegram id instead")),
            ("peer_id", P, N_("the peer who reported")),
            ("contact_id", P, N_("which contact")),
            ("reason", S, N_("abusive, sexual content, boundaries, other")),
            ("note", S, N_("the peer's own words")),
            ("status", P, N_("open, barred or dismissed")),
            ("created_at", P, N_("time")),
            ("decided_by", ID, N_("coordinator's Telegram id")),
            ("decided_at", P, N_("time")),
            ("barred_until", P, N_("end of the bar")),
            ("note_prompt_id", N, N_("Telegram message number")),
        ),
        mine="citizen_id = :user OR peer_id = :user",
        shown_as={"citizen_id": _pseudonym("citizen_id"), "peer_id": _pseudonym("peer_id")},
        withheld={
            "citizen_mark": N_("set only after an erasure, in place of the person"),
            "decided_by": OTHER_TELEGRAM_ID,
            "note_prompt_id": INTERNAL,
        },
    ),
    Table(
        "staff_roles",
        N_("know who may act as coordinator or administrator"),
        N_("until an administrator removes the role"),
        N_("administrators"),
        _cols(
            ("telegram_id", ID, N_("Telegram user id")),
            ("role", N, N_("coordinator or administrator")),
            ("added_by", ID, N_("administrator's Telegram id")),
            ("added_at", N, N_("time")),
        ),
        mine="telegram_id = :telegram",
        withheld={"telegram_id": OWN_TELEGRAM_ID, "added_by": OTHER_TELEGRAM_ID},
    ),
    Table(
        "peer_events",
        N_("offer peers care and breaks after heavy moments"),
        N_("deleted with the peer"),
        N_("the bot; coordinators see a weekly count"),
        _cols(
            ("id", N, N_("internal number")),
            ("peer_id", P, N_("which peer")),
            ("kind", P, N_("what happened (escalation reason, block)")),
            ("created_at", P, N_("time")),
            ("follow_up_at", N, N_("when to ask how they are")),
            ("debrief_asked_at", P, N_("when a debrief was asked for")),
        ),
        mine="peer_id = :user",
        withheld={"id": INTERNAL, "peer_id": INTERNAL},
    ),
    Table(
        "handover_notes",
        N_("let a citizen's next peer know what helped, if the citizen agrees"),
        CLOSED,
        N_("the citizen; the next peer, once the citizen agreed"),
        _cols(
            ("id", N, N_("internal number")),
            ("citizen_id", P, N_("about whom")),
            ("from_peer_id", P, N_("which peer wrote it")),
            ("note", S, N_("the note")),
            ("status", P, N_("waiting for the citizen, or kept")),
            ("created_at", P, N_("time")),
        ),
        mine="citizen_id = :user OR from_peer_id = :user",
        shown_as={
            "citizen_id": _pseudonym("citizen_id"),
            "from_peer_id": _pseudonym("from_peer_id"),
        },
        withheld={"id": INTERNAL},
    ),
    Table(
        "invites",
        N_("let a new peer join once"),
        N_("until used, then unlinked with the person"),
        N_("coordinators"),
        _cols(
            ("id", N, N_("internal number")),
            ("code", N, N_("single-use code")),
            ("created_at", N, N_("time")),
            ("expires_at", N, N_("time")),
            ("used_at", P, N_("time")),
            ("used_by", P, N_("the peer who joined")),
        ),
        mine="used_by = :user",
        withheld={"id": INTERNAL, "used_by": INTERNAL},
    ),
    Table(
        "inbox",
        N_("never lose an update that arrived"),
        N_("until handled (seconds)"),
        N_("the bot only"),
        _cols(
            ("update_id", N, N_("Telegram update number")),
            ("chat_id", ID, N_("Telegram chat id")),
            ("payload", S, N_("the raw update without names or usernames, message text included")),
            ("received_at", N, N_("time")),
            ("tries", N, N_("how many start-ups found it unfinished")),
        ),
        not_in_copy=N_("updates are here only while they are handled, a few seconds"),
    ),
    Table(
        "inbox_set_aside",
        N_("keep the bot running when an update cannot be read or handled"),
        N_("until an operator deletes it"),
        N_("operators"),
        _cols(
            ("update_id", N, N_("Telegram update number")),
            ("fields", N, N_("names of the fields it had, no values")),
            ("error", N, N_("kind of error")),
            ("tries", N, N_("how many start-ups found it unfinished")),
            ("set_aside_at", N, N_("time")),
        ),
        not_in_copy=N_("field names and the kind of error only: nothing about anyone"),
    ),
    Table(
        "inbox_seen",
        N_("handle an update once even when Telegram sends it twice"),
        N_("one day, at most the last 10,000"),
        N_("the bot only"),
        _cols(
            ("update_id", N, N_("Telegram update number")),
            ("seen_at", N, N_("time")),
        ),
        not_in_copy=N_("update numbers and times only: nothing about anyone"),
    ),
    Table(
        "outbox",
        N_("deliver what must arrive"),
        N_("text removed once sent, given up or erased; rows after retention"),
        N_("the bot only"),
        _cols(
            ("id", N, N_("internal number")),
            ("chat_id", ID, N_("Telegram chat id")),
            ("method", N, N_("Bot API method")),
            ("params", S, N_("message text until sent")),
            ("priority", N, N_("urgent first")),
            ("purpose", N, N_("why it is sent")),
            ("ref_id", N, N_("what caused it")),
            ("status", N, N_("pending, sent, ...")),
            ("attempts", N, N_("tries")),
            ("not_before", N, N_("time")),
            ("created_at", N, N_("time")),
            ("sent_at", N, N_("time")),
            ("message_id", N, N_("Telegram message number")),
            ("tried", N, N_("how often sending was started")),
            ("repeat_note", N, N_("the line that says a resent alert may repeat one")),
        ),
        mine="chat_id = :telegram",
        withheld={
            "chat_id": OWN_TELEGRAM_ID,
            "params": N_("the words of a message to you, which you have in your chat"),
            "ref_id": INTERNAL,
        },
    ),
    Table(
        "recent_messages",
        N_("let /forget delete the last 48 hours' messages from a private chat; no text is kept"),
        N_("48 hours; at once on /forget or /delete"),
        N_("the bot only"),
        _cols(
            ("chat_id", ID, N_("Telegram chat id")),
            ("message_id", N, N_("Telegram message number")),
            ("sent_at", P, N_("time")),
            ("from_bot", N, N_("sent by the bot or by the person")),
        ),
        mine="chat_id = :telegram",
        withheld={"chat_id": OWN_TELEGRAM_ID},
    ),
    Table(
        "audit",
        N_("account for coordinators' actions"),
        N_("kept with the service"),
        N_("coordinators"),
        _cols(
            ("id", N, N_("internal number")),
            ("actor_id", ID, N_("coordinator's Telegram id")),
            ("action", N, N_("what was done")),
            ("target", ID, N_("on which item (a Telegram id for role changes)")),
            ("created_at", N, N_("time")),
        ),
        mine="actor_id = :telegram",
        withheld={"actor_id": OWN_TELEGRAM_ID, "target": N_("may be another person's Telegram id")},
    ),
    Table(
        "stat_archive",
        N_("keep anonymous figures when the rows behind them are deleted"),
        N_("kept with the service"),
        N_("coordinators (anonymous figures)"),
        _cols(
            ("kind", N, N_("which figure (a request, an answered offer, a score, ...)")),
            ("day", N, N_("local day, no time of day")),
            ("value", N, N_("minutes (to 5), rating or score (to 4 points); no link to anyone")),
            ("n", N, N_("how many such facts that day")),
        ),
        not_in_copy=N_("anonymous figures with no link to anyone"),
    ),
    Table(
        "broadcasts",
        N_("let coordinators write to all peers, and limit how often"),
        N_("text removed once sent; rows after retention"),
        N_("coordinators"),
        _cols(
            ("id", N, N_("internal number")),
            ("actor_id", ID, N_("coordinator's Telegram id")),
            ("text", P, N_("the message, until it is sent")),
            ("recipients", N, N_("how many peers got it")),
            ("created_at", N, N_("time")),
            ("sent_at", N, N_("time")),
        ),
        mine="actor_id = :telegram",
        withheld={"actor_id": OWN_TELEGRAM_ID},
    ),
    Table(
        "escalation_presses",
        N_("count a repeated press of the help button once, even when it is handled again"),
        N_("with its escalation"),
        N_("the bot only"),
        _cols(
            ("source_key", N, N_("which update was the press")),
            ("escalation_id", P, N_("which escalation it joined")),
        ),
        mine="escalation_id IN (SELECT id FROM escalations WHERE citizen_id = :user)",
        withheld={"source_key": INTERNAL},
    ),
    Table(
        "chat_migrations",
        N_("follow the coordinators' group when Telegram makes it a supergroup"),
        N_("kept with the service"),
        N_("the bot only; the operator is told the new id"),
        _cols(
            ("old_chat_id", N, N_("the group's former Telegram id")),
            ("new_chat_id", N, N_("the group's new Telegram id")),
            ("migrated_at", N, N_("time")),
        ),
        not_in_copy=N_("the coordinators' group's ids: nothing about anyone"),
    ),
    Table(
        "command_menus",
        N_("give each person the command menu of their role"),
        N_("at once on /delete"),
        N_("the bot only"),
        _cols(
            ("chat_id", ID, N_("Telegram chat id")),
            ("menu", P, N_("which roles' commands and language the menu shows")),
        ),
        mine="chat_id = :telegram",
        withheld={"chat_id": OWN_TELEGRAM_ID},
    ),
    Table(
        "community_saved",
        N_("keep the communities and activities a citizen saved from the organisation's list"),
        N_("deleted on /delete, by the citizen, or when the retention period has passed"),
        N_("the citizen"),
        _cols(
            ("id", N, N_("internal number")),
            ("citizen_id", P, N_("who saved it")),
            ("community_key", S, N_("which community or activity (it may hint at health)")),
            ("saved_at", P, N_("time")),
        ),
        mine="citizen_id = :user",
        withheld={"id": INTERNAL, "citizen_id": INTERNAL},
    ),
    Table(
        "community_followups",
        N_("ask, with the citizen's consent, whether they got to try a community or activity"),
        N_(
            "which activity and when to ask, until answered; then only the answer, with the "
            "contact it came from, until that contact is deleted; all of it on /delete"
        ),
        N_("the citizen; coordinators see only anonymous figures"),
        _cols(
            ("id", N, N_("internal number")),
            ("citizen_id", P, N_("who agreed to be asked")),
            ("contact_id", P, N_("the contact in which it was shared or saved")),
            ("community_key", S, N_("which community or activity, until answered")),
            ("created_at", P, N_("time")),
            ("due_at", P, N_("when to ask")),
            ("asked_at", P, N_("when asked")),
            ("answer", S, N_("yes, not yet, or not for me")),
            ("answered_at", P, N_("time")),
        ),
        mine="citizen_id = :user",
        withheld={"id": INTERNAL, "citizen_id": INTERNAL, "contact_id": INTERNAL},
    ),
    Table(
        "community_counts",
        N_("count how often each activity is shared and saved, and the follow-ups' answers"),
        N_("kept with the service"),
        N_("coordinators (anonymous figures)"),
        _cols(
            ("day", N, N_("local day, no time of day")),
            ("community_key", N, N_("which activity, or none for the overall figures")),
            ("event", N, N_("shared, saved, asked, or an answer")),
            ("n", N, N_("how many that day")),
        ),
        not_in_copy=N_("anonymous figures with no link to anyone"),
    ),
    Table(
        "web_sessions",
        N_("let a person come back to their web chat on the same device"),
        N_("until the device is forgotten, or after it has not been used for a while"),
        N_("the bot only"),
        _cols(
            ("chat_id", ID, N_("the web chat's number, used like a Telegram chat id")),
            ("secret_hash", N, N_("a hash of the secret only the device knows")),
            ("language", N, N_("language")),
            ("created_at", N, N_("time")),
            ("seen_at", N, N_("the last visit, to the minute")),
            ("push_subscription", ID, N_("where the browser receives notifications, if allowed")),
            ("seq", N, N_("a count of changes in the chat")),
            ("next_message_id", N, N_("the next message's number")),
        ),
        mine="chat_id = :telegram",
        withheld={
            "chat_id": OWN_TELEGRAM_ID,
            "secret_hash": N_("it only works with the secret, which only the device has"),
            "push_subscription": N_("an address only the browser's push service understands"),
        },
    ),
    Table(
        "web_messages",
        N_("show a web chat's messages again when the person comes back"),
        N_("deleted on /delete and when the device is forgotten"),
        N_("the person in the web chat"),
        _cols(
            ("chat_id", ID, N_("the web chat's number, used like a Telegram chat id")),
            ("message_id", N, N_("message number in the chat")),
            ("seq", N, N_("a count of changes in the chat")),
            ("from_bot", N, N_("whether the bot or the person wrote it")),
            ("text", S, N_("the message text, as in any chat")),
            ("entities", N, N_("formatting of the text")),
            ("reply_markup", N, N_("the buttons under the message")),
            ("file_name", N, N_("name of a file sent in the chat")),
            ("file_body", S, N_("a file sent in the chat (a copy of your data)")),
            ("sent_at", N, N_("time")),
            ("deleted", N, N_("whether the message was taken back")),
        ),
        mine="chat_id = :telegram",
        withheld={
            "chat_id": OWN_TELEGRAM_ID,
            "file_body": N_("an earlier copy of your data, which this file replaces"),
        },
    ),
    Table(
        "web_update_ids",
        N_("number the updates that come from the web chat"),
        N_("only the last number is kept"),
        N_("the bot only"),
        _cols(("last", N, N_("the last number used"))),
        not_in_copy=N_("a counter, about nobody"),
    ),
    Table(
        "meta",
        N_("facts the bot keeps about itself"),
        N_("while installed"),
        N_("the bot only"),
        _cols(("key", N, N_("name")), ("value", N, N_("value"))),
        not_in_copy=N_("facts the bot keeps about itself, about nobody"),
    ),
)


def described_columns() -> dict[str, set[str]]:
    return {table.name: {column.name for column in table.columns} for table in INVENTORY}
