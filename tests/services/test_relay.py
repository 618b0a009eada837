from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.services import relay


def test_memory_of_who_spoke_last_forgets_only_settled_contacts() -> None:
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    forgotten: list[list[str]] = []
    rt = SimpleNamespace(storage=SimpleNamespace(forget_cached=forgotten.append))
    spoken = {
        1: ("citizen", now - timedelta(minutes=5)),
        2: ("peer", now - timedelta(seconds=2)),  # its group commit may still be pending
    }
    relay._forget_old_spoken(rt, spoken, now)  # type: ignore[arg-type]
    assert spoken == {2: ("peer", now - timedelta(seconds=2))}
    assert forgotten == [["contacts"]]  # cached rows are read afresh, from committed values
