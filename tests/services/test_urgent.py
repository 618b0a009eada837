"""Urgent help without Telegram: who is told, what is stored, and that a press handled twice
raises one alert."""

from __future__ import annotations

from bot.runtime import Runtime
from bot.services import urgent
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR
from tests.services.conftest import outbox

STRANGER = 4242


async def test_help_now_from_a_stranger_alerts_the_coordinators_and_stores_only_a_made_up_name(
    rt: Runtime,
) -> None:
    outcome = await urgent.help_now(rt, STRANGER, "en", source_key="update:1")
    assert outcome.escalation_id is not None and outcome.stored_without_consent
    told = {chat for chat, _ in await outbox(rt)}
    assert COORDINATOR in told and STRANGER not in told
    row = await rt.storage.fetchone(
        "SELECT pseudonym, consent_at FROM users WHERE telegram_id = ?", (STRANGER,)
    )
    assert row is not None and row[0] and row[1] is None
    assert BACKUP_COORDINATOR not in told  # the backup is called only when nobody answers


async def test_the_same_press_handled_again_after_a_restart_raises_nothing_new(
    rt: Runtime,
) -> None:
    first = await urgent.help_now(rt, STRANGER, "en", source_key="update:7")
    sent = len(await outbox(rt))
    again = await urgent.help_now(rt, STRANGER, "en", source_key="update:7")
    assert again.escalation_id == first.escalation_id
    assert len(await outbox(rt)) == sent
    (count,) = await rt.storage.fetchone("SELECT COUNT(*) FROM escalations")
    assert count == 1
