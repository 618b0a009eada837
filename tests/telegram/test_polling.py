"""The update path's inbox: urgent first, bad updates set aside, repeats ignored."""

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from telegram import Update

from bot import metrics
from bot.clock import FakeClock
from bot.storage import Database, inbox
from bot.storage.group_commit import GroupWriter
from bot.telegram.updates import MAX_TRIES, UpdatePath, urgent_first
from tests.conftest import START


def message(update_id: int, chat: int, text: str) -> dict:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": text}}


def good(update_id: int, chat: int = 10, text: str = "hello") -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": chat, "type": "private", "first_name": "Ada"},
            "from": {"id": chat, "is_bot": False, "first_name": "Ada", "username": "ada_l"},
            "text": text,
        },
    }


# Every kind of malformed update the old webhook accepted, with an id so it can be set aside.
MALFORMED = {
    "no date": {"message": {"message_id": 1, "chat": {"id": 5, "type": "private"}, "text": "hi"}},
    "only chat.id": {"message": {"chat": {"id": 5}}},
    "a list": {"message": []},
    "deep nesting": {"message": {"chat": {"id": 5, "first_name": "Bo"}, "x": [[[[[[[[[]]]]]]]]]}},
    "a string": {"callback_query": "Bo Jensen wrote this"},
}


def test_urgent_updates_go_first_but_never_ahead_of_their_own_chat() -> None:
    batch = [
        message(1, 10, "hello"),
        message(2, 20, "hello"),
        message(3, 30, "/help_now"),
        message(4, 10, "/help_now"),
    ]
    ordered = urgent_first(batch, lambda raw: raw["message"]["text"] == "/help_now")
    assert [raw["update_id"] for raw in ordered] == [3, 1, 2, 4]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "inbox.sqlite3")
    yield database
    await database.close()


class HandedOn:
    """Stands in for the dispatcher: notes which updates the inbox handed on, in order."""

    def __init__(self) -> None:
        self.update_ids: list[int] = []
        self.urgent: list[int] = []

    def submit(self, update: Update, *, urgent: bool = False) -> None:
        self.update_ids.append(update.update_id)
        if urgent:
            self.urgent.append(update.update_id)


def make_poller(db: Database, clock: FakeClock | None = None) -> UpdatePath:
    application = SimpleNamespace(bot=None)
    path = UpdatePath(application, db, clock or FakeClock(START))  # type: ignore[arg-type]
    path.order = HandedOn()  # type: ignore[assignment]
    return path


def queued(poller: UpdatePath) -> list[int]:
    assert isinstance(poller.order, HandedOn)
    handed, poller.order.update_ids = poller.order.update_ids, []
    return handed


def set_aside_count(reason: str) -> float:
    return (
        metrics.REGISTRY.get_sample_value("peerbot_updates_set_aside_total", {"reason": reason})
        or 0.0
    )


async def test_malformed_updates_are_set_aside_without_personal_data(db: Database) -> None:
    poller = make_poller(db)
    before = set_aside_count("unparseable")
    batch = [good(1)]
    batch += [{"update_id": 2 + n, **body} for n, body in enumerate(MALFORMED.values())]
    batch += [{"update_id": 20, "brand_new_kind": {"chat": {"id": 5}}}, good(21)]
    assert await poller.store(batch) == 3  # the two good ones and the unknown kind
    assert queued(poller) == [1, 20, 21]
    assert poller.offset == 22
    assert set_aside_count("unparseable") - before == len(MALFORMED)
    rows = await db.fetchall("SELECT * FROM inbox_set_aside ORDER BY update_id")
    assert [row["update_id"] for row in rows] == list(range(2, 2 + len(MALFORMED)))
    kept = json.dumps([dict(row) for row in rows])
    for personal in ("hi", "Bo", "Jensen", "wrote"):
        assert personal not in kept
    assert rows[0]["error"] == "KeyError: date"
    assert rows[0]["fields"] == "update_id,message{chat,message_id,text}"
    assert rows[2]["fields"] == "update_id,message<list>"
    assert [row[0] for row in await db.fetchall("SELECT update_id FROM inbox")] == [1, 20, 21]


