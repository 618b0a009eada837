"""Data rights without Telegram: /delete leaves no row the inventory lists for the person, only
the keyed report mark it says remains; /mydata has their rows; retention runs once a day."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import contacts, handover, privacy, reports
from bot.storage.inventory import INVENTORY
from bot.storage.users import User
from tests.helpers.harness import COORDINATOR
from tests.services import given
from tests.services.given import CITIZEN, OTHER_PEER, PEER


async def rows_about(rt: Runtime, user_id: int, telegram_id: int) -> dict[str, int]:
    """How many rows of each inventoried table select this person (as /mydata would)."""
    keys = {"user": user_id, "telegram": telegram_id}
    found = {}
    for table in INVENTORY:
        if table.mine is None:
            continue
        names = re.findall(r":(user|telegram)\b", table.mine)
        sql = re.sub(r":(user|telegram)", "?", table.mine)
        (count,) = await rt.storage.fetchone(
            f"SELECT COUNT(*) FROM {table.name} WHERE {sql}", tuple(keys[n] for n in names)
        )
        found[table.name] = count
    return found


async def a_citizen_with_a_history(rt: Runtime, clock: FakeClock) -> User:
    """Rated contact, handover note, a report with a bar, and a contact going on now."""
    first = await given.in_contact(rt, CITIZEN, PEER)
    await contacts.end(rt, first, "peer")
    citizen = await given.user(rt, CITIZEN)
    await contacts.rate(rt, citizen, first.id, 5)
    await handover.propose(rt, await given.user(rt, PEER), first.id, "Likes walks")
    clock.advance(timedelta(hours=1))
    second = await given.in_contact(rt, CITIZEN, OTHER_PEER, name="Falk")
    report_id = await reports.end_and_report(
        rt, await given.peer_of(rt, second), second.id, "abuse"
    )
    assert report_id is not None
    await reports.add_note(rt, report_id, await given.user(rt, OTHER_PEER), "Threats")
    await reports.decide(rt, report_id, "w1", COORDINATOR)
    clock.advance(timedelta(days=8))
    await given.in_contact(rt, CITIZEN, 6003, name="Lind")
    return citizen


async def test_erasure_leaves_no_inventoried_row_and_only_the_keyed_report_mark(
    rt: Runtime, clock: FakeClock
) -> None:
    citizen = await a_citizen_with_a_history(rt, clock)
    before = await rows_about(rt, citizen.id, CITIZEN)
    assert before["users"] == 1 and before["contacts"] == 3 and before["feedback"] == 1
    assert before["handover_notes"] == 1 and before["reports"] == 1

    erasure = await privacy.erase(rt, citizen)

    after = await rows_about(rt, citizen.id, CITIZEN)
    assert {table: n for table, n in after.items() if n} == {}
    report = await rt.storage.fetchone("SELECT citizen_mark, note, status, peer_id FROM reports")
    assert report is not None and report["citizen_mark"] and report["note"] is None
    assert report["status"] == "barred" and report["peer_id"] is not None
    barred_at = clock.now() - timedelta(days=8)
    assert erasure.report_mark_until == barred_at + timedelta(
        days=7 + rt.config.retention_days
    )  # the bar's end plus the retention period
    assert erasure.backup_days is None  # no backups in this configuration


async def test_erasure_tells_the_peer_without_the_citizens_name(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    await privacy.erase(rt, await given.user(rt, CITIZEN))
    [(chat, text)] = await given.sent(rt, "contact-ended")
    assert chat == PEER and contact.citizen_name and contact.citizen_name not in text
    assert await rt.storage.fetchone("SELECT 1 FROM outbox WHERE chat_id = ?", (CITIZEN,)) is None


async def test_a_copy_of_the_data_holds_the_persons_rows(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    await contacts.end(rt, contact, "citizen")
    citizen = await given.user(rt, CITIZEN)
    await contacts.rate(rt, citizen, contact.id, 3)
    copy = await privacy.copy_of_data(rt, citizen)
    assert (copy.requests, copy.contacts, copy.feedback, copy.escalations) == (1, 1, 1, 0)
    assert str(CITIZEN).encode() not in copy.document  # their own Telegram id is left out
    assert citizen.pseudonym is not None and citizen.pseudonym.encode() in copy.document


async def test_retention_runs_once_a_day_and_purges_closed_cases_past_the_period(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    await contacts.end(rt, contact, "citizen")
    assert await privacy.apply_retention(rt) == 0
    assert await privacy.apply_retention(rt) is None  # already ran today

    clock.advance(timedelta(days=rt.config.retention_days + 1))
    assert (await privacy.apply_retention(rt) or 0) >= 1
    assert await rt.storage.fetchone("SELECT 1 FROM contacts") is None
    assert await rt.storage.fetchone("SELECT 1 FROM requests") is None
