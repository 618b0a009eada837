"""The e-mail alarm beyond Telegram, through the real Application and a real SMTP server on
loopback (STARTTLS with a certificate made in the test, AUTH PLAIN and LOGIN)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import AlarmSettings
from bot.delivery.alarm_text import age_words
from bot.fakebot import FakeTelegram
from bot.i18n import Translator
from bot.services import health
from tests.helpers.flows import coordinator, in_contact
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR, Harness, make_config
from tests.helpers.smtp import BlackHole, MailServer

SATURDAY_EVENING = datetime(2026, 3, 7, 20, 0, tzinfo=UTC)
VAGT, SMS = "vagt@example.dk", "4512345678@sms.example.dk"


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[MailServer]:
    server = MailServer(tmp_path)
    server.start()
    yield server
    server.stop()


async def started(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock, alarm: AlarmSettings
) -> Harness:
    h = Harness(replace(make_config(tmp_path), alarm=alarm), fake, clock)
    await h.start()
    return h


@pytest.fixture
async def h(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock, mail: MailServer
) -> AsyncIterator[Harness]:
    harness = await started(tmp_path, fake, clock, mail.settings())
    try:
        yield harness
    finally:
        await harness.stop()


async def alarms_settled(h: Harness) -> None:
    """Let the alarm sender finish what it is doing and try what is due."""
    assert h.rt.alarms is not None
    await h.rt.alarms.drain()


async def alarm_rows(h: Harness) -> list[dict[str, object]]:
    rows = await h.rt.storage.fetchall("SELECT * FROM alarms ORDER BY id")
    return [dict(row) for row in rows]


async def help_now(h: Harness, user_id: int = 1001) -> list[str]:
    citizen = h.user(user_id, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    return citizen.texts


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_unacknowledged_after_backups_sends_one_alarm_to_each_address(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock, mechanism: str
) -> None:
    mail = MailServer(tmp_path, mechanisms=(mechanism,))
    mail.start()
    h = await started(tmp_path, fake, clock, mail.settings())
    try:
        coco = await coordinator(h)
        await coordinator(h, BACKUP_COORDINATOR, "Bent")
        citizen_texts = await help_now(h)
        assert "I have told our coordinators" in citizen_texts[-1]
        for minutes in (5, 5, 4):  # re-sent, backups, not yet the alarm
            await h.tick(timedelta(minutes=minutes))
            await alarms_settled(h)
        assert coco.texts[-1].startswith("Still not acknowledged")
        assert mail.received == []
        await h.tick(timedelta(minutes=1, seconds=1))
        await alarms_settled(h)
        assert [r.recipients for r in mail.received] == [[VAGT], [SMS]]
        for received in mail.received:
            assert received.authenticated_as == "alarm@example.dk"
            assert received.mechanism == mechanism
            assert received.message["To"] in (VAGT, SMS)
            assert received.subject == "Alarm: akut #1"
            assert "akut #1 (hjælpeknap)" in received.body
            assert "15 minutter" in received.body
            assert "Åbn botten" in received.body
            assert len(received.body) <= 160  # fits one SMS
        pseudonym = (
            await h.rt.storage.fetchone("SELECT pseudonym FROM users WHERE telegram_id = 1001")
        )[0]
        assert pseudonym not in mail.received[0].body and "1001" not in mail.received[0].body
        # Once per escalation and stage: later sweeps and a restart send nothing more.
        await h.tick(timedelta(minutes=30))
        await h.restart()
        await h.tick(timedelta(minutes=30))
        await alarms_settled(h)
        assert len(mail.received) == 2
        assert [(r["stage"], r["status"]) for r in await alarm_rows(h)] == [
            ("unacknowledged", "sent")
        ]
    finally:
        await h.stop()
        mail.stop()


async def test_acknowledged_in_time_means_no_alarm(h: Harness, mail: MailServer) -> None:
    coco = await coordinator(h)
    await help_now(h)
    await h.tick(timedelta(minutes=12))
    coco.press_button("I'm handling it")
    await h.settle()
    await h.tick(timedelta(minutes=30))
    await alarms_settled(h)
    assert mail.received == [] and await alarm_rows(h) == []


async def test_outside_hours_with_nobody_on_call_tells_citizen_and_alarms_at_once(
    h: Harness, mail: MailServer
) -> None:
    await coordinator(h)
    backup = await coordinator(h, BACKUP_COORDINATOR, "Bent")
    h.clock.set(SATURDAY_EVENING)
    answer = (await help_now(h))[-1]
    assert "office is closed right now" in answer and "we are not here around the clock" in answer
    assert "Monday" in answer and "112" in answer
    assert "I have told our coordinators" not in answer
    assert backup.texts[-1].startswith("Urgent #1")  # backups at once, not in 10 minutes
    await alarms_settled(h)
    assert len(mail.received) == 2
    assert "Ingen koordinator kan nås" in mail.received[0].body
    assert [(r["stage"], r["status"]) for r in await alarm_rows(h)] == [("unreachable", "sent")]
    # The ladder goes on; its own alarm stage follows once, later.
    await h.tick(timedelta(minutes=16))
    await alarms_settled(h)
    await h.tick(timedelta(minutes=1))
    await alarms_settled(h)
    assert [r["stage"] for r in await alarm_rows(h)] == ["unreachable", "unacknowledged"]
    assert len(mail.received) == 4


async def test_outside_hours_a_coordinator_on_call_is_enough(h: Harness, mail: MailServer) -> None:
    coco = await coordinator(h)
    coco.send_text("/onduty")
    await h.settle()
    h.clock.set(SATURDAY_EVENING)
    answer = (await help_now(h))[-1]
    assert "I have told our coordinators" in answer
    assert coco.texts[-1].startswith("Urgent #1")
    await alarms_settled(h)
    assert mail.received == []


async def test_blocked_coordinators_known_beforehand(h: Harness, mail: MailServer) -> None:
    coco = await coordinator(h)
    coco.block()
    await h.settle()
    answer = (await help_now(h))[-1]
    assert "none of our coordinators can be reached" in answer
    assert "112" in answer
    await alarms_settled(h)
    assert len(mail.received) == 2


@pytest.mark.parametrize("how", ["never started the bot", "chat not found"])
async def test_every_alert_refused_by_telegram_is_learnt_on_delivery(
    h: Harness, mail: MailServer, how: str
) -> None:
    if how == "never started the bot":
        h.fake.user(COORDINATOR, "Coco", started=False)  # never opened the bot: 403
    texts = await help_now(h)
    assert "I have told our coordinators" in texts[-2]
    assert "none of our coordinators can be reached" in texts[-1]
    assert "112" in texts[-1]
    statuses = await h.rt.storage.fetchall(
        "SELECT DISTINCT status FROM outbox WHERE purpose = 'escalation'"
    )
    assert [row[0] for row in statuses] == ["unreachable"]
    await alarms_settled(h)
    assert len(mail.received) == 2 and "Ingen koordinator kan nås" in mail.received[0].body
    # Known now: the next citizen is told at once, and gets it once.
    second = await help_now(h, 1002)
    assert "none of our coordinators can be reached" in second[-1]
    assert sum("can be reached" in text for text in second) == 1
    # Five minutes on, the ladder re-sends to coordinators but says nothing new to the citizen.
    await h.tick(timedelta(minutes=6))
    assert h.user(1002).texts == second


async def test_crisis_words_with_nobody_reachable_tell_the_citizen(
    h: Harness, mail: MailServer
) -> None:
    _, citizen = await in_contact(h)
    h.user(COORDINATOR).block()
    await h.settle()
    citizen.send_text("honestly i want to kill myself")
    await h.settle()
    assert "none of our coordinators can be reached" in citizen.texts[-1]
    await alarms_settled(h)
    assert any("kriseord" in r.body for r in mail.received)


async def test_refused_login_is_retried_with_backoff_and_delivered_once(
    h: Harness, mail: MailServer
) -> None:
    mail.refuse_login = True
    h.clock.set(SATURDAY_EVENING)
    await help_now(h)
    await alarms_settled(h)
    [row] = await alarm_rows(h)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "535" in str(row["last_error"])
    await h.tick(timedelta(seconds=16))
    await alarms_settled(h)
    await h.tick(timedelta(seconds=31))
    await alarms_settled(h)
    [row] = await alarm_rows(h)
    assert row["attempts"] == 3 and mail.received == []
    mail.refuse_login = False
    await h.tick(timedelta(seconds=61))
    await alarms_settled(h)
    await h.tick(timedelta(minutes=10))
    await alarms_settled(h)
    assert [r.recipients for r in mail.received] == [[VAGT], [SMS]]
    assert (await alarm_rows(h))[0]["status"] == "sent"


async def test_refused_address_is_retried_alone(h: Harness, mail: MailServer) -> None:
    mail.refuse_recipients = {SMS}
    h.clock.set(SATURDAY_EVENING)
    await help_now(h)
    await alarms_settled(h)
    assert [r.recipients for r in mail.received] == [[VAGT]]
    [row] = await alarm_rows(h)
    assert row["status"] == "pending" and "550" in str(row["last_error"])
    mail.refuse_recipients = set()
    await h.tick(timedelta(seconds=16))
    await alarms_settled(h)
    assert [r.recipients for r in mail.received] == [[VAGT], [SMS]]
    assert (await alarm_rows(h))[0]["status"] == "sent"


async def test_server_down_is_retried_and_survives_a_restart(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    mail = MailServer(tmp_path)  # not started yet: nothing listens on its port
    clock.set(SATURDAY_EVENING)
    h = await started(tmp_path, fake, clock, mail.settings())
    try:
        await help_now(h)
        await alarms_settled(h)
        [row] = await alarm_rows(h)
        assert row["status"] == "pending" and row["attempts"] == 1
        assert "SMTPConnect" in str(row["last_error"])
        await h.restart()
        await h.tick(timedelta(seconds=16))
        await alarms_settled(h)
        assert (await alarm_rows(h))[0]["attempts"] == 2
        report = await health.report(h.rt)
        assert report.alarms_pending == 1 and report.alarm_oldest_seconds == 16
        await h.tick(timedelta(minutes=11))
        await alarms_settled(h)
        report = await health.report(h.rt)
        assert "an e-mail alarm has waited more than 10 minutes to be sent" in report.problems
        mail.start()
        await h.tick(timedelta(minutes=5))  # meanwhile the ladder reached its own alarm too
        await alarms_settled(h)
        assert len(mail.received) == 4
        assert [(r["stage"], r["status"]) for r in await alarm_rows(h)] == [
            ("unreachable", "sent"),
            ("unacknowledged", "sent"),
        ]
        assert (await health.report(h.rt)).alarms_pending == 0
        await h.restart()
        await h.tick(timedelta(minutes=30))
        await alarms_settled(h)
        assert len(mail.received) == 4
    finally:
        await h.stop()
        mail.stop()


async def test_restart_between_decision_and_delivery(h: Harness, mail: MailServer) -> None:
    # The process dies right after the decision is committed: no sender runs.
    task, h.rt.alarm_task = h.rt.alarm_task, None
    assert task is not None
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    h.rt.alarms = None
    h.clock.set(SATURDAY_EVENING)
    await help_now(h)
    assert [r["status"] for r in await alarm_rows(h)] == ["pending"]
    assert mail.received == []
    await h.restart()
    await alarms_settled(h)
    assert len(mail.received) == 2


async def test_a_hanging_mail_server_never_blocks_the_bot(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    hole = BlackHole()
    clock.set(SATURDAY_EVENING)
    settings = AlarmSettings(
        smtp_host="127.0.0.1",
        smtp_port=hole.port,
        from_address="peerbot@example.dk",
        to=(VAGT,),
        timeout_seconds=600,
    )
    h = await started(tmp_path, fake, clock, settings)
    try:
        await help_now(h)
        assert await asyncio.to_thread(hole.connected.wait, 30)  # the sender is stuck there
        other = h.user(1002, language="en")
        other.send_text("/start")
        await h.settle()
        assert "welcome" in other.texts[-1]
        assert "we are not here around the clock" in (await help_now(h, 1003))[-1]
        assert [r["status"] for r in await alarm_rows(h)] == ["pending", "pending"]
        await h.stop()  # shutdown does not wait for the mail server either
    finally:
        await h.stop()
        hole.close()


async def test_acknowledgement_cancels_an_alarm_not_yet_sent(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    mail = MailServer(tmp_path)
    h = await started(tmp_path, fake, clock, mail.settings())
    try:
        coco = await coordinator(h)
        await help_now(h)
        for minutes in (5, 5, 6):
            await h.tick(timedelta(minutes=minutes))
        await alarms_settled(h)
        assert [r["status"] for r in await alarm_rows(h)] == ["pending"]
        coco.press_button("I'm handling it")
        await h.settle()
        mail.start()
        await h.tick(timedelta(minutes=10))
        await alarms_settled(h)
        assert mail.received == []
        assert [r["status"] for r in await alarm_rows(h)] == ["cancelled"]
    finally:
        await h.stop()
        mail.stop()


async def test_without_an_alarm_configured_the_citizen_is_still_told(harness: Harness) -> None:
    harness.clock.set(SATURDAY_EVENING)
    answer = (await help_now(harness))[-1]
    assert "we are not here around the clock" in answer
    assert await harness.rt.storage.fetchall("SELECT * FROM alarms") == []


def test_alarm_settings_are_checked() -> None:
    from bot.config import parse_config
    from bot.errors import ConfigError

    base = {"coordinators": {"user_ids": [1]}}
    with pytest.raises(ConfigError) as failed:
        parse_config(
            {
                **base,
                "alarm": {
                    "smtp_host": "smtp.example.dk",
                    "smtp_port": 70000,
                    "security": "none",
                    "username": "bot",
                    "to": ["vagt@example.dk", "not an address"],
                },
            },
            {},
        )
    problems = "\n".join(failed.value.problems)
    for key in ("alarm.smtp_port", "alarm.security", "alarm.to", "alarm.from", "alarm.password"):
        assert key in problems, key
    with pytest.raises(ConfigError) as failed:
        parse_config({**base, "alarm": {"to": ["vagt@example.dk"]}}, {})
    assert "alarm.smtp_host" in failed.value.problems[0]
    config = parse_config(
        {
            **base,
            "alarm": {
                "smtp_host": "smtp.example.dk",
                "username": "bot",
                "from": "peerbot@example.dk",
                "to": ["vagt@example.dk"],
            },
        },
        {"PEERBOT_SMTP_PASSWORD": "from-env"},
    )
    assert config.alarm.enabled and config.alarm.password == "from-env"
    assert "from-env" not in repr(config)
    assert not parse_config(base, {}).alarm.enabled


def _write_config(tmp_path: Path, settings: AlarmSettings) -> Path:
    path = tmp_path / "peerbot.toml"
    to = ", ".join(f'"{a}"' for a in settings.to)
    path.write_text(
        "[coordinators]\nuser_ids = [1]\n"
        f'[alarm]\nsmtp_host = "{settings.smtp_host}"\nsmtp_port = {settings.smtp_port}\n'
        f'username = "{settings.username}"\nfrom = "{settings.from_address}"\nto = [{to}]\n'
        f'ca_file = "{settings.ca_file}"\ntimeout_seconds = 10\n',
        encoding="utf-8",
    )
    return path


def test_test_alarm_command(
    tmp_path: Path,
    mail: MailServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.cli import main

    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    monkeypatch.setenv("PEERBOT_SMTP_PASSWORD", "s3cret-pass")
    path = _write_config(tmp_path, mail.settings())
    assert main(["--config", str(path), "test-alarm"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"test alarm sent to {VAGT}",
        f"test alarm sent to {SMS}",
    ]
    assert [r.subject for r in mail.received] == ["Testalarm", "Testalarm"]
    mail.refuse_recipients = {SMS}
    assert main(["--config", str(path), "test-alarm"]) == 1
    assert f"error: {SMS} refused: SMTPRecipientsRefused 550" in capsys.readouterr().err
    mail.refuse_login = True
    assert main(["--config", str(path), "test-alarm"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: alarm: mail server 127.0.0.1:") and "535" in err
    assert "\n" not in err
    monkeypatch.setenv("PEERBOT_SMTP_PASSWORD", "wrong")
    mail.refuse_login = False
    assert main(["--config", str(path), "test-alarm"]) == 1
    assert "SMTPAuthenticationError 535" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_test_alarm_says_plainly_when_the_server_lacks_starttls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    plain = MailServer(tmp_path, starttls=False)
    plain.start()
    try:
        monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
        monkeypatch.setenv("PEERBOT_SMTP_PASSWORD", "s3cret-pass")
        path = _write_config(tmp_path, plain.settings())
        assert main(["--config", str(path), "test-alarm"]) == 1
    finally:
        plain.stop()
    err = capsys.readouterr().err
    assert err == (
        f"error: alarm: mail server 127.0.0.1:{plain.port}: the mail server does not offer "
        'STARTTLS; use its STARTTLS port (usually 587), or alarm.security = "tls" for a '
        "server that wants TLS from the start (port 465)\n"
    )
    assert plain.received == []


def test_test_alarm_without_configuration_and_check_config_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    path = tmp_path / "peerbot.toml"
    path.write_text("[coordinators]\nuser_ids = [1]\n", encoding="utf-8")
    assert main(["--config", str(path), "test-alarm"]) == 1
    assert "alarm: not configured" in capsys.readouterr().err
    assert main(["--config", str(path), "check-config"]) == 0
    assert "warning: alarm: no e-mail alarm configured" in capsys.readouterr().err


async def test_one_citizen_pressing_again_and_again_raises_one_alarm(
    h: Harness, mail: MailServer
) -> None:
    coco = await coordinator(h)
    coco.block()
    await h.settle()
    for _ in range(3):
        assert "none of our coordinators can be reached" in (await help_now(h))[-1]
    await alarms_settled(h)
    assert len(mail.received) == 2  # one e-mail to each of the two addresses
    assert len(await alarm_rows(h)) == 1
    await help_now(h, 1002)  # another person is another alarm
    await alarms_settled(h)
    assert len(mail.received) == 4
    await h.tick(timedelta(minutes=31))  # later, the same person again is a new alarm
    await alarms_settled(h)
    before = len(mail.received)
    await help_now(h)
    await alarms_settled(h)
    assert len(mail.received) > before


async def test_old_open_escalations_raise_no_alarm_after_an_upgrade(
    h: Harness, mail: MailServer
) -> None:
    await coordinator(h)
    await coordinator(h, BACKUP_COORDINATOR, "Bent")
    await help_now(h, 1001)
    # As an escalation left open from before the alarm existed: weeks old, ladder passed.
    old = (h.rt.now() - timedelta(days=23)).isoformat()
    await h.rt.storage.execute(
        "UPDATE escalations SET created_at = ?, renotified_at = ?, backup_notified_at = ?"
        " WHERE id = 1",
        (old, old, old),
    )
    await help_now(h, 1002)
    for minutes in (5, 5, 5, 1):
        await h.tick(timedelta(minutes=minutes))
        await alarms_settled(h)
    assert [(r["escalation_id"], r["stage"]) for r in await alarm_rows(h)] == [
        (2, "unacknowledged")
    ]
    assert len(mail.received) == 2
    assert all("akut #2" in r.body for r in mail.received)


def test_alarm_age_is_told_in_days_after_two_days() -> None:
    t = Translator("en", "Europe/Copenhagen")
    assert age_words(t, timedelta(minutes=90)) == "90 minutes"
    assert age_words(t, timedelta(hours=47)) == "47 hours"
    assert age_words(t, timedelta(hours=552)) == "23 days"
    da = Translator("da", "Europe/Copenhagen")
    assert age_words(da, timedelta(hours=72)) == "3 dage"


async def test_acknowledged_during_a_slow_mail_session_is_not_sent(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    mail = MailServer(tmp_path)
    h = await started(tmp_path, fake, clock, mail.settings(VAGT))
    try:
        coco = await coordinator(h)
        h.clock.set(SATURDAY_EVENING)
        await help_now(h, 1001)
        await help_now(h, 1002)
        await alarms_settled(h)  # the mail server is down: both wait
        assert [r["status"] for r in await alarm_rows(h)] == ["pending", "pending"]
        mail.hold = True  # the first message hangs in DATA until released
        mail.start()
        h.clock.advance(timedelta(minutes=10))
        drain = asyncio.create_task(h.rt.alarms.drain())
        for _ in range(2000):
            if mail.holding.is_set():
                break
            await asyncio.sleep(0.005)
        assert mail.holding.is_set()
        # While the session is busy with #1, a coordinator takes #2.
        alert = next(m for m in coco.messages if m.get("text", "").startswith("Urgent #2"))
        coco.press(alert["message_id"], "esc:ack:2")
        await h.settle()
        mail.release.set()
        await drain
        await alarms_settled(h)
        assert [r.subject for r in mail.received] == ["Alarm: akut #1"]
        assert [r["status"] for r in await alarm_rows(h)] == ["sent", "cancelled"]
    finally:
        mail.release.set()
        await h.stop()
        mail.stop()


async def test_a_worried_peer_is_told_when_nobody_can_be_reached(
    h: Harness, mail: MailServer
) -> None:
    peer, _ = await in_contact(h)
    h.user(COORDINATOR).block()
    await h.settle()
    peer.press_button("I'm worried")
    await h.settle()
    told = [t for t in peer.texts if "none of our coordinators can be reached" in t]
    assert len(told) == 1 and "your concern about" in told[0] and "112" in told[0]
    await alarms_settled(h)
    assert len(mail.received) == 2