async def test_updates_without_a_usable_id_are_dropped_and_counted(db: Database) -> None:
    poller = make_poller(db)
    before = set_aside_count("no_update_id")
    odd = [None, [], "x", {"message": {}}, {"update_id": "7"}, {"update_id": True}, 2**70]
    assert await poller.store([*odd, good(3)]) == 1
    assert set_aside_count("no_update_id") - before == len(odd)
    assert queued(poller) == [3]


async def test_the_same_update_id_twice_is_handled_once_even_after_it_finished(
    db: Database,
) -> None:
    poller = make_poller(db)
    assert await poller.store([good(1), good(1)]) == 1
    assert await poller.store([good(1)]) == 0  # still in the inbox
    writer = GroupWriter(db)
    inbox.finish_later(writer, 1, START)
    await writer.flush()
    assert await db.fetchall("SELECT * FROM inbox") == []
    assert await poller.store([good(1)]) == 0  # handled and removed
    assert queued(poller) == [1]

    # A new run on the same database remembers it too, and polls above it.
    again = make_poller(db)
    assert await again.recover() == 0
    assert again.offset == 2
    assert await again.store([good(1), good(2)]) == 1
    assert queued(again) == [2]


async def test_handled_ids_are_remembered_a_day_and_at_most_a_bounded_number(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox, "SEEN_KEEP", 3)
    writer = GroupWriter(db)
    for update_id in range(1, 6):
        inbox.finish_later(writer, update_id, START + timedelta(minutes=update_id))
    await writer.flush()
    await inbox.prune_seen(db, START + timedelta(hours=1))
    assert [r[0] for r in await db.fetchall("SELECT update_id FROM inbox_seen")] == [3, 4, 5]
    await inbox.prune_seen(db, START + timedelta(days=1, minutes=4, seconds=30))
    assert [r[0] for r in await db.fetchall("SELECT update_id FROM inbox_seen")] == [5]


async def test_an_unreadable_stored_update_does_not_block_start_up(db: Database) -> None:
    """What the old version stored (no `date`) made every start-up fail in recover()."""
    now = START
    await inbox.add_updates(db, [good(1), {"update_id": 2, **MALFORMED["no date"]}, good(3)], now)
    poller = make_poller(db)
    assert await poller.recover() == 2
    assert queued(poller) == [1, 3]
    row = await db.fetchone("SELECT * FROM inbox_set_aside")
    assert row is not None and row["update_id"] == 2 and row["tries"] == 1


async def test_an_update_unfinished_after_several_start_ups_is_set_aside(db: Database) -> None:
    await inbox.add_updates(db, [good(1)], START)
    before = set_aside_count("unfinished")
    for start in range(1, MAX_TRIES + 1):  # each start-up tries it; none finishes it
        poller = make_poller(db)
        assert await poller.recover() == 1, start
    poller = make_poller(db)
    assert await poller.recover() == 0
    assert set_aside_count("unfinished") - before == 1
    row = await db.fetchone("SELECT error, tries FROM inbox_set_aside WHERE update_id = 1")
    assert row is not None and (row["error"], row["tries"]) == ("unfinished", MAX_TRIES + 1)
    assert await poller.store([good(1)]) == 0  # and it is not taken in again


async def test_an_urgent_check_that_fails_on_an_odd_update_does_not_stop_the_batch(
    db: Database,
) -> None:
    poller = make_poller(db)
    poller.is_urgent = lambda raw: raw["message"]["text"].startswith("/help_now")
    odd = {"update_id": 1, "message": {**good(1)["message"], "text": 5}}
    assert await poller.store([odd, good(2, chat=20, text="/help_now")]) == 2
    assert queued(poller) == [2, 1]


async def test_a_clean_stop_gives_back_the_try_of_updates_it_never_started(db: Database) -> None:
    await inbox.add_updates(db, [good(1), good(2)], START)
    for _ in range(MAX_TRIES + 3):  # many clean restarts, each stopping before update 2 ran
        poller = make_poller(db)
        await poller.recover()
        await inbox.not_tried(db, [2])
    rows = await db.fetchall("SELECT update_id, tries FROM inbox ORDER BY update_id")
    assert [tuple(row) for row in rows] == [(2, 0)]  # update 1, really tried each time: aside
    assert [row[0] for row in await db.fetchall("SELECT update_id FROM inbox_set_aside")] == [1]
