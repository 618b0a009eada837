"""Statistics on a seeded database whose answers were worked out by hand.

The period is October 2026 in Copenhagen (summer time until 25 October), so a request sent at
22:30 UTC on 30 September counts (00:30 local on 1 October) and one sent at 23:30 UTC on
31 October does not (00:30 local on 1 November).
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.errors import UserInputError
from bot.runtime import Runtime
from bot.services import checkins, statistics
from bot.services.crisis import escalation
from bot.services.statistics import Period
from bot.storage import Database, personal_data
from bot.storage import statistics as statistics_store
from bot.storage.migrations import MIGRATIONS
from tests.helpers.harness import make_config
from tests.services import given

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)


def at(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).isoformat()


def later(text: str, minutes: float) -> str:
    return (
        datetime.fromisoformat(text).replace(tzinfo=UTC) + timedelta(minutes=minutes)
    ).isoformat()


# (sent, minutes to first contact or None): six met a peer, waits 10..50 and 600.
REQUESTS = (
    ("2026-09-30T22:30", 10),  # 1 October local: counts
    ("2026-10-01T08:00", 20),
    ("2026-10-02T08:00", 30),
    ("2026-10-03T08:00", 40),
    ("2026-10-04T08:00", 50),
    ("2026-10-06T08:00", 600),  # reassigned later: the first contact counts
    ("2026-10-20T08:00", None),
    ("2026-10-21T08:00", None),
    ("2026-10-31T23:30", 5),  # 1 November local: outside
    ("2026-09-30T21:30", 5),  # 30 September local: outside
)


async def seed(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO users (id, telegram_id, role, created_at) VALUES (100, 100, 'peer', ?)",
            (at("2026-09-01T00:00"),),
        )
        for number, (sent, wait) in enumerate(REQUESTS, start=1):
            await tx.execute(
                "INSERT INTO users (id, telegram_id, role, consent_version, created_at)"
                " VALUES (?, ?, 'citizen', 1, ?)",
                (number, 1000 + number, at(sent)),
            )
            await tx.execute(
                "INSERT INTO requests (id, citizen_id, status, created_at, submitted_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (number, number, "waiting" if wait is None else "active", at(sent), at(sent)),
            )
            if wait is not None:
                await tx.execute(
                    "INSERT INTO contacts (id, request_id, citizen_id, peer_id, status,"
                    " started_at) VALUES (?, ?, ?, 100, 'active', ?)",
                    (number, number, number, later(sent, wait)),
                )
                await tx.execute(
                    "UPDATE requests SET first_contact_at = ? WHERE id = ?",
                    (later(sent, wait), number),
                )
        # Request 6 was reassigned: a second contact 15 hours after sending.
        await tx.execute(
            "INSERT INTO contacts (request_id, citizen_id, peer_id, status, started_at)"
            " VALUES (6, 6, 100, 'active', ?)",
            (later("2026-10-06T08:00", 900),),
        )
        offers = [(n, "accepted", "2026-10-05T09:00") for n in range(1, 7)]
        offers += [(6, "declined", "2026-10-06T08:00"), (7, "declined", "2026-10-20T08:00")]
        offers += [(7, "expired", "2026-10-20T09:00"), (7, "expired", "2026-10-20T10:00")]
        offers += [(8, "expired", f"2026-10-21T{h:02d}:00") for h in (9, 10, 11)]
        offers += [(9, "declined", "2026-11-01T09:00")]  # outside
        for request_id, status, offered in offers:
            await tx.execute(
                "INSERT INTO offers (request_id, peer_id, status, offered_at, expires_at)"
                " VALUES (?, 100, ?, ?, ?)",
                (request_id, status, at(offered), later(offered, 30)),
            )
        # Six escalations in October, five acknowledged after 5, 10, 15, 20 and 25 minutes.
        for minutes in (5, 10, 15, 20, 25):
            await tx.execute(
                "INSERT INTO escalations (reason, status, created_at, acknowledged_at)"
                " VALUES ('button', 'acknowledged', ?, ?)",
                (at("2026-10-10T10:00"), later("2026-10-10T10:00", minutes)),
            )
        await tx.execute(
            "INSERT INTO escalations (reason, created_at) VALUES ('signal', ?)",
            (at("2026-10-11T10:00"),),
        )
        await tx.execute(
            "INSERT INTO escalations (reason, status, created_at, acknowledged_at)"
            " VALUES ('button', 'acknowledged', ?, ?)",
            (at("2026-09-01T10:00"), later("2026-09-01T10:00", 100)),
        )
        # Check-in messages fired in October: 3 answered, 2 unanswered, 2 not yet answered.
        statuses = ["answered"] * 3 + ["unanswered"] * 2 + ["sent"] * 2
        for day, status in enumerate(statuses, start=10):
            await tx.execute(
                "INSERT INTO checkins (contact_id, created_by, kind, status, fired_at, created_at)"
                " VALUES (1, 'peer', 'checkin', ?, ?, ?)",
                (status, at(f"2026-10-{day}T08:00"), at("2026-10-01T08:00")),
            )
        for kind, status, fired in (
            ("call", "sent", "2026-10-12T08:00"),  # a call is not a check-in message
            ("checkin", "answered", "2026-11-02T08:00"),  # outside
            ("checkin", "pending", None),
        ):
            await tx.execute(
                "INSERT INTO checkins (contact_id, created_by, kind, status, fired_at, created_at)"
                " VALUES (1, 'peer', ?, ?, ?, ?)",
                (kind, status, at(fired) if fired else None, at("2026-10-01T08:00")),
            )
        for rating, when in ((5, 10), (4, 11), (4, 12), (3, 13), (5, 14), (1, 40)):
            created = datetime(2026, 10, 1, 8, tzinfo=UTC) + timedelta(days=when)
            await tx.execute(
                "INSERT INTO feedback (citizen_id, rating, awaiting_comment, created_at)"
                " VALUES (1, ?, 0, ?)",
                (rating, created.isoformat()),
            )
        # WHO-5 at the request: 20, 28, 40, 52, 60. After 4 weeks: changes +12, +12, 0, -8,
        # +16; after 8 weeks one change, +20 (a cell of one). Real scores are multiples of 4.
        wellbeing = [
            (1, "intake", "answered", 20, None, "2026-10-01T09:00"),
            (2, "intake", "answered", 28, None, "2026-10-01T09:00"),
            (3, "intake", "answered", 40, None, "2026-10-02T09:00"),
            (4, "intake", "answered", 52, None, "2026-10-03T09:00"),
            (5, "intake", "answered", 60, None, "2026-10-04T09:00"),
            (6, "intake", "skipped", None, None, "2026-10-06T09:00"),
            (7, "intake", "offered", None, None, "2026-10-20T09:00"),
            (1, "week4", "answered", 32, 20, "2026-10-29T09:00"),
            (1, "week8", "answered", 40, 20, "2026-10-30T09:00"),
            (2, "week4", "answered", 40, 28, "2026-10-29T09:00"),
            (3, "week4", "answered", 40, 40, "2026-10-30T09:00"),
            (4, "week4", "answered", 44, 52, "2026-10-30T09:00"),
            (5, "week4", "answered", 76, 60, "2026-10-31T09:00"),
            (6, "week4", "answered", 80, None, "2026-11-03T09:00"),  # outside, no baseline
        ]
        for request_id, occasion, status, score, baseline, when in wellbeing:
            await tx.execute(
                "INSERT INTO wellbeing (citizen_id, request_id, occasion, status, score,"
                " baseline, offered_at, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request_id,
                    request_id,
                    occasion,
                    status,
                    score,
                    baseline,
                    at(when),
                    at(when) if status == "answered" else None,
                ),
            )


@pytest.fixture
async def seeded(rt: Runtime, clock: FakeClock) -> Runtime:
    """The shared runtime over the seeded history, at NOW."""
    clock.set(NOW)
    await seed(rt.storage)
    return rt


def test_median_and_nearest_rank_percentile() -> None:
    assert statistics.median([10, 20, 30, 40, 50, 600]) == 35  # (30 + 40) / 2
    assert statistics.percentile_90([10, 20, 30, 40, 50, 600]) == 600  # ceil(5.4) = 6th
    assert statistics.percentile_90([1, 3, 5, 7, 9]) == 9  # ceil(4.5) = 5th
    assert statistics.percentile_90(list(range(1, 11))) == 9  # ceil(9.0) = 9th
    assert statistics.median([]) is None and statistics.percentile_90([]) is None


async def test_figures_for_october(seeded: Runtime) -> None:
    report = await statistics.report(seeded, OCTOBER)
    values = {key: (figure.value, figure.n) for key, figure in report.figures.items()}
    assert values["requests"] == (8, 8)
    assert values["first_contacts"] == (6, 6)
    assert values["first_contact_median_minutes"] == (35, 6)
    assert values["first_contact_p90_minutes"] == (600, 6)
    assert values["offers_accepted"] == (6, 6)
    assert values["offers_declined"] == (2, 2)
    assert values["offers_expired"] == (5, 5)
    assert values["escalations"] == (6, 6)
    assert values["escalations_acknowledged"] == (5, 5)
    assert values["acknowledge_median_minutes"] == (15, 5)
    assert values["acknowledge_p90_minutes"] == (25, 5)
    assert values["checkins_sent"] == (7, 7)
    assert values["checkins_answered"] == (3, 3)
    assert values["feedback_count"] == (5, 5)
    assert values["feedback_average"] == (pytest.approx(4.2), 5)  # 21 / 5
    assert values["who5_offered"] == (13, 13)  # 7 at the request, 6 follow-ups
    assert values["who5_skipped"] == (1, 1)
    assert values["who5_intake_answered"] == (5, 5)
    assert values["who5_intake_mean"] == (40, 5)  # 200 / 5
    assert values["who5_intake_low"] == (2, 2)  # 20 and 28
    assert values["who5_week4_pairs"] == (5, 5)
    assert values["who5_week4_change_mean"] == (pytest.approx(6.4), 5)  # (12+12+0-8+16) / 5
    assert values["who5_week4_improved"] == (3, 3)  # +12, +12, +16
    assert values["who5_week8_pairs"] == (1, 1)
    assert values["who5_week8_change_mean"] == (20, 1)
    weeks = [(w.monday.isoformat(), w.requests.value, w.first_contact_median) for w in report.weeks]
    assert [(m, r) for m, r, _ in weeks] == [
        ("2026-09-28", 5),
        ("2026-10-05", 1),
        ("2026-10-12", 0),
        ("2026-10-19", 2),
        ("2026-10-26", 0),
    ]
    assert weeks[0][2].value == 30 and weeks[0][2].n == 5  # 10, 20, 30, 40, 50


async def test_csv_has_only_aggregates_and_suppresses_small_cells(seeded: Runtime) -> None:
    text = statistics.to_csv(await statistics.report(seeded, OCTOBER))
    lines = text.splitlines()
    assert lines[0] == "period,measure,value"
    rows = {tuple(line.split(",")[:2]): line.split(",")[2] for line in lines[1:]}
    span = "2026-10-01..2026-10-31"
    assert rows[(span, "requests")] == "8"
    assert rows[(span, "first_contact_median_minutes")] == "35"
    assert rows[(span, "first_contact_p90_minutes")] == "600"
    assert rows[(span, "offers_accepted")] == "6"
    assert rows[(span, "offers_declined")] == "<5"
    assert rows[(span, "first_contacts")] == "x"  # 8 - 6 = 2 did not meet a peer
    assert rows[(span, "escalations_acknowledged")] == "x"  # 6 - 5 = 1 not acknowledged
    assert rows[(span, "escalations")] == "6"
    assert rows[(span, "offers_expired")] == "5"
    assert rows[(span, "acknowledge_median_minutes")] == "15"
    assert rows[(span, "checkins_answered")] == "<5"
    assert rows[(span, "feedback_average")] == "4.2"
    assert rows[(span, "who5_intake_low")] == "<5"
    assert rows[(span, "who5_week4_change_mean")] == "6.4"
    assert rows[(span, "who5_week4_improved")] == "<5"
    assert rows[(span, "who5_week8_change_mean")] == "<5"
    assert rows[("2026-W40", "requests")] == "5"
    assert rows[("2026-W40", "first_contact_median_minutes")] == "30"
    assert rows[("2026-W41", "requests")] == "<5"
    assert rows[("2026-W41", "first_contact_median_minutes")] == "<5"
    assert rows[("2026-W42", "requests")] == "0"
    assert rows[("2026-W42", "first_contact_median_minutes")] == ""
    # Two requests that week, neither met a peer yet: even "none" would say it of both.
    assert rows[("2026-W43", "first_contact_median_minutes")] == "<5"
    assert statistics.count("who5_week8_improved", 0, base=1).cell() == "<5"
    assert statistics.count("who5_week8_improved", 0, base=5).cell() == "0"
    # No value is a cell of one to four cases.
    assert all(value not in {"1", "2", "3", "4"} for value in rows.values())
    assert all(len(line.split(",")) == 3 for line in lines)


async def test_a_single_suppressed_week_cannot_be_worked_out(seeded: Runtime) -> None:
    """With 5 more requests in week 43, week 41 (one request) is the only small week: the total
    minus the other weeks would give it away, so the next smallest week is withheld too."""
    async with seeded.storage.transaction() as tx:
        for number in range(20, 25):
            sent = at(f"2026-10-22T{number - 10:02d}:00")
            await tx.execute(
                "INSERT INTO users (id, telegram_id, role, consent_version, created_at)"
                " VALUES (?, ?, 'citizen', 1, ?)",
                (number, 1000 + number, sent),
            )
            await tx.execute(
                "INSERT INTO requests (id, citizen_id, status, created_at, submitted_at)"
                " VALUES (?, ?, 'waiting', ?, ?)",
                (number, number, sent, sent),
            )
    report = await statistics.report(seeded, OCTOBER)
    rows = {}
    for line in statistics.to_csv(report).splitlines()[1:]:
        period, measure, value = line.split(",")
        rows[(period, measure)] = value
    total = int(rows[("2026-10-01..2026-10-31", "requests")])
    weekly = {p: v for (p, m), v in rows.items() if m == "requests" and p.startswith("2026-W")}
    assert total == 13 and weekly["2026-W41"] == "<5"
    unknown = [p for p, v in weekly.items() if not v.isdigit()]
    assert len(unknown) >= 2, "total minus the other weeks would give the hidden week"
    assert weekly["2026-W40"] == "x" and weekly["2026-W43"] == "7"
    # The chat text and the chart use the same cells.
    assert [w.requests.suppressed for w in report.weeks] == [True, True, False, False, False]
    png = statistics.chart(seeded.translator("en"), report)
    assert png.startswith(b"\x89PNG")


async def test_text_for_coordinators(seeded: Runtime) -> None:
    report = await statistics.report(seeded, OCTOBER)
    text = statistics.render(seeded.translator("en"), report)
    assert "Requests: 8" in text
    # 6 of 8 met a peer would tell that 2 did not; 5 of 6 alerts acknowledged, that 1 was not.
    assert "median 35 min, 90% within 10 h 0 min (– met a peer)" in text
    assert "6 accepted, <5 declined, 5 expired" in text
    assert "Urgent alerts: 6, acknowledged –;" in text
    assert "Check-ins: <5 of 7 answered" in text
    assert "average 4.2 of 5" in text
    assert "after 4 weeks: 5 answered again, average change +6.4 points, <5 improved" in text
    assert "after 8 weeks: <5 answered again, average change – points" in text
    danish = statistics.render(seeded.translator("da"), report)
    assert "4,2" in danish


async def test_chart_is_a_png(seeded: Runtime) -> None:
    png = statistics.chart(seeded.translator("da"), await statistics.report(seeded, OCTOBER))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_periods() -> None:
    zone = make_config(Path("/nonexistent")).timezone
    assert statistics.parse_period([], NOW, zone) == Period(date(2026, 10, 7), date(2026, 11, 5))
    assert statistics.parse_period(["2026-10-01"], NOW, zone) == Period(
        date(2026, 10, 1), date(2026, 11, 5)
    )
    for words in (["2026-10-32"], ["yesterday"], ["2026-10-31", "2026-10-01"], ["a", "b", "c"]):
        with pytest.raises(UserInputError):
            statistics.parse_period(words, NOW, zone)


async def test_deleting_data_does_not_change_past_figures(seeded: Runtime) -> None:
    """Retention and /delete remove rows; their facts stay, anonymously, in the archive."""
    before = statistics.to_csv(await statistics.report(seeded, OCTOBER))
    async with seeded.storage.transaction() as tx:
        await tx.execute(
            "UPDATE contacts SET status = 'ended', ended_at = ?", (at("2026-11-01T00:00"),)
        )
        await tx.execute(
            "UPDATE requests SET status = 'closed', closed_at = ?", (at("2026-11-01T00:00"),)
        )
        await tx.execute(
            "UPDATE escalations SET status = 'acknowledged', acknowledged_at = created_at"
            " WHERE acknowledged_at IS NULL AND created_at < ?",
            (at("2026-10-01T00:00"),),
        )
        zone = seeded.config.timezone
        await personal_data.erase(tx, 3, 1003, zone=zone)  # one citizen erases everything
        await personal_data.purge_expired(tx, NOW, NOW, zone=zone)  # the rest ages out
    left = await seeded.storage.fetchone(
        "SELECT (SELECT COUNT(*) FROM requests) + (SELECT COUNT(*) FROM contacts)"
        " + (SELECT COUNT(*) FROM offers) + (SELECT COUNT(*) FROM checkins)"
        " + (SELECT COUNT(*) FROM wellbeing)"
    )
    assert left is not None and left[0] == 0
    after = statistics.to_csv(await statistics.report(seeded, OCTOBER))
    assert after == before
    archived = await seeded.storage.fetchall("SELECT * FROM stat_archive")
    assert archived and {tuple(row.keys()) for row in archived} == {("kind", "day", "value", "n")}
    counts = {(row["kind"], row["day"], row["value"]): row["n"] for row in archived}
    # Counts per local day: 22:30 UTC on 30 September is 1 October in Copenhagen, together
    # with the request sent at 08:00 that day; nothing tells which wait was whose.
    assert counts[("request", "2026-10-01", 0)] == 2
    assert counts[("first_contact", "2026-10-01", 10)] == 1
    assert counts[("escalation", "2026-10-10", 0)] == 5
    assert all(len(row["day"]) == 10 for row in archived)
    no_rowid = await seeded.storage.fetchone(
        "SELECT COUNT(*) FROM pragma_table_list WHERE name = 'stat_archive' AND wr = 1"
    )
    assert no_rowid is not None and no_rowid[0] == 1  # no row ids that record an order


async def test_archived_values_are_kept_in_bins(seeded: Runtime) -> None:
    """Minutes to 5, WHO-5 to 4 points: the only way deleting data can move a figure."""
    async with seeded.storage.transaction() as tx:
        await tx.execute(
            "UPDATE escalations SET acknowledged_at = ? WHERE id = 1",
            (later("2026-10-10T10:00", 7),),
        )
        await personal_data.purge_expired(tx, NOW, NOW, zone=seeded.config.timezone)
    row = await seeded.storage.fetchone(
        "SELECT n FROM stat_archive WHERE kind = 'acknowledge' AND value = 5"
    )
    assert row is not None and row[0] == 1  # 7 minutes kept as 5
    assert statistics_store.binned("who5_change_week4", -6) == -8
    assert statistics_store.binned("who5_change_week4", 10) == 12
    assert statistics_store.binned("acknowledge", 2.4) == 0
    assert statistics_store.binned("request", None) == 0


async def test_the_migration_keeps_the_first_contact_of_existing_requests(tmp_path: Path) -> None:
    number = next(
        n for n, sql in enumerate(MIGRATIONS, start=1) if "CREATE TABLE stat_archive" in sql
    )
    db = await Database.open(tmp_path / "old.sqlite3", migrate=False)
    try:
        await db.migrate(number - 1)
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO users (id, telegram_id, role, created_at) VALUES (1, 1, 'citizen', ?),"
                " (2, 2, 'peer', ?)",
                (at("2026-10-01T08:00"), at("2026-10-01T08:00")),
            )
            await tx.execute(
                "INSERT INTO requests (id, citizen_id, status, created_at, submitted_at)"
                " VALUES (1, 1, 'active', ?, ?)",
                (at("2026-10-01T08:00"), at("2026-10-01T08:00")),
            )
            for minutes in (90, 45):
                await tx.execute(
                    "INSERT INTO contacts (request_id, citizen_id, peer_id, status, started_at)"
                    " VALUES (1, 1, 2, 'active', ?)",
                    (later("2026-10-01T08:00", minutes),),
                )
        await db.migrate()
        row = await db.fetchone("SELECT first_contact_at FROM requests WHERE id = 1")
        assert row is not None and row[0] == later("2026-10-01T08:00", 45)
    finally:
        await db.close()


async def test_the_migration_turns_the_old_archive_into_counts_per_day(tmp_path: Path) -> None:
    number = next(n for n, sql in enumerate(MIGRATIONS, start=1) if "stat_archive_counts" in sql)
    db = await Database.open(tmp_path / "old.sqlite3", migrate=False)
    try:
        await db.migrate(number - 1)
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO stat_archive (kind, at, value) VALUES (?, ?, ?)",
                [
                    ("request", at("2026-10-01T08:00"), None),
                    ("request", at("2026-10-01T08:01"), None),
                    ("first_contact", at("2026-10-01T08:00"), 12.5),
                    ("first_contact", at("2026-10-01T08:01"), 11.0),
                    ("who5_change_week4", at("2026-10-02T09:00"), -6.0),
                ],
            )
        await db.migrate()
        rows = await db.fetchall("SELECT kind, day, value, n FROM stat_archive ORDER BY kind")
        assert [tuple(row) for row in rows] == [
            ("first_contact", "2026-10-01", 10.0, 1),
            ("first_contact", "2026-10-01", 15.0, 1),
            ("request", "2026-10-01", 0.0, 2),
            ("who5_change_week4", "2026-10-02", -8.0, 1),
        ]
    finally:
        await db.close()


def test_many_facts_over_two_years_are_bucketed_by_week() -> None:
    """10,000 requests in one pass: every one lands in the week of its local day."""
    zone = make_config(Path("/nonexistent")).timezone
    period = Period(date(2024, 11, 6), date(2026, 11, 5))
    start = datetime(2024, 11, 6, 12, tzinfo=UTC)
    found = [statistics.Fact("request", start + timedelta(minutes=104 * i)) for i in range(10_000)]
    report = statistics.compute(period, zone, found)
    assert report["requests"].value == 10_000
    assert sum(w.requests.value or 0 for w in report.weeks) == 10_000
    assert len(report.weeks) == 105 and report.weeks[0].monday == date(2024, 11, 4)


# Figures from what the services themselves record, on a database without a seed.


async def test_what_the_services_record_is_counted(rt: Runtime, clock: FakeClock) -> None:
    found = await given.citizen(rt, 5001)
    request = await given.request(rt, found)
    await given.request(rt, await given.citizen(rt, 5002))  # still waiting
    clock.advance(timedelta(minutes=30))
    contact = await given.yes(rt, request, await given.free_peer(rt))
    raised = await escalation.raise_escalation(
        rt, reason=escalation.Reason.BUTTON, citizen_id=found.id, source_key="u:1"
    )
    assert raised is not None
    clock.advance(timedelta(minutes=6))
    await escalation.acknowledge(rt, raised, 9001, "Ida")
    draft = await checkins.start_draft(rt, contact.citizen_id, contact_id=contact.id)
    draft = await checkins.plan_step(
        rt, draft, contact.citizen_id, "confirm", local_time=datetime(2026, 3, 3, 10)
    )
    planned = await checkins.confirm(rt, draft, contact.citizen_id)
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    await checkins.sweep(rt)
    assert await checkins.answer(rt, planned.id, contact.citizen_id, "better")

    report = await statistics.report(rt, Period(date(2026, 3, 1), date(2026, 3, 31)))
    values = {key: (figure.value, figure.n) for key, figure in report.figures.items()}
    assert values["requests"] == (2, 2)
    assert values["first_contacts"] == (1, 1)
    assert values["first_contact_median_minutes"] == (30, 1)
    assert values["offers_accepted"] == (1, 1)
    assert values["escalations"] == (1, 1)
    assert values["acknowledge_median_minutes"] == (6, 1)
    assert values["checkins_sent"] == (1, 1)
    assert values["checkins_answered"] == (1, 1)
    assert report["requests"].cell() == "<5"  # two people: never shown as a number
