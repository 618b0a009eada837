"""Outside private chats the bot works only in the coordinators' group, and follows it when
Telegram makes it a supergroup; every malformed button is answered "no longer valid"."""

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import escalations as escalation_store
from handlers import registry
from tests.helpers.flows import coordinator, in_contact
from tests.helpers.harness import Harness

GROUP = -100123
GOODBYE = "Jeg virker kun i private chats. Skriv direkte til mig: @peerbot_test_bot"


async def with_group(h: Harness, chat_id: int = GROUP) -> Harness:
    h.config = replace(h.config, coordinator_group_id=chat_id)
    await h.restart()
    return h


def everything_but(h: Harness, chat_id: int) -> list[tuple[int, str]]:
    """Every message the bot has sent to any chat except one (to prove nothing went there)."""
    return [
        (call.params.get("chat_id"), call.method)
        for call in h.fake.calls
        if call.method in {"sendMessage", "copyMessage", "sendPhoto", "editMessageText"}
        and call.params.get("chat_id") != chat_id
    ]


async def test_in_an_ordinary_group_the_bot_says_once_that_it_works_in_private_chats_and_leaves(
    harness: Harness,
) -> None:
    h = harness
    _peer, citizen = await in_contact(h)
    friends = h.fake.group(-4242, "Friends")
    friends.add_member(citizen)
    before = everything_but(h, friends.chat_id)
    citizen.send_text("/status", chat=friends)
    await h.settle()
    assert friends.texts == [GOODBYE]  # no topic, no peer name, no keyboard
    assert friends.reply_keyboard is None
    assert friends.bot_left
    assert everything_but(h, friends.chat_id) == before
    # Added again, it says so once more on arrival and leaves at once.
    friends.add_bot(citizen)
    await h.settle()
    assert friends.texts == [GOODBYE, GOODBYE]
    assert friends.bot_left


@pytest.mark.parametrize(
    "action",
    ["/help", "/help_now", "/roles", "/start", "/status", "🆘 I need help now", "hello"],
)
async def test_no_group_member_can_raise_an_alert_or_see_data_in_an_ordinary_group(
    harness: Harness, action: str
) -> None:
    h = harness
    await in_contact(h)
    stranger = h.user(5555, "Kim", language="en")
    group = h.fake.group(-777, "Book club")
    group.add_member(stranger)
    stranger.send_text(action, chat=group)
    await h.settle()
    assert group.texts == [GOODBYE]
    assert group.bot_left and group.reply_keyboard is None
    assert await escalation_store.recent(h.rt.storage, h.clock.now().replace(year=2000)) == []
    assert h.fake.unanswered_queries() == []


async def test_a_channel_hears_once_and_the_bot_leaves(harness: Harness) -> None:
    h = harness
    channel = h.fake.channel(-100555, "News")
    channel.post("/help_now")
    await h.settle()
    assert channel.texts == [GOODBYE]
    assert channel.bot_left


async def test_a_press_in_an_ordinary_group_is_answered_and_the_bot_leaves(
    harness: Harness,
) -> None:
    h = harness
    member = h.user(5555, "Kim", language="en")
    group = h.fake.group(-778, "Book club")
    group.add_member(member)
    member.press(1, "urgent:now", forge=True, chat=group)
    await h.settle()
    assert member.answered_callbacks == [GOODBYE]
    assert group.bot_left
    assert await escalation_store.recent(h.rt.storage, h.clock.now().replace(year=2000)) == []


async def test_the_coordinators_group_gets_coordinators_work_only(harness: Harness) -> None:
    h = await with_group(harness)
    group = h.fake.group(GROUP, "Koordinatorer")
    member = h.user(9100, "Gitte", language="en")
    group.add_member(member)
    for action in ("/status", "/start", "/help_now", "🆘 I need help now", "/roles", "hello"):
        member.send_text(action, chat=group)
        await h.settle()
    assert await escalation_store.recent(h.rt.storage, h.clock.now().replace(year=2000)) == []
    assert group.reply_keyboard is None
    assert not any(text.isdigit() or "9001" in text for text in group.texts)  # no staff ids
    assert all("koordinatorernes arbejde" in text for text in group.texts)  # the default language
    member.send_text("/help", chat=group)
    await h.settle()
    assert group.texts[-1].startswith("I denne gruppe laver jeg koordinatorernes arbejde:")
    assert "/queue" in group.texts[-1] and "/status" not in group.texts[-1]
    assert not group.last_message.get("reply_markup")
    member.press(1, "citizen:ask", forge=True, chat=group)
    await h.settle()
    assert member.answered_callbacks[-1] == "That button is no longer valid."
    member.send_text("/queue", chat=group)
    await h.settle()
    assert "koordinatorernes arbejde" not in group.texts[-1]  # the tool itself
    assert not group.bot_left


