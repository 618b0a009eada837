"""The sweep: each step on its own, escalation follow-ups first (bot/scheduling.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot import metrics, scheduling
from bot.runtime import Runtime
from bot.services import backups, checkins, health, privacy
from bot.services.crisis import escalation
from tests.helpers.flows import coordinator, in_contact, press
from tests.helpers.harness import Harness


def failures(step: str) -> float:
    return (
        metrics.REGISTRY.get_sample_value("peerbot_sweep_step_failures_total", {"step": step})
        or 0.0
    )


def test_escalation_follow_ups_come_first() -> None:
    names = [name for name, _ in scheduling.SWEEP_STEPS]
    assert names[0] == "escalation_follow_up"
    assert len(names) == len(set(names))  # one label per step


async def test_failing_retention_and_backup_stop_neither_escalations_nor_check_ins(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    citizen.send_text("/help_now")
    await h.settle()
    assert not any(text.startswith("Still not acknowledged") for text in coco.texts)

    async def broken(rt: Runtime, **kwargs: object) -> None:
        raise OSError("disk full at /var/lib/peerbot (Ada, 1001)")

    monkeypatch.setattr(privacy, "apply_retention", broken)
    monkeypatch.setattr(backups, "daily_backup", broken)
    gauges_refreshed = []
    refresh = health.refresh_gauges

    async def recorded(rt: Runtime) -> None:
        gauges_refreshed.append(rt.now())
        await refresh(rt)

    monkeypatch.setattr(health, "refresh_gauges", recorded)
    before = {step: failures(step) for step in ("retention", "backup", "checkins")}
    h.clock.advance(timedelta(days=1))
    with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
        failed = await scheduling.sweep(h.rt)
    await h.settle()

    assert sorted(failed) == ["backup", "retention"]
    assert failures("retention") == before["retention"] + 1
    assert failures("backup") == before["backup"] + 1
    assert failures("checkins") == before["checkins"]
    # The escalation was followed up and the check-in fired, though two steps failed.
    assert any(text.startswith("Still not acknowledged") for text in coco.texts)
    assert any("How are you doing today?" in text for text in citizen.texts)
    # Steps after the failing ones ran too, up to the last one.
    assert gauges_refreshed == [h.clock.now()]
    # One line per failure, naming the step and the error's type, never its text.
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.scheduling"]
    assert len(logged) == 2
    assert all("OSError" in line for line in logged)
    assert any("retention" in line for line in logged)
    assert any("backup" in line for line in logged)
    assert not any("Ada" in line or "1001" in line or "/var/lib" in line for line in logged)


async def test_a_failing_first_step_does_not_stop_check_ins(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")

    async def broken(rt: Runtime) -> int:
        raise RuntimeError("escalations table is locked")

    monkeypatch.setattr(escalation, "follow_up", broken)
    before = failures("escalation_follow_up")
    h.clock.advance(timedelta(days=1))
    assert list(await scheduling.sweep(h.rt)) == ["escalation_follow_up"]
    await h.settle()
    assert failures("escalation_follow_up") == before + 1
    assert any("How are you doing today?" in text for text in citizen.texts)


async def test_the_harness_tick_still_raises_a_failing_step(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(rt: Runtime) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(checkins, "sweep", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        await harness.tick(timedelta(minutes=1))
