"""Dispatching updates: per-chat order, the urgent lane, a clean stop, and marking done.

`ChatOrder` and `UpdatePath` (bot/telegram/updates.py) replace PTB's update processor; these
tests drive them without Telegram, with handlers that hold their slot until released.
"""

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest
from telegram import Update

from bot.clock import FakeClock
from bot.storage import Database, inbox
from bot.storage.group_commit import GroupWriter
from bot.telegram.updates import ChatOrder, UpdatePath
from tests.conftest import START


def update(update_id: int, chat: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat, "type": "private"},
                "text": "hello",
            },
        },
        None,
    )


async def turns(count: int = 20) -> None:
    """Let every task that can run, run (no wall-clock wait)."""
    for _ in range(count):
        await asyncio.sleep(0)


class Handling:
    """Handlers that note when they start and finish; updates in `held` keep their slot until
    released."""

    def __init__(self, held: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.release = asyncio.Event()
        self.held = set(held)
        self.started: list[int] = []
        self.finished: list[int] = []

    async def handle(self, update: Update) -> None:
        self.started.append(update.update_id)
        if update.update_id in self.held:
            await self.release.wait()
        self.finished.append(update.update_id)


@pytest.mark.parametrize(
    ("urgent_chat", "before_release", "order"),
    [
        (30, [1, 3], [1, 3, 2]),  # another chat: it does not wait for the one slot
        (20, [1], [1, 2, 3]),  # its own chat's update 2 waits for the slot: so does it
    ],
)
async def test_urgent_updates_skip_the_slot_queue_but_not_their_chat(
    urgent_chat: int, before_release: list[int], order: list[int]
) -> None:
    handling = Handling(held={1})
    dispatch = ChatOrder(handling.handle, slots=1)
    dispatch.submit(update(1, 10))
    dispatch.submit(update(2, 20))
    dispatch.submit(update(3, urgent_chat), urgent=True)
    await turns()
    assert handling.started == before_release
    handling.release.set()
    await dispatch.wait_idle()
    assert handling.started == order
    assert dispatch.pending == 0


async def test_urgent_update_still_waits_for_its_own_chat() -> None:
    handling = Handling(held={1})
    dispatch = ChatOrder(handling.handle, slots=4)
    dispatch.submit(update(1, 10))
    await turns()
    dispatch.submit(update(2, 10), urgent=True)
    await turns()
    assert handling.started == [1]
    handling.release.set()
    await dispatch.wait_idle()
    assert handling.started == [1, 2]


async def test_one_chat_in_arrival_order_while_other_chats_go_on() -> None:
    handling = Handling(held={1})
    dispatch = ChatOrder(handling.handle, slots=8)
    for update_id, chat in ((1, 10), (2, 10), (3, 20), (4, 10), (5, 20)):
        dispatch.submit(update(update_id, chat))
    await turns()
    assert handling.finished == [3, 5]  # chat 20 is not held up by chat 10's slow update
    handling.release.set()
    await dispatch.wait_idle()
    assert handling.finished == [3, 5, 1, 2, 4]


async def test_a_clean_stop_waits_for_what_runs_and_hands_back_what_never_started() -> None:
    handling = Handling(held={1})
    dispatch = ChatOrder(handling.handle, slots=1)
    dispatch.submit(update(1, 10))
    dispatch.submit(update(2, 10))  # behind its chat's first
    dispatch.submit(update(3, 20))  # waiting for the one slot
    await turns()
    stopping = asyncio.create_task(dispatch.stop())
    await turns()
    assert not stopping.done()  # update 1 is being handled: the stop waits for it
    handling.release.set()
    assert sorted(await stopping) == [2, 3]
    assert handling.finished == [1]
    dispatch.submit(update(4, 30))  # after the stop nothing starts
    await turns()
    assert handling.started == [1]


async def test_a_failing_handler_does_not_stop_its_chat() -> None:
    done: list[int] = []

    async def handle(u: Update) -> None:
        if u.update_id == 1:
            raise RuntimeError("boom")
        done.append(u.update_id)

    dispatch = ChatOrder(handle)
    dispatch.submit(update(1, 10))
    dispatch.submit(update(2, 10))
    await dispatch.wait_idle()
    assert done == [2]


class FakeApplication(SimpleNamespace):
    """PTB's public entry points, as `UpdatePath` uses them."""

    def __init__(self, failing: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        super().__init__(bot=None, processed=[], errors=[], failing=set(failing))

    async def process_update(self, update: Update) -> None:
        self.processed.append(update.update_id)
        if update.update_id in self.failing:
            raise RuntimeError("outside any handler")

    async def process_error(self, update: object, error: Exception) -> bool:
        self.errors.append((update, type(error).__name__))
        return False


async def test_an_update_is_done_only_after_its_handlers_ran(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "inbox.sqlite3")
    writer = GroupWriter(db)
    application = FakeApplication(failing={2})
    path = UpdatePath(application, db, FakeClock(START), writer=writer)  # type: ignore[arg-type]
    await path.store([update(1, 10).to_dict(), update(2, 20).to_dict()])
    await path.wait_idle()
    await writer.flush()
    assert sorted(application.processed) == [1, 2]
    assert [error for _, error in application.errors] == ["RuntimeError"]  # the error handler
    rows = await db.fetchall("SELECT update_id FROM inbox")
    assert [row[0] for row in rows] == [2]  # tried again at the next start-up
    assert 1 in await inbox.known_ids(db)  # handled: a repeat from Telegram is ignored
    await db.close()


async def test_the_inbox_marks_urgent_updates_and_hands_them_on_first(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "inbox.sqlite3")
    path = UpdatePath(
        FakeApplication(),  # type: ignore[arg-type]
        db,
        FakeClock(START),
        is_urgent=lambda raw: raw["message"]["text"] == "/help_now",
    )
    handed: list[tuple[int, bool]] = []
    path.order = SimpleNamespace(  # type: ignore[assignment]
        submit=lambda u, *, urgent=False: handed.append((u.update_id, urgent))
    )
    raw = [update(1, 10).to_dict(), update(2, 20).to_dict()]
    raw[1]["message"]["text"] = "/help_now"
    await path.store(raw)
    assert handed == [(2, True), (1, False)]
    await db.close()


async def test_urgent_work_reaches_the_database_before_ordinary_work_waiting(
    tmp_path: Path,
) -> None:
    """An urgent update's reads, and the outbox finding and sending an urgent row, take the
    database's next turn although ordinary reads were queued first."""
    from bot.delivery.dispatcher import OutboxDispatcher
    from bot.storage import outbox

    db = await Database.open(tmp_path / "db.sqlite3")
    order: list[str] = []

    async def ordinary(n: int) -> None:
        await db.fetchone("SELECT 1")
        order.append(f"ordinary {n}")

    async def urgent_handler() -> None:
        await db.fetchone("SELECT 1")
        order.append("urgent update")

    async def send(method: str, *, api_kwargs: dict[str, object], return_type: None) -> dict:
        order.append(f"sent {api_kwargs['text']}")
        return {"message_id": 1}

    bot = SimpleNamespace(do_api_request=send)
    dispatcher = OutboxDispatcher(bot, db, FakeClock(START))  # type: ignore[arg-type]
    async with db.transaction() as tx:
        await outbox.enqueue(
            tx,
            chat_id=1,
            method="sendMessage",
            params={"text": "alert"},
            purpose="escalation",
            now=START,
            priority=outbox.Priority.URGENT,
        )

    async def handle(_: Update) -> None:
        await urgent_handler()

    chats = ChatOrder(handle)
    async with db.transaction():
        queued = [asyncio.create_task(ordinary(n)) for n in range(3)]
        await asyncio.sleep(0)
        chats.submit(update(7, 70), urgent=True)
        drained = asyncio.create_task(dispatcher.drain())
        await asyncio.sleep(0.01)
        assert order == []  # the transaction in progress is never interrupted
    await asyncio.gather(*queued, drained, chats.wait_idle())
    assert order.index("sent alert") < order.index("ordinary 0")
    assert order.index("urgent update") < order.index("ordinary 0")
    await db.close()
