"""Schema migrations keyed on ``PRAGMA user_version``.

Append-only: a released migration is never edited; a change is a new entry. Each migration runs
in its own transaction together with the version bump, so a failure leaves the previous version.
"""

from __future__ import annotations

import sqlite3

import aiosqlite

from bot.errors import MigrationError

MIGRATIONS: tuple[str, ...] = (
    # 1: people, the inbox of raw updates, the outbox of messages that must arrive.
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        telegram_id INTEGER NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('citizen', 'peer', 'coordinator')),
        language TEXT,
        pseudonym TEXT,
        consent_version INTEGER,
        consent_at TEXT,
        unreachable_at TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE inbox (
        update_id INTEGER PRIMARY KEY,
        chat_id INTEGER,
        payload TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        method TEXT NOT NULL,
        params TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 1,
        purpose TEXT NOT NULL,
        ref_id INTEGER,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sent', 'unreachable', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        message_id INTEGER
    );
    CREATE INDEX outbox_due ON outbox (status, priority, not_before);
    """,
    # 2: peers, invitations, requests and their offers, contacts, the relay mapping, feedback.
    """
    CREATE TABLE peer_profiles (
        user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'onboarding'
            CHECK (status IN ('onboarding', 'pending', 'approved', 'paused', 'removed')),
        step TEXT,
        topics TEXT NOT NULL DEFAULT '',
        languages TEXT NOT NULL DEFAULT '',
        capacity INTEGER NOT NULL DEFAULT 2,
        availability TEXT NOT NULL DEFAULT '',
        away INTEGER NOT NULL DEFAULT 0,
        away_until TEXT,
        focus_contact_id INTEGER,
        approved_at TEXT,
        last_active_at TEXT
    );
    CREATE TABLE invites (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_by INTEGER REFERENCES users (id) ON DELETE SET NULL
    );
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        citizen_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        status TEXT NOT NULL
            CHECK (status IN ('draft', 'waiting', 'active', 'closed', 'cancelled')),
        step TEXT,
        topic TEXT,
        language TEXT,
        contact_form TEXT,
        times TEXT,
        note TEXT,
        created_at TEXT NOT NULL,
        submitted_at TEXT,
        unanswered_at TEXT,
        closed_at TEXT,
        close_reason TEXT
    );
    CREATE UNIQUE INDEX one_open_request ON requests (citizen_id)
        WHERE status IN ('draft', 'waiting', 'active');
    CREATE TABLE offers (
        id INTEGER PRIMARY KEY,
        request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
        peer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        status TEXT NOT NULL
            CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
        offered_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        answered_at TEXT
    );
    CREATE UNIQUE INDEX one_pending_offer ON offers (request_id) WHERE status = 'pending';
    CREATE INDEX offers_due ON offers (status, expires_at);
    CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'peer' CHECK (kind IN ('peer', 'coordinator')),
        request_id INTEGER REFERENCES requests (id) ON DELETE CASCADE,
        citizen_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        peer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('active', 'ended')),
        started_at TEXT NOT NULL,
        ended_at TEXT,
        ended_by TEXT,
        last_sender TEXT,
        last_message_at TEXT,
        crisis_notice_at TEXT
    );
    CREATE INDEX contacts_citizen ON contacts (citizen_id, status);
    CREATE INDEX contacts_peer ON contacts (peer_id, status);
    CREATE TABLE relay_messages (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
        other_chat_id INTEGER NOT NULL,
        other_message_id INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
        citizen_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        comment TEXT,
        awaiting_comment INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    """,
    # 3: escalations to coordinators; the source key makes a re-processed update raise none twice.
    """
    CREATE TABLE escalations (
        id INTEGER PRIMARY KEY,
        source_key TEXT UNIQUE,
        reason TEXT NOT NULL
            CHECK (reason IN ('button', 'signal', 'peer_concern', 'unanswered')),
        categories TEXT NOT NULL DEFAULT '',
        note TEXT,
        citizen_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
        request_id INTEGER REFERENCES requests (id) ON DELETE SET NULL,
        contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged')),
        created_at TEXT NOT NULL,
        acknowledged_by INTEGER,
        acknowledged_at TEXT,
        renotified_at TEXT,
        backup_notified_at TEXT
    );
    CREATE INDEX escalations_open ON escalations (status, created_at);
    """,
    # 4: the coordinators' audit trail, and small facts the bot keeps about itself.
    """
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        actor_id INTEGER NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 5: check-ins. Local wall time is the truth for repeats (DST); due_at is its UTC moment.
    """
    CREATE TABLE checkins (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
        created_by TEXT NOT NULL CHECK (created_by IN ('citizen', 'peer')),
        kind TEXT NOT NULL DEFAULT 'checkin' CHECK (kind IN ('checkin', 'call', 'meeting')),
        status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN
            ('draft', 'pending', 'reminded', 'sent', 'answered', 'unanswered', 'cancelled')),
        step TEXT,
        local_time TEXT,
        due_at TEXT,
        quiet_moved INTEGER NOT NULL DEFAULT 0,
        repeat_weeks INTEGER NOT NULL DEFAULT 0,
        note TEXT,
        replaces_id INTEGER,
        fired_at TEXT,
        late INTEGER NOT NULL DEFAULT 0,
        answer TEXT,
        answered_at TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX checkins_due ON checkins (status, due_at);
    CREATE INDEX checkins_contact ON checkins (contact_id, status);
    """,
    # 6: heavy moments for a peer (escalations on their contacts, blocks), for care and breaks.
    """
    CREATE TABLE peer_events (
        id INTEGER PRIMARY KEY,
        peer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL,
        follow_up_at TEXT,
        debrief_asked_at TEXT
    );
    CREATE INDEX peer_events_peer ON peer_events (peer_id, created_at);
    """,
    # 7: a citizen may ask their earlier peer first.
    """
    ALTER TABLE requests ADD COLUMN preferred_peer_id INTEGER
        REFERENCES users (id) ON DELETE SET NULL;
    """,
    # 8: a peer's handover note for the citizen's next peer, kept only if the citizen agrees.
    """
    CREATE TABLE handover_notes (
        id INTEGER PRIMARY KEY,
        citizen_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        from_peer_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
        note TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'kept')),
        created_at TEXT NOT NULL
    );
    """,
    # 9: the coordinators' on-duty roster.
    """
    ALTER TABLE users ADD COLUMN on_duty INTEGER NOT NULL DEFAULT 0;
    """,
    # The e-mail alarm beyond Telegram: one row per escalation and stage, sent with retries.
    """
    ALTER TABLE escalations ADD COLUMN unreached_at TEXT;
    ALTER TABLE escalations ADD COLUMN alarmed_at TEXT;
    CREATE TABLE alarms (
        id INTEGER PRIMARY KEY,
        escalation_id INTEGER NOT NULL,
        stage TEXT NOT NULL CHECK (stage IN ('unacknowledged', 'unreachable')),
        reason TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sent', 'cancelled')),
        delivered_to TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        not_before TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (escalation_id, stage)
    );
    CREATE INDEX alarms_due ON alarms (status, not_before);
    CREATE INDEX outbox_chat ON outbox (chat_id, status);
    CREATE INDEX outbox_ref ON outbox (purpose, ref_id);
    """,
    # Coordinators' tools: a request handed back to matching restarts its waiting clock;
    # broadcasts to peers (the text is kept only until it is sent).
    """
    ALTER TABLE requests ADD COLUMN requeued_at TEXT;
    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY,
        actor_id INTEGER NOT NULL,
        text TEXT,
        recipients INTEGER,
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX broadcasts_actor ON broadcasts (actor_id, sent_at);
    """,
    # Protecting peers (reports, bars, the confidentiality undertaking) and staff roles.
    """
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        citizen_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
        peer_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
        contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
        reason TEXT NOT NULL,
        note TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'barred', 'dismissed')),
        created_at TEXT NOT NULL,
        decided_by INTEGER,
        decided_at TEXT,
        barred_until TEXT
    );
    CREATE INDEX reports_status ON reports (status, created_at);
    CREATE INDEX reports_citizen ON reports (citizen_id);
    ALTER TABLE users ADD COLUMN barred_until TEXT;
    ALTER TABLE peer_profiles ADD COLUMN undertaking_version INTEGER;
    ALTER TABLE peer_profiles ADD COLUMN undertaking_at TEXT;
    CREATE TABLE staff_roles (
        telegram_id INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('coordinator', 'administrator')),
        added_by INTEGER NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (telegram_id, role)
    );
    """,
    # the age band on a request; ids of the last 48 hours' messages in private chats (/forget).
    """
    ALTER TABLE requests ADD COLUMN age_band TEXT;
    CREATE TABLE recent_messages (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        sent_at TEXT NOT NULL,
        from_bot INTEGER NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    ) WITHOUT ROWID;
    CREATE INDEX recent_messages_sent ON recent_messages (sent_at);
    """,
    # WHO-5 wellbeing answers (at intake, after 4 and 8 weeks, always optional); when each
    # request first met a peer; anonymous facts kept for statistics when rows are deleted.
    """
    ALTER TABLE requests ADD COLUMN first_contact_at TEXT;
    UPDATE requests SET first_contact_at = (SELECT MIN(c.started_at) FROM contacts c
        WHERE c.request_id = requests.id AND c.kind = 'peer');
    CREATE TABLE stat_archive (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,
        value REAL
    );
    CREATE INDEX stat_archive_kind ON stat_archive (kind, at);
    CREATE TABLE wellbeing (
        id INTEGER PRIMARY KEY,
        citizen_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        request_id INTEGER REFERENCES requests (id) ON DELETE SET NULL,
        occasion TEXT NOT NULL CHECK (occasion IN ('intake', 'week4', 'week8')),
        status TEXT NOT NULL DEFAULT 'offered'
            CHECK (status IN ('offered', 'answering', 'answered', 'skipped')),
        answers TEXT NOT NULL DEFAULT '',
        score INTEGER,
        baseline INTEGER,
        offered_at TEXT NOT NULL,
        answered_at TEXT,
        talk_asked_at TEXT
    );
    CREATE UNIQUE INDEX wellbeing_once ON wellbeing (request_id, occasion);
    CREATE INDEX wellbeing_citizen ON wellbeing (citizen_id, offered_at);
    """,
    # A report and its bar outlive the citizen's erasure under a keyed mark, not a name.
    """
    ALTER TABLE reports ADD COLUMN citizen_mark TEXT;
    CREATE INDEX reports_mark ON reports (citizen_mark);
    """,
    # The statistics archive as counts per (kind, local day, binned value) without row ids, so
    # that no order or time of day ties one person's facts together. Rows archived earlier are
    # placed on their UTC day (the zone is not known here) and binned like new ones. Which
    # coordinator took a citizen's wish to talk after a low WHO-5 score, and in which contact.
    """
    CREATE TABLE stat_archive_counts (
        kind TEXT NOT NULL,
        day TEXT NOT NULL,
        value REAL NOT NULL DEFAULT 0,
        n INTEGER NOT NULL,
        PRIMARY KEY (kind, day, value)
    ) WITHOUT ROWID;
    INSERT INTO stat_archive_counts (kind, day, value, n)
        SELECT kind, date(at),
            CASE
                WHEN value IS NULL THEN 0.0
                WHEN kind IN ('first_contact', 'acknowledge') THEN ROUND(value / 5.0) * 5.0
                WHEN kind = 'feedback' THEN ROUND(value)
                WHEN kind LIKE 'who5_%' THEN ROUND(value / 4.0) * 4.0
                ELSE 0.0
            END AS binned,
            COUNT(*)
        FROM stat_archive GROUP BY 1, 2, 3;
    DROP TABLE stat_archive;
    ALTER TABLE stat_archive_counts RENAME TO stat_archive;
    ALTER TABLE wellbeing ADD COLUMN talk_taken_by INTEGER;
    ALTER TABLE wellbeing ADD COLUMN talk_contact_id INTEGER
        REFERENCES contacts (id) ON DELETE SET NULL;
    """,
    # which undertaking version a peer was last asked to accept unprompted (asked once each).
    """
    ALTER TABLE peer_profiles ADD COLUMN undertaking_asked_version INTEGER;
    """,
    # which relayed messages are the bot's copies (and of what kind), so /delete can take a
    # person's words off the other side's screen; NULL for earlier rows and for originals.
    """
    ALTER TABLE relay_messages ADD COLUMN copy_kind TEXT
        CHECK (copy_kind IN ('text', 'caption', 'bare'));
    """,
    # When the peer of an ended contact proposed a note for the citizen's next peer (one each).
    """
    ALTER TABLE contacts ADD COLUMN handover_asked_at TEXT;
    """,
    # Poison updates and repeats: how many start-ups found an update unfinished; updates set
    # aside (ids, field names and the error, never a value); ids already handled, so that
    # Telegram delivering one twice does not handle it twice.
    """
    ALTER TABLE inbox ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE inbox_set_aside (
        update_id INTEGER PRIMARY KEY,
        fields TEXT NOT NULL,
        error TEXT NOT NULL,
        tries INTEGER NOT NULL,
        set_aside_at TEXT NOT NULL
    );
    CREATE TABLE inbox_seen (
        update_id INTEGER PRIMARY KEY,
        seen_at TEXT NOT NULL
    );
    CREATE INDEX inbox_seen_at ON inbox_seen (seen_at);
    """,
    # The right person: a group that became a supergroup (old id -> new id); repeated "I need
    # help now" presses joined to one escalation; an outbox row knows it was tried before (a
    # crash may have hidden Telegram's answer) and what line then says so; the command menu
    # each chat was last given.
    """
    CREATE TABLE chat_migrations (
        old_chat_id INTEGER PRIMARY KEY,
        new_chat_id INTEGER NOT NULL,
        migrated_at TEXT NOT NULL
    );
    ALTER TABLE escalations ADD COLUMN repeat_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE escalations ADD COLUMN last_repeat_at TEXT;
    ALTER TABLE escalations ADD COLUMN repeat_noted_at TEXT;
    CREATE TABLE escalation_presses (
        source_key TEXT PRIMARY KEY,
        escalation_id INTEGER NOT NULL REFERENCES escalations (id) ON DELETE CASCADE
    );
    ALTER TABLE outbox ADD COLUMN tried INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN repeat_note TEXT;
    CREATE TABLE command_menus (
        chat_id INTEGER PRIMARY KEY,
        menu TEXT NOT NULL
    );
    """,
    # The bot's prompts a peer answers by replying (a note on a concern, on a report, for the
    # next peer), known by their message id in the peer's chat, not by their translated text.
    """
    ALTER TABLE escalations ADD COLUMN note_prompt_id INTEGER;
    ALTER TABLE reports ADD COLUMN note_prompt_id INTEGER;
    ALTER TABLE contacts ADD COLUMN handover_prompt_id INTEGER;
    """,
    # Communities and activities: what a citizen saved from the organisation's list, a
    # follow-up they agreed to (only the answer outlives it), and anonymous counts per day of
    # shares, saves and answers (no link to anyone).
    """
    CREATE TABLE community_saved (
        id INTEGER PRIMARY KEY,
        citizen_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        community_key TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        UNIQUE (citizen_id, community_key)
    );
    CREATE TABLE community_followups (
        id INTEGER PRIMARY KEY,
        citizen_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        contact_id INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
        community_key TEXT,
        created_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        asked_at TEXT,
        answer TEXT CHECK (answer IN ('yes', 'not_yet', 'not_for_me')),
        answered_at TEXT
    );
    CREATE INDEX community_followups_due ON community_followups (due_at)
        WHERE asked_at IS NULL;
    CREATE TABLE community_counts (
        day TEXT NOT NULL,
        community_key TEXT NOT NULL,
        event TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (day, community_key, event)
    ) WITHOUT ROWID;
    """,
    # The web chat: a device's conversation (its secret only as a hash) and its transcript,
    # which is what Telegram would keep for a Telegram chat; negative update ids for the inbox.
    """
    CREATE TABLE web_sessions (
        chat_id INTEGER PRIMARY KEY,
        secret_hash BLOB NOT NULL UNIQUE,
        language TEXT NOT NULL,
        created_at TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        push_subscription TEXT,
        seq INTEGER NOT NULL DEFAULT 0,
        next_message_id INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE web_messages (
        chat_id INTEGER NOT NULL REFERENCES web_sessions (chat_id) ON DELETE CASCADE,
        message_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        from_bot INTEGER NOT NULL,
        text TEXT NOT NULL,
        entities TEXT,
        reply_markup TEXT,
        file_name TEXT,
        file_body BLOB,
        sent_at TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (chat_id, message_id)
    ) WITHOUT ROWID;
    CREATE INDEX web_messages_seq ON web_messages (chat_id, seq);
    CREATE TABLE web_update_ids (last INTEGER NOT NULL);
    INSERT INTO web_update_ids (last) VALUES (0);
    """,
)


