"""Coordinators and administrators kept in the database, managed through the bot."""

from dataclasses import replace

from tests.helpers.flows import coordinator, make_peer, press
from tests.helpers.harness import COORDINATOR, Harness

ADMIN = 9100


async def with_admin(h: Harness) -> None:
    h.config = replace(h.config, administrator_ids=(ADMIN,))
    await h.restart()


async def test_admin_adds_a_coordinator_who_then_acts_and_is_alerted(harness: Harness) -> None:
    h = harness
    await with_admin(h)
    admin = await coordinator(h, ADMIN, "Alma")
    new = await coordinator(h, 5555, "Nora")
    new.send_text("/queue")
    await h.settle()
    assert "What I can do" in new.texts[-1]
    admin.send_text("/addcoordinator 5555")
    await h.settle()
    assert admin.texts[-1] == "5555 is now a coordinator."
    assert new.texts[-1].startswith("Du er blevet koordinator")  # not stored yet: default language
    new.send_text("/queue")
    await h.settle()
    assert new.texts[-1] == "No open requests."
    # Urgent alerts reach the added coordinator too.
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    assert new.texts[-1].startswith("Urgent #1")
    # Kept in the database: still a coordinator after a restart.
    await h.restart()
    new.send_text("/escalations")
    await h.settle()
    assert "Escalations" in new.texts[-1]
    audit = await h.rt.storage.fetchone("SELECT actor_id, action, target FROM audit")
    assert tuple(audit) == (ADMIN, "add_coordinator", "5555")
    admin.send_text("/roles")
    await h.settle()
    listing = admin.texts[-1]
    assert "5555" in listing and f"{COORDINATOR} (configuration file" in listing
    assert f"{ADMIN} (configuration file" in listing
    admin.send_text("/removecoordinator 5555")
    await h.settle()
    assert admin.texts[-1] == "5555 is no longer a coordinator."
    new.send_text("/queue")
    await h.settle()
    assert "What I can do" in new.texts[-1]
    new.send_text("/onduty")
    await h.settle()
    assert "What I can do" in new.texts[-1]
    # The stored row no longer says coordinator, so the role cannot linger.
    row = await h.rt.storage.fetchone("SELECT role, on_duty FROM users WHERE telegram_id = 5555")
    assert tuple(row) == ("citizen", 0)
    actions = [r[0] for r in await h.rt.storage.fetchall("SELECT action FROM audit ORDER BY id")]
    assert actions == ["add_coordinator", "remove_coordinator"]


async def test_configured_ids_and_the_last_administrator_stay(harness: Harness) -> None:
    h = harness
    await with_admin(h)
    admin = await coordinator(h, ADMIN, "Alma")
    admin.send_text(f"/removecoordinator {COORDINATOR}")
    await h.settle()
    assert "set in the configuration file" in admin.texts[-1]
    admin.send_text(f"/removeadmin {ADMIN}")
    await h.settle()
    assert "set in the configuration file" in admin.texts[-1]
    admin.send_text("/addadmin 7777")
    await h.settle()
    assert admin.texts[-1] == "7777 is now an administrator."
    admin.send_text("/addadmin 7777")
    await h.settle()
    assert admin.texts[-1] == "7777 is already an administrator."
    # Without the configured administrator, 7777 is the last one and cannot go.
    h.config = replace(h.config, administrator_ids=())
    await h.restart()
    second = await coordinator(h, 7777, "Sune")
    second.send_text("/removeadmin 7777")
    await h.settle()
    assert "last administrator" in second.texts[-1]
    second.send_text("/addadmin 7778")
    await h.settle()
    second.send_text("/removeadmin 7777")
    await h.settle()
    assert second.texts[-1] == "7777 is no longer an administrator."
    second.send_text("/roles")
    await h.settle()
    assert "What I can do" in second.texts[-1]
    admin.send_text("/addcoordinator 1")  # no longer an administrator either
    await h.settle()
    assert "What I can do" in admin.texts[-1]


async def test_bad_input_and_non_administrators(harness: Harness) -> None:
    h = harness
    await with_admin(h)
    admin = await coordinator(h, ADMIN, "Alma")
    coco = await coordinator(h)
    coco.send_text("/addcoordinator 5555")  # a coordinator is not an administrator
    await h.settle()
    assert "What I can do" in coco.texts[-1]
    citizen = h.user(1001, language="en")
    citizen.send_text("/addadmin 1001")
    await h.settle()
    assert "What I can do" in citizen.texts[-1]
    for text in ("/addcoordinator", "/addcoordinator abc", "/addcoordinator -5", "/addadmin 1 2"):
        admin.send_text(text)
        await h.settle()
        assert "numeric Telegram id" in admin.texts[-1]
    for text in (
        "/addcoordinator 9223372036854775808",  # beyond SQLite's INTEGER
        "/addadmin 99999999999999999999999",
        f"/addcoordinator {2**52 + 7}",  # a web chat's id: never staff
    ):
        admin.send_text(text)  # answered, nothing stored
        await h.settle()
        assert "too large to be a Telegram id" in admin.texts[-1]
    admin.send_text("/addcoordinator ²")  # a digit to str.isdigit(), not to int()
    await h.settle()
    assert "numeric Telegram id" in admin.texts[-1]
    admin.send_text("/removecoordinator 4242")
    await h.settle()
    assert admin.texts[-1] == "4242 is not a coordinator added here."
    assert await h.rt.storage.fetchone("SELECT 1 FROM staff_roles") is None
    assert await h.rt.storage.fetchone("SELECT 1 FROM audit") is None


