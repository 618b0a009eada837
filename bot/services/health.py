"""Is the bot doing its job? One report for `peerbot health`, `/healthz` and the gauges."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot import metrics
from bot.runtime import Runtime
from bot.storage import alarms as alarm_store
from bot.storage import audit as audit_store
from bot.storage import health as health_store
from bot.storage import inbox as inbox_store
from bot.storage.migrations import MIGRATIONS

TELEGRAM_STAMP = "telegram.last_ok"
STARTED_STAMP = "bot.started_at"
TELEGRAM_STALE = timedelta(minutes=5)
START_GRACE = timedelta(minutes=2)  # a bot this young is starting, not unhealthy
OUTBOX_STALE = timedelta(minutes=10)
CHECKIN_LATE = timedelta(minutes=5)
REQUEST_STATES = ("draft", "waiting", "active", "closed", "cancelled")  # the table's CHECK


@dataclass
class HealthReport:
    database: str
    schema_version: int
    schema_latest: int
    telegram_last_ok_seconds: float | None
    outbox_pending: int
    outbox_oldest_seconds: float | None
    escalations_open: int
    escalation_oldest_seconds: float | None
    checkins_pending: int
    checkins_overdue: int
    alarms_pending: int = 0
    alarm_oldest_seconds: float | None = None
    started_seconds: float | None = None
    updates_set_aside: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "healthy": self.healthy}


def _age(now: datetime, moment: datetime | None) -> float | None:
    return round((now - moment).total_seconds(), 1) if moment else None


def contact_made(rt: Runtime) -> None:
    """Telegram answered a call (or a webhook update was accepted): noted in memory, cheaply."""
    rt.telegram_last_ok = rt.now()


def last_contact(rt: Runtime) -> datetime | None:
    return rt.telegram_last_ok


async def note_started(rt: Runtime) -> None:
    """Remember when this run started, so a bot that has just started is not called unhealthy."""
    await audit_store.set_meta(rt.storage, STARTED_STAMP, rt.now().isoformat())


async def note_telegram_ok(rt: Runtime) -> None:
    """Remember the last successful exchange with Telegram (for a separate health process)."""
    seen = last_contact(rt)
    if seen is not None:
        await audit_store.set_meta(rt.storage, TELEGRAM_STAMP, seen.isoformat())


async def report(rt: Runtime) -> HealthReport:
    now, db = rt.now(), rt.storage
    version = await db.schema_version()
    last_ok = await audit_store.get_meta(db, TELEGRAM_STAMP)
    started = await audit_store.get_meta(db, STARTED_STAMP)
    started_at = datetime.fromisoformat(started) if started else None
    pending, oldest = await health_store.outbox_backlog(db)
    open_count, open_oldest = await health_store.open_escalations(db)
    planned, overdue = await health_store.checkins(db, now - CHECKIN_LATE)
    alarms_pending, alarm_oldest = await alarm_store.backlog(db)
    result = HealthReport(
        database="ok",
        schema_version=version,
        schema_latest=len(MIGRATIONS),
        telegram_last_ok_seconds=_age(now, datetime.fromisoformat(last_ok) if last_ok else None),
        outbox_pending=pending,
        outbox_oldest_seconds=_age(now, oldest),
        escalations_open=open_count,
        escalation_oldest_seconds=_age(now, open_oldest),
        checkins_pending=planned,
        checkins_overdue=overdue,
        alarms_pending=alarms_pending,
        alarm_oldest_seconds=_age(now, alarm_oldest),
        started_seconds=_age(now, started_at),
        updates_set_aside=await inbox_store.set_aside_count(db),
    )
    ack_limit = timedelta(minutes=3 * rt.config.escalation_ack_minutes)
    if version != len(MIGRATIONS):
        result.problems.append("database schema is not the current one")
    starting = started_at is not None and now - started_at < START_GRACE
    if not starting and (
        result.telegram_last_ok_seconds is None
        or result.telegram_last_ok_seconds > TELEGRAM_STALE.total_seconds()
    ):
        result.problems.append("no recent successful contact with Telegram")
    if oldest and now - oldest > OUTBOX_STALE:
        result.problems.append("messages have waited more than 10 minutes to be sent")
    if open_oldest and now - open_oldest > ack_limit:
        result.problems.append("an urgent request has waited long for a coordinator")
    if overdue:
        result.problems.append("check-ins are overdue")
    if alarm_oldest and now - alarm_oldest > OUTBOX_STALE:
        result.problems.append("an e-mail alarm has waited more than 10 minutes to be sent")
    return result


async def refresh_gauges(rt: Runtime) -> None:
    """Set every gauge, every known request state included: a state with no rows shows 0."""
    now, db = rt.now(), rt.storage
    counts = await health_store.requests_by_state(db)
    for state in sorted(set(REQUEST_STATES) | set(counts)):
        metrics.REQUESTS.labels(state=state).set(counts.get(state, 0))
    pending, oldest = await health_store.outbox_backlog(db)
    metrics.OUTBOX_BACKLOG.set(pending)
    metrics.OUTBOX_AGE.set(_age(now, oldest) or 0)
    planned, overdue = await health_store.checkins(db, now - CHECKIN_LATE)
    metrics.CHECKINS_PENDING.set(planned)
    metrics.CHECKINS_LATE.set(overdue)
    metrics.ALARM_BACKLOG.set((await alarm_store.backlog(db))[0])
