from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import contacts, matching, relay
from bot.storage import peers as peer_store
from bot.storage.contacts import Contact
from bot.storage.users import User
from tests.services import given
from tests.services.given import CITIZEN, OTHER_CITIZEN, PEER


def test_memory_of_who_spoke_last_forgets_only_settled_contacts() -> None:
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    rt = SimpleNamespace()
    spoken = {
        1: ("citizen", now - timedelta(minutes=5)),
        2: ("peer", now - timedelta(seconds=2)),  # its group commit may still be pending
    }
    relay._forget_old_spoken(rt, spoken, now)  # type: ignore[arg-type]
    assert spoken == {2: ("peer", now - timedelta(seconds=2))}


def test_compose_puts_the_name_first_and_moves_entities_in_utf16() -> None:
    bold = {"type": "bold", "offset": 0, "length": 2}
    bubble = relay.compose(
        "Sø 🌿",
        text="hi there",
        entities=[bold],
        caption=None,
        caption_entities=[],
        takes_caption=False,
    )
    assert (bubble.method, bubble.text, bubble.name_apart) == (
        "sendMessage",
        "Sø 🌿\nhi there",
        False,
    )
    assert bubble.entities == (
        {"type": "bold", "offset": 0, "length": 5},
        {"type": "bold", "offset": 6, "length": 2},
    )


def test_compose_keeps_the_senders_words_whole_when_the_name_does_not_fit() -> None:
    def media(caption: str | None, *, takes_caption: bool = True) -> relay.Bubble:
        return relay.compose(
            "Eg 10",
            text=None,
            entities=[],
            caption=caption,
            caption_entities=[],
            takes_caption=takes_caption,
        )

    assert media(None) == relay.Bubble("copyMessage", "Eg 10", (relay.name_entity("Eg 10"),))
    assert media("x" * 1018).text == "Eg 10\n" + "x" * 1018  # exactly 1,024
    assert media("x" * 1019) == relay.Bubble("copyMessage", None, (), name_apart=True)
    assert media(None, takes_caption=False).name_apart  # a sticker
    long_text = relay.compose(
        "Eg 10",
        text="y" * 4091,
        entities=[],
        caption=None,
        caption_entities=[],
        takes_caption=False,
    )
    assert long_text.method == "copyMessage" and long_text.name_apart


# Routing on real SQLite: where a message goes, and when the sender must choose -------------


async def _two_contacts(rt: Runtime) -> tuple[Contact, Contact]:
    """One peer in contact with two citizens."""
    first = await given.in_contact(rt, CITIZEN, PEER)
    profile = await peer_store.profile(rt.storage, first.peer_id)
    assert profile is not None
    waiting = await given.request(rt, OTHER_CITIZEN)
    async with rt.storage.transaction() as tx:
        offer_id = await matching.offer_in(tx, rt, waiting, profile)
    second = (await matching.accept(rt, offer_id, PEER)).contact
    assert second is not None
    return first, second


async def _relay(rt: Runtime, sender: User, source: int, copy: int) -> relay.Route:
    """Route an unthreaded message and record its copy, as the relay handler does."""
    found = await relay.route(rt, sender, None)
    assert found.contact is not None
    relay.delivered(rt, found, (sender.telegram_id, source), copy)
    await rt.later.flush()
    return found


async def test_a_citizens_message_goes_to_their_peer_and_a_strangers_nowhere(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    found = await relay.route(rt, await given.user(rt, CITIZEN), None)
    assert (found.contact, found.side, found.target_chat) == (
        contact,
        relay.Side.CITIZEN,
        PEER,
    )
    nobody = await relay.route(rt, await given.citizen(rt, OTHER_CITIZEN, "da"), None)
    assert nobody.problem is relay.RouteProblem.NO_CONTACT and nobody.target_chat == 0


async def test_a_peer_with_two_citizens_writes_to_their_focus(rt: Runtime) -> None:
    first, second = await _two_contacts(rt)
    peer = await given.user(rt, PEER)
    newest = await relay.route(rt, peer, None)  # accepting a contact puts the focus on it
    assert newest.contact == second and newest.target_chat == OTHER_CITIZEN

    assert await relay.focus(rt, peer, first.id) is not None
    focused = await relay.route(rt, peer, None)
    assert focused.contact is not None and focused.target_chat == CITIZEN


async def test_when_the_other_citizen_wrote_last_the_peer_is_asked_again(rt: Runtime) -> None:
    first, second = await _two_contacts(rt)
    peer = await given.user(rt, PEER)
    await relay.focus(rt, peer, second.id)
    await _relay(rt, await given.user(rt, CITIZEN), source=11, copy=101)
    unsure = await relay.route(rt, peer, None)
    assert unsure.problem is relay.RouteProblem.CHOOSE and unsure.target_chat == 0
    assert {c.id for c in unsure.choices} == {first.id, second.id}


async def test_a_reply_threads_to_its_own_contact_and_moves_the_focus(
    rt: Runtime, clock: FakeClock
) -> None:
    first, second = await _two_contacts(rt)
    peer = await given.user(rt, PEER)
    await relay.focus(rt, peer, second.id)
    await _relay(rt, await given.user(rt, CITIZEN), source=11, copy=101)

    replied = relay.Replied(101, clock.now(), conversational=True)
    threaded = await relay.route(rt, peer, replied)

    assert threaded.contact is not None and threaded.contact.id == first.id
    assert (threaded.target_chat, threaded.reply_to) == (CITIZEN, 11)
    profile = await peer_store.profile(rt.storage, peer.id)
    assert profile is not None and profile.focus_contact_id == first.id
    assert await relay.already_sent(rt, CITIZEN, 11)
    assert not await relay.already_sent(rt, CITIZEN, 12)


async def test_a_reply_into_an_ended_contact_reaches_nobody(rt: Runtime, clock: FakeClock) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    await _relay(rt, await given.user(rt, CITIZEN), source=11, copy=101)
    await contacts.end(rt, contact, "citizen")

    found = await relay.route(rt, await given.user(rt, PEER), relay.Replied(101, clock.now(), True))

    assert found.problem is relay.RouteProblem.ENDED and found.target_chat == 0
    assert found.contact is not None and found.contact.id == contact.id


async def test_nobody_can_choose_or_focus_a_contact_that_is_not_theirs(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    stranger = await given.citizen(rt, OTHER_CITIZEN, "da")
    assert await relay.chosen(rt, stranger, contact.id) is None
    assert await relay.focus(rt, await given.user(rt, CITIZEN), contact.id) is None  # not a peer
    chosen = await relay.chosen(rt, await given.user(rt, CITIZEN), contact.id)
    assert chosen is not None and chosen[1] is relay.Side.CITIZEN


async def test_the_crisis_lines_are_shown_at_most_once_an_hour(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    assert await relay.should_show_crisis_lines(rt, contact)
    clock.advance(relay.CRISIS_NOTICE_EVERY - timedelta(seconds=1))
    assert not await relay.should_show_crisis_lines(rt, contact)
    clock.advance(timedelta(seconds=1))
    assert await relay.should_show_crisis_lines(rt, contact)