async def test_roles_in_danish(harness: Harness) -> None:
    h = harness
    await with_admin(h)
    admin = h.user(ADMIN, "Alma", "da")
    admin.send_text("/addcoordinator 5555")
    await h.settle()
    assert admin.texts[-1] == "5555 er nu koordinator."
    admin.send_text("/help")
    await h.settle()
    assert "/roles" in admin.texts[-1]


async def test_an_added_coordinator_on_duty_gets_the_alerts_alone(harness: Harness) -> None:
    h = harness
    await with_admin(h)
    admin = await coordinator(h, ADMIN, "Alma")
    coco = await coordinator(h)
    admin.send_text("/addcoordinator 5555")
    await h.settle()
    new = await coordinator(h, 5555, "Nora")
    new.send_text("/onduty")
    await h.settle()
    assert "You are on duty" in new.texts[-1]
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    assert new.texts[-1].startswith("Urgent #1")
    assert not any(t.startswith("Urgent #") for t in coco.texts)


async def test_removed_coordinator_conversations_end_and_cases_go_back(harness: Harness) -> None:
    h = harness
    await with_admin(h)
    admin = await coordinator(h, ADMIN, "Alma")
    coco = await coordinator(h)
    admin.send_text("/addcoordinator 5555")
    await h.settle()
    nora = await coordinator(h, 5555, "Nora")
    ada = h.user(1001, "Ada", language="en")
    ada.send_text("/help_now")
    await h.settle()
    await press(h, nora, "I'm handling it", "Write to them")
    assert "(coordinator) from our team" in ada.texts[-1]
    # A second citizen: Coco took the case, Nora writes with them.
    bo = h.user(1002, "Bo", language="en")
    bo.send_text("/help_now")
    await h.settle()
    nora.press(
        next(m for m in nora.messages if "Urgent #2" in m.get("text", ""))["message_id"],
        "esc:talk:2",
    )
    await h.settle()
    assert "(coordinator) from our team" in bo.texts[-1]
    await press(h, coco, "I'm handling it")
    coco_seen = len(coco.texts)

    admin.send_text("/removecoordinator 5555")
    await h.settle()
    assert admin.texts[-1].startswith("5555 is no longer a coordinator.")
    for citizen in (ada, bo):
        assert "can no longer continue this conversation" in citizen.texts[-1]
    # Nothing is relayed any more, in either direction.
    ada_seen, nora_seen = len(ada.texts), len(nora.texts)
    nora.send_text("Are you still there?")
    ada.send_text("hello?")
    await h.settle()
    assert not any("Are you still there?" in t for t in ada.texts[ada_seen:])
    assert not any("hello?" in t for t in nora.texts[nora_seen:])
    # Nora's case is open again and the others are alerted; Bo's case comes back as a new one.
    rows = await h.rt.storage.fetchall(
        "SELECT id, status, acknowledged_by, reason FROM escalations ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        (1, "open", None, "button"),
        (2, "acknowledged", COORDINATOR, "button"),
        (3, "open", None, "unanswered"),
    ]
    new_alerts = coco.texts[coco_seen:]
    assert any(t.startswith("Still not acknowledged: urgent #1") for t in new_alerts)
    assert any(t.startswith("Urgent #3") and "no longer a coordinator" in t for t in new_alerts)
    assert not any("#1" in t or "#3" in t for t in nora.texts[nora_seen:])
    # The team can pick the person up again.
    await press(h, coco, "I'm handling it")
    coco.press(
        next(m for m in coco.messages if "urgent #1" in m.get("text", ""))["message_id"],
        "esc:talk:1",
    )
    await h.settle()
    coco.send_text("Hi Ada, I'm here now.")
    await h.settle()
    assert ada.texts[-1].endswith("(coordinator)\nHi Ada, I'm here now.")


async def test_removing_a_coordinator_mentions_the_coordinator_group(harness: Harness) -> None:
    h = harness
    h.config = replace(h.config, administrator_ids=(ADMIN,), coordinator_group_id=-100777)
    await h.restart()
    admin = await coordinator(h, ADMIN, "Alma")
    admin.send_text("/addcoordinator 5555")
    await h.settle()
    admin.send_text("/removecoordinator 5555")
    await h.settle()
    assert admin.texts[-1].startswith("5555 is no longer a coordinator.")
    assert "coordinator group can still act as a coordinator" in admin.texts[-1]


async def test_a_peer_made_coordinator_can_go_on_duty(harness: Harness) -> None:
    h = harness
    await with_admin(h)
    admin = await coordinator(h, ADMIN, "Alma")
    coco = await coordinator(h)
    peer = await make_peer(h, 2001, "Maja")
    admin.send_text("/addcoordinator 2001")
    await h.settle()
    peer.send_text("/onduty")
    await h.settle()
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    assert peer.texts[-1].startswith("Urgent #1")
    assert not any(t.startswith("Urgent #1") for t in coco.texts)  # only who is on duty
