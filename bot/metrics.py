"""Prometheus metrics: counts and timings with no personal data in any label.

One registry per process (not the global default, so tests can build several applications).
Counters are bumped where things happen; gauges about stored state are refreshed by the sweep.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()

UPDATES = Counter("peerbot_updates_handled", "Updates handled", registry=REGISTRY)
RELAYED = Counter(
    "peerbot_messages_relayed", "Messages relayed between two people", registry=REGISTRY
)
ESCALATIONS = Counter(
    "peerbot_escalations_raised", "Escalations raised", ["reason"], registry=REGISTRY
)
TIME_TO_ACK = Histogram(
    "peerbot_escalation_ack_seconds",
    "Time from escalation to acknowledgement",
    buckets=(30, 60, 120, 300, 600, 1200, 3600, 10800),
    registry=REGISTRY,
)
TELEGRAM_ERRORS = Counter(
    "peerbot_telegram_errors", "Errors answered by Telegram", ["kind"], registry=REGISTRY
)
REQUESTS = Gauge("peerbot_requests", "Requests by state", ["state"], registry=REGISTRY)
OUTBOX_BACKLOG = Gauge("peerbot_outbox_backlog", "Messages waiting to be sent", registry=REGISTRY)
OUTBOX_AGE = Gauge(
    "peerbot_outbox_oldest_seconds", "Age of the oldest unsent message", registry=REGISTRY
)
CHECKINS_PENDING = Gauge("peerbot_checkins_pending", "Check-ins planned", registry=REGISTRY)
CHECKINS_LATE = Gauge(
    "peerbot_checkins_late", "Check-ins overdue by more than 5 minutes", registry=REGISTRY
)
ALARMS = Counter(
    "peerbot_alarms",
    "E-mail alarms queued, sent and failed attempts",
    ["result"],
    registry=REGISTRY,
)
ALARM_BACKLOG = Gauge(
    "peerbot_alarm_backlog", "E-mail alarms waiting to be sent", registry=REGISTRY
)
UPDATES_SET_ASIDE = Counter(
    "peerbot_updates_set_aside",
    "Updates set aside (unparseable, unfinished after several start-ups) or without an id",
    ["reason"],
    registry=REGISTRY,
)
UPDATES_REPEATED = Counter(
    "peerbot_updates_repeated", "Updates received again and ignored", registry=REGISTRY
)
WEBHOOK_REJECTED = Counter(
    "peerbot_webhook_rejected", "Webhook requests refused, by reason", ["reason"], registry=REGISTRY
)
SWEEP_STEP_FAILURES = Counter(
    "peerbot_sweep_step_failures",
    "Sweep steps that failed (each is tried again at the next sweep)",
    ["step"],
    registry=REGISTRY,
)