# What each migration does, for `peerbot migrate --dry-run` (same order as MIGRATIONS).
DESCRIPTIONS: tuple[str, ...] = (
    "people, the inbox of raw updates, the outbox",
    "peers, invitations, requests, offers, contacts, relay mapping, feedback",
    "escalations to coordinators",
    "audit trail and the bot's own facts",
    "check-ins",
    "heavy moments for peers",
    "ask the earlier peer first",
    "handover notes between peers",
    "on-duty roster for coordinators",
    "e-mail alarms beyond Telegram",
    "coordinators' tools: requeued requests, broadcasts to peers",
    "reports and bars that protect peers, the confidentiality undertaking, staff roles",
    "age band of a request; recent message ids for /forget",
    "WHO-5 wellbeing answers, first contact per request, anonymous statistics archive",
    "reports and bars outlive an erasure under a keyed mark",
    "statistics archive as counts per day, unlinkable to a person; who took a wish to talk",
    "the undertaking version each peer was asked to accept",
    "relayed copies are marked, so an erasure can withdraw them",
    "one handover note per ended contact",
    "updates set aside after failing, and the ids of updates already handled",
    "group migrations, repeated urgent presses, outbox retries that may repeat, command menus",
    "the message ids of prompts a peer answers by replying",
    "communities: saved activities, follow-ups by consent, anonymous counts",
    "the web chat: conversations of devices and their transcripts",
)


def pending(version: int) -> list[tuple[int, str]]:
    """(number, description) of the migrations a database at `version` still needs."""
    return [(n, DESCRIPTIONS[n - 1]) for n in range(version + 1, len(MIGRATIONS) + 1)]


async def apply_migrations(
    conn: aiosqlite.Connection, migrations: tuple[str, ...], target: int | None = None
) -> int:
    """Apply every migration above the file's version (up to `target`); returns the new version."""
    target = len(migrations) if target is None else target
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    if version > len(migrations):
        raise MigrationError(
            f"database schema version {version} is newer than this program ({len(migrations)})"
        )
    for number in range(version + 1, target + 1):
        try:
            await conn.execute("BEGIN IMMEDIATE")
            for statement in split_statements(migrations[number - 1]):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
            await conn.execute("COMMIT")
        except sqlite3.Error as exc:
            await conn.execute("ROLLBACK")
            raise MigrationError(f"migration {number} failed: {exc}") from exc
        version = number
    return version


def split_statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit on its own)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
