"""Sending the e-mail alarm: SMTP with STARTTLS (or TLS) and login, retried until it arrives.

    dispatcher = AlarmDispatcher(config, db, clock)
    task = asyncio.create_task(dispatcher.run())   # started by bot.app.start_bot

Like the outbox (`bot.delivery.dispatcher`), the dispatcher only sends what was committed to the
``alarms`` table. aiosmtplib keeps the event loop free while a mail server is slow, down or
refusing: the bot goes on answering people meanwhile. Every failure (connection refused,
time-out, TLS or login refused, a recipient refused) postpones the alarm with exponential
back-off, never gives it up; each address is e-mailed once (the ones that accepted are
remembered), so a retry or a restart sends only what is still missing.

Logs name the alarm and the SMTP status code, never an address or the server's text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib

from bot import metrics
from bot.clock import Clock
from bot.config import AlarmSettings, Config
from bot.delivery.alarm_text import compose
from bot.delivery.worker import Worker
from bot.errors import PeerbotError
from bot.i18n import Translator
from bot.storage import Database
from bot.storage import alarms as alarm_store
from bot.storage.alarms import Alarm

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=15)
MAX_BACKOFF = timedelta(minutes=5)


class MailError(PeerbotError):
    """The mail server could not be reached, or refused the connection, TLS or login."""


NO_STARTTLS = (
    "the mail server does not offer STARTTLS; use its STARTTLS port (usually 587), or "
    'alarm.security = "tls" for a server that wants TLS from the start (port 465)'
)


def describe(exc: BaseException) -> str:
    """A short, address-free description for logs and the alarm row."""
    if type(exc) is aiosmtplib.SMTPException and "STARTTLS" in str(exc):
        return NO_STARTTLS
    code = getattr(exc, "code", None)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        code = exc.recipients[0].code
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__


def message(
    settings: AlarmSettings, to: str, subject: str, body: str, now: datetime
) -> EmailMessage:
    """One e-mail per address, so an SMS gateway sees only its own number."""
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = settings.from_address
    mail["To"] = to
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=settings.from_address.rpartition("@")[2])
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(body)
    return mail


@asynccontextmanager
async def smtp_session(settings: AlarmSettings) -> AsyncIterator[aiosmtplib.SMTP]:
    """Connect, secure and log in; raise `MailError` if any of that fails."""
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        timeout=settings.timeout_seconds,
        use_tls=settings.security == "tls",
        start_tls=settings.security == "starttls",
        cert_bundle=str(settings.ca_file) if settings.ca_file else None,
        username=settings.username or None,
        password=settings.password or None,
    )
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as exc:
        client.close()
        raise MailError(describe(exc)) from exc
    try:
        yield client
    finally:
        with suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
        client.close()


async def send_once(
    settings: AlarmSettings, subject: str, body: str, now: datetime
) -> tuple[list[str], dict[str, str]]:
    """Send one e-mail to every configured address: (accepted, refused with the reason)."""
    accepted: list[str] = []
    refused: dict[str, str] = {}
    async with smtp_session(settings) as smtp:
        for address in settings.to:
            try:
                await smtp.send_message(
                    message(settings, address, subject, body, now),
                    sender=settings.from_address,
                    recipients=[address],
                )
            except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as exc:
                refused[address] = describe(exc)
            else:
                accepted.append(address)
    return accepted, refused


class AlarmDispatcher(Worker):
    """Sends committed alarms whenever woken, and retries on its own."""

    name = "alarm dispatcher"

    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        super().__init__()
        self.config = config
        self.settings = config.alarm
        self.db = db
        self.clock = clock
        self._lock = asyncio.Lock()

    async def drain(self) -> int:
        """Try every alarm that is due; returns how many were sent completely."""
        if not self.settings.enabled:
            return 0
        async with self._lock:
            due = await alarm_store.due(self.db, self.clock.now())
            if not due:
                return 0
            sent = 0
            remaining = list(due)
            try:
                async with smtp_session(self.settings) as smtp:
                    while remaining:
                        sent += await self._send(smtp, remaining[0])
                        remaining.pop(0)
            except (MailError, aiosmtplib.SMTPException, OSError) as exc:
                error = str(exc) if isinstance(exc, MailError) else describe(exc)
                for alarm in remaining:
                    await self._postpone(alarm, error)
            return sent

    async def _send(self, smtp: aiosmtplib.SMTP, alarm: Alarm) -> int:
        now = self.clock.now()
        t = Translator(self.config.default_language, self.config.timezone)
        subject, body = compose(t, alarm, now, self.config.organisation_name)
        errors = []
        for address in self.settings.to:
            if address in alarm.delivered_to:
                continue
            # The list of due alarms was read before a session that may be slow: someone may
            # have acknowledged since. Checked before every address.
            if not await alarm_store.is_pending(self.db, alarm.id):
                log.info(
                    "alarm %d (escalation %d) cancelled meanwhile", alarm.id, alarm.escalation_id
                )
                return 0
            try:
                await smtp.send_message(
                    message(self.settings, address, subject, body, now),
                    sender=self.settings.from_address,
                    recipients=[address],
                )
            except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as exc:
                errors.append(describe(exc))
            else:
                await alarm_store.delivered(self.db, alarm.id, address)
        if errors:
            await self._postpone(alarm, "; ".join(errors))
            return 0
        await alarm_store.mark_sent(self.db, alarm.id, self.clock.now())
        metrics.ALARMS.labels(result="sent").inc()
        log.info("alarm %d (escalation %d) sent", alarm.id, alarm.escalation_id)
        return 1

    async def _postpone(self, alarm: Alarm, error: str) -> None:
        delay = min(FIRST_RETRY * 2 ** min(alarm.attempts, 10), MAX_BACKOFF)
        await alarm_store.postpone(self.db, alarm.id, self.clock.now() + delay, error)
        metrics.ALARMS.labels(result="failed").inc()
        log.warning(
            "alarm %d (escalation %d) not sent: %s; retry in %s",
            alarm.id,
            alarm.escalation_id,
            error,
            delay,
        )
