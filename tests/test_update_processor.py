import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest
from telegram import Update

from bot.clock import FakeClock
from bot.polling import InboxPoller
from bot.storage import Database
from bot.update_processor import ChatOrderedProcessor
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


class Handling:
    """Handlers that note when they start; `wait=True` ones hold their slot until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started: list[int] = []

    async def handle(self, update_id: int, wait: bool) -> None:
        self.started.append(update_id)
        if wait:
            await self.release.wait()


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
    processor = ChatOrderedProcessor(max_concurrent_updates=1)
    handling = Handling()
    handle = handling.handle
    busy = asyncio.create_task(processor.process_update(update(1, 10), handle(1, True)))
    waiting = asyncio.create_task(processor.process_update(update(2, 20), handle(2, False)))
    processor.urgent.add(3)
    urgent = asyncio.create_task(processor.process_update(update(3, urgent_chat), handle(3, False)))
    await asyncio.sleep(0.01)
    assert handling.started == before_release
    handling.release.set()
    await asyncio.gather(busy, waiting, urgent)
    assert handling.started == order
    assert processor.urgent == set()


async def test_urgent_update_still_waits_for_its_own_chat() -> None:
    processor = ChatOrderedProcessor(max_concurrent_updates=4)
    handling = Handling()
    handle, started, release = handling.handle, handling.started, handling.release
    busy = asyncio.create_task(processor.process_update(update(1, 10), handle(1, True)))
    await asyncio.sleep(0)
    processor.urgent.add(2)
    urgent = asyncio.create_task(processor.process_update(update(2, 10), handle(2, False)))
    await asyncio.sleep(0.01)
    assert started == [1]
    release.set()
    await asyncio.gather(busy, urgent)
    assert started == [1, 2]


async def test_poller_marks_urgent_updates(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "inbox.sqlite3")
    queue: asyncio.Queue[Update] = asyncio.Queue()
    application = SimpleNamespace(bot=None, update_queue=queue)
    poller = InboxPoller(application, db, FakeClock(START))  # type: ignore[arg-type]
    marked: list[int] = []
    poller.is_urgent = lambda raw: raw["message"]["text"] == "/help_now"
    poller.mark_urgent = marked.append
    raw = [update(1, 10).to_dict(), {**update(2, 20).to_dict()}]
    raw[1]["message"]["text"] = "/help_now"
    await poller.store(raw)
    assert marked == [2]
    assert [queue.get_nowait().update_id for _ in range(2)] == [2, 1]
    await db.close()


async def test_urgent_work_reaches_the_database_before_ordinary_work_waiting(
    tmp_path: Path,
) -> None:
    """An urgent update's reads, and the outbox finding and sending an urgent row, take the
    database's next turn although ordinary reads were queued first."""
    from bot.delivery import OutboxDispatcher
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
    processor = ChatOrderedProcessor()
    async with db.transaction():
        queued = [asyncio.create_task(ordinary(n)) for n in range(3)]
        await asyncio.sleep(0)
        processor.urgent.add(7)
        tasks = [
            asyncio.create_task(processor.process_update(update(7, 70), urgent_handler())),
            asyncio.create_task(dispatcher.drain()),
        ]
        await asyncio.sleep(0.01)
        assert order == []  # the transaction in progress is never interrupted
    await asyncio.gather(*queued, *tasks)
    assert order.index("sent alert") < order.index("ordinary 0")
    assert order.index("urgent update") < order.index("ordinary 0")
    await db.close()