async def test_the_migrated_coordinators_group_keeps_working_and_the_operator_is_told(
    harness: Harness,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = await with_group(harness)
    group = h.fake.group(GROUP, "Koordinatorer")
    member = h.user(9100, "Gitte", language="en")
    group.add_member(member)
    caplog.set_level(logging.INFO)
    supergroup = group.migrate_to_supergroup(-1009999999)
    await h.settle()
    moved = [r.getMessage() for r in caplog.records if "supergroup" in r.getMessage()]
    assert len(moved) == 1 and not any("9999999" in line or "100123" in line for line in moved)
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    assert supergroup.texts[-1].startswith("Akut #1")
    member.press_button("Jeg tager mig af det", chat=supergroup)
    await h.settle()
    assert member.answered_callbacks[-1] == "It is yours. Thank you."
    member.send_text("/escalations", chat=supergroup)
    await h.settle()
    assert "#1" in supergroup.texts[-1]
    # After a restart (the configuration still names the old group) it is still followed.
    await h.restart()
    h.user(1002, language="en").send_text("/help_now")
    await h.settle()
    assert supergroup.texts[-1].startswith("Akut #2")
    await h.stop()
    config = tmp_path / "peerbot.toml"
    config.write_text(
        "[coordinators]\nuser_ids = [9001]\ngroup_chat_id = -100123\n"
        f'[storage]\ndatabase = "{h.config.database}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    assert await asyncio.to_thread(main, ["--config", str(config), "check-config"]) == 0
    assert "set group_chat_id = -1009999999 in the configuration" in capsys.readouterr().err


def malformed(prefix: str) -> list[str]:
    """Button data with ids no row can have: other scripts' digits, and beyond 64 bits."""
    base = prefix if prefix.endswith(":") else prefix + ":"
    return [
        base + "٣",  # Arabic-Indic three
        base + "ack:١٢",
        base + "３",  # full-width three
        base + "²",  # superscript two: isdigit() but not int()
        base + str(2**64),
        base + "x:" + str(2**63),
        base + "1:" + str(2**70),
    ]


async def test_every_button_with_a_malformed_id_is_answered_no_longer_valid(
    harness: Harness,
) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    coco = await coordinator(h)
    prefixes = registry.button_prefixes(h.app)
    assert {"esc:", "peer:approve:", "urgent:now"} <= prefixes
    for person in (citizen, peer, coco):
        for prefix in sorted(prefixes):
            for data in malformed(prefix):
                if len(data.encode()) > 64:
                    continue
                person.press(1, data, forge=True)
                await h.settle()
                assert person.answered_callbacks[-1] == "That button is no longer valid.", data
    assert h.fake.unanswered_queries() == []


async def test_a_migration_the_bot_missed_is_learnt_from_telegrams_answer(
    harness: Harness,
) -> None:
    """The group moved while the bot was down and its service messages were lost: the first
    alert sent to the old id meets ChatMigrated, and from then on the bot follows the group."""
    h = await with_group(harness)
    group = h.fake.group(GROUP, "Koordinatorer")
    member = h.user(9100, "Gitte", language="en")
    group.add_member(member)
    await h.stop()
    supergroup = group.migrate_to_supergroup(-1009999999)
    pending = h.fake.pending_updates()
    await h.fake.call("getUpdates", {"offset": pending[-1]["update_id"] + 1, "timeout": 0})
    assert h.fake.pending_updates() == []  # the bot never hears of the migration
    await h.start()
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    assert supergroup.texts[-1].startswith("Akut #1")
    assert h.rt.roles.coordinator_group == -1009999999
    member.press_button("Jeg tager mig af det", chat=supergroup)
    await h.settle()
    assert member.answered_callbacks[-1] == "It is yours. Thank you."
