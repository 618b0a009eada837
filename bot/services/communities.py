"""Bridges to communities: the organisation's list of activities, shared by a peer, browsed
and saved by a citizen, offered when a contact ends, and a gentle follow-up by consent.

Peer support aims at taking part in communities ("fællesskaber"), not at more treatment, so
the bot helps a citizen take that step without pushing: nothing is stored unless the citizen
saves an activity or agrees to be asked later; the follow-up keeps which activity and when to
ask only until it is answered, then only the answer. Shares, saves and answers are also
counted anonymously per day (`community_counts`), which is what `/stats` shows, small cells
suppressed as in `bot.services.statistics`.

Every button is untrusted: a contact must be the presser's own (and, for a peer's share,
still active), a saved item or follow-up the presser's own, and a key one the list still has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.config import Community, Config
from bot.delivery import notices
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services import intake, statistics
from bot.services.checkins import in_quiet_hours
from bot.services.statistics import Figure, Period
from bot.storage import Transaction
from bot.storage import communities as store
from bot.storage import contacts as contact_store
from bot.storage.contacts import Contact
from bot.storage.users import User

# When to ask "Did you get to try ...?": long enough for a weekly group to have met a few times.
FOLLOWUP_AFTER = timedelta(weeks=3)
ANSWERS = store.ANSWERS
SHOWN_MOST = 5  # activities shown under "shared most" in /stats


@dataclass(frozen=True)
class Listing:
    """Activities to show: those that fit (or all, when asked or when none fits)."""

    items: tuple[Community, ...]
    more: bool  # some were left out because they do not fit; "Show all" shows them
    fallback: bool  # nothing fitted, so this is the whole list
    saved: dict[str, int]  # key -> saved row id, for the presser's own saved activities


class Saved(StrEnum):
    SAVED = "saved"
    ALREADY = "already"
    NEEDS_CONSENT = "needs_consent"
    INVALID = "invalid"


def by_key(config: Config, key: str) -> Community | None:
    return next((c for c in config.communities if c.key == key), None)


def choose(
    config: Config, topic: str | None, language: str | None, *, show_all: bool = False
) -> tuple[tuple[Community, ...], bool, bool]:
    """(items, more, fallback): those that fit the topic and language, else the whole list."""
    every = config.communities
    fitting = tuple(c for c in every if c.fits(topic, language))
    if show_all:
        return every, False, False
    if not fitting:
        return every, False, bool(every)
    return fitting, len(fitting) < len(every), False


def text(t: Translator, texts: dict[str, str]) -> str:
    return texts.get(t.language) or texts.get("da") or next(iter(texts.values()), "")


def card(t: Translator, community: Community) -> str:
    """What an activity is, where and when, for whom, and how to join."""
    lines = [
        text(t, community.name),
        text(t, community.what),
        t._("Where: {where}", where=text(t, community.where)),
        t._("When: {when}", when=text(t, community.when)),
        t._("For: {whom}", whom=text(t, community.for_whom)),
    ]
    if community.link:
        lines.append(community.link)
    if community.contact:
        lines.append(t._("Contact: {contact}", contact=community.contact))
    return "\n".join(lines)


def consent_text(t: Translator) -> str:
    """Says plainly what a follow-up stores before the citizen agrees to it."""
    return t._(
        "Would you like me to ask you in about three weeks whether you got to try it? If you "
        "say yes, I keep which activity it is and when to ask, until you answer; after that "
        "only your answer (yes, not yet or not for me), never which activity. No is a fine "
        "answer too."
    )


def consent_buttons(t: Translator, contact_id: int, key: str) -> notices.Buttons:
    return (
        ((t._("Yes, ask me later"), f"com:fy:{contact_id}:{key}"),),
        ((t._("No thanks"), f"com:fn:{contact_id}:{key}"),),
    )


# Who may act ------------------------------------------------------------------------------------


async def peer_contact(rt: Runtime, user: User | None, contact_id: int) -> Contact | None:
    """The active contact `contact_id` in which `user` is the peer (or coordinator) side."""
    if user is None:
        return None
    contact = await contact_store.contact(rt.storage, contact_id)
    if contact is None or not contact.active or contact.peer_id != user.id:
        return None
    return contact


async def active_peer_contacts(rt: Runtime, user: User | None) -> list[Contact]:
    """The presser's active contacts as a peer (or coordinator), where they can share."""
    if user is None:
        return []
    return [
        c for c in await contact_store.active_involving(rt.storage, user.id) if c.peer_id == user.id
    ]


async def own_peer_contact_id(rt: Runtime, user: User | None) -> int:
    """The citizen's active contact with a peer (0 for none): what they save while it lasts
    counts for it ("contacts that led to trying")."""
    if user is None:
        return 0
    contact = await contact_store.active_peer_for_citizen(rt.storage, user.id)
    return contact.id if contact is not None else 0


async def citizen_contact(rt: Runtime, user: User | None, contact_id: int) -> Contact | bool | None:
    """The citizen's own contact (ended or not) named by a button; None for 0 (browsing);
    False when it is not theirs."""
    if contact_id == 0:
        return None
    if user is None:
        return False
    contact = await contact_store.contact(rt.storage, contact_id)
    if contact is None or contact.citizen_id != user.id:
        return False
    return contact


async def listing_for_citizen(
    rt: Runtime, user: User | None, language: str, *, show_all: bool
) -> Listing:
    """The list for the citizen's own topic (their latest request) and language; what they
    saved is always in it."""
    topic = await store.latest_topic(rt.storage, user.id) if user else None
    items, more, fallback = choose(rt.config, topic, language, show_all=show_all)
    saved = {s.key: s.id for s in await store.saved_of(rt.storage, user.id)} if user else {}
    if saved and not fallback:
        items = tuple(c for c in rt.config.communities if c in items or c.key in saved)
        more = len(items) < len(rt.config.communities)
    return Listing(items, more, fallback, saved)


async def listing_for_contact(rt: Runtime, contact: Contact, *, show_all: bool = False) -> Listing:
    """The list for the contact's citizen: their request's topic and their language."""
    topic = await store.latest_topic(rt.storage, contact.citizen_id)
    language = contact.citizen_language or rt.config.default_language
    items, more, fallback = choose(rt.config, topic, language, show_all=show_all)
    return Listing(items, more, fallback, {})


# Sharing, saving, consenting -------------------------------------------------------------------


async def share(rt: Runtime, user: User | None, contact_id: int, key: str) -> Community | None:
    """A peer shares an activity in their active contact: the citizen gets its card, with
    *Save* and the follow-up question. None when the contact or the activity is not valid."""
    contact = await peer_contact(rt, user, contact_id)
    community = by_key(rt.config, key)
    if contact is None or community is None:
        return None
    citizen_t = rt.translator(contact.citizen_language)
    now = rt.now()
    notice = notices.Notice(
        "\n\n".join(
            [
                citizen_t._(
                    "{name} shares a community or activity with you. Take a look when it "
                    "suits you; there is no pressure.",
                    name=contact.peer_name,
                ),
                card(citizen_t, community),
                consent_text(citizen_t),
            ]
        ),
        (
            ((citizen_t._("Save it on my list"), f"com:sv:{contact.id}:{key}"),),
            *consent_buttons(citizen_t, contact.id, key),
        ),
    )
    async with rt.storage.transaction() as tx:
        await notices.send(
            tx, contact.citizen_chat, notice, purpose="community", now=now, ref_id=contact.id
        )
        await store.add_count(tx, _day(rt), key, "shared")
    rt.wake_delivery()
    return community


async def save(rt: Runtime, user: User | None, contact_id: int, key: str) -> Saved:
    """Keep an activity on the citizen's own list (their own contact, or 0 when browsing)."""
    contact = await citizen_contact(rt, user, contact_id)
    if contact is False or by_key(rt.config, key) is None:
        return Saved.INVALID
    if not intake.has_consent(user, rt.config):
        return Saved.NEEDS_CONSENT
    assert user is not None
    async with rt.storage.transaction() as tx:
        added = await store.save(tx, user.id, key, rt.now())
        if added:
            await store.add_count(tx, _day(rt), key, "saved")
    return Saved.SAVED if added else Saved.ALREADY


async def remove(rt: Runtime, user: User | None, saved_id: int) -> bool:
    """Take one of the citizen's own saved activities off their list."""
    if user is None:
        return False
    async with rt.storage.transaction() as tx:
        return await store.remove_saved(tx, saved_id, user.id)


async def agree_followup(rt: Runtime, user: User | None, contact_id: int, key: str) -> bool | None:
    """The citizen agrees to be asked later. None when the button is not valid for them (not
    their contact, an activity no longer on the list, or, when browsing, one they did not
    save); False when a follow-up about it is already planned."""
    contact = await citizen_contact(rt, user, contact_id)
    if contact is False or user is None or by_key(rt.config, key) is None:
        return None
    if contact is None and key not in {s.key for s in await store.saved_of(rt.storage, user.id)}:
        return None
    now = rt.now()
    async with rt.storage.transaction() as tx:
        return await store.add_followup(
            tx, user.id, contact.id if contact else None, key, now, now + FOLLOWUP_AFTER
        )


async def decline_followup(rt: Runtime, user: User | None, contact_id: int, key: str) -> bool:
    """No follow-up: nothing is stored. False when the button is not valid for the presser."""
    contact = await citizen_contact(rt, user, contact_id)
    return contact is not False and user is not None and by_key(rt.config, key) is not None


# The follow-up ----------------------------------------------------------------------------------


async def follow_ups(rt: Runtime) -> int:
    """Ask the follow-ups that are due (once each, outside quiet hours); a follow-up about an
    activity the list no longer has is dropped without a word, and so is such a saved one
    (it can no longer be shown or removed)."""
    now = rt.now()
    keys = tuple(c.key for c in rt.config.communities)
    if await store.any_saved_not_in(rt.storage, keys):
        async with rt.storage.transaction() as tx:
            await store.drop_saved_not_in(tx, keys)
    if in_quiet_hours(now.astimezone(rt.config.timezone).time(), rt.config):
        return 0
    asked = 0
    for due in await store.due_followups(rt.storage, now):
        community = by_key(rt.config, due.key or "")
        async with rt.storage.transaction() as tx:
            if community is None:
                await store.drop_followup(tx, due.id)
                continue
            if not await store.mark_asked(tx, due.id, now):
                continue
            t = rt.translator(due.language)
            await notices.send(
                tx,
                due.citizen_chat,
                followup_notice(t, due.id, community),
                purpose="community-followup",
                now=now,
                ref_id=due.id,
            )
            await store.add_count(tx, _day(rt), "", "asked")
        asked += 1
    if asked:
        rt.wake_delivery()
    return asked


def followup_notice(t: Translator, followup_id: int, community: Community) -> notices.Notice:
    return notices.Notice(
        t._(
            "A while ago you heard about {name}. Did you get to try it? Whatever the answer, "
            "it is fine: it only helps us know whether the list is useful.",
            name=text(t, community.name),
        ),
        (
            ((t._("Yes"), f"com:ans:{followup_id}:y"),),
            ((t._("Not yet"), f"com:ans:{followup_id}:w"),),
            ((t._("Not for me"), f"com:ans:{followup_id}:n"),),
        ),
    )


ANSWER_CODES = {"y": "yes", "w": "not_yet", "n": "not_for_me"}


async def answer(rt: Runtime, user: User | None, followup_id: int, code: str) -> str | None:
    """Keep the citizen's answer to their own follow-up, once; None when not valid for them."""
    chosen = ANSWER_CODES.get(code)
    if user is None or chosen is None:
        return None
    due = await store.followup(rt.storage, followup_id)
    if due is None or due.citizen_id != user.id or due.asked_at is None or due.answer:
        return None
    async with rt.storage.transaction() as tx:
        first_from_contact = (
            chosen == "yes"
            and due.contact_id is not None
            and not await store.contact_tried_before(tx, due.contact_id)
        )
        if not await store.record_answer(tx, followup_id, user.id, chosen, rt.now()):
            return None
        day = _day(rt)
        await store.add_count(tx, day, "", f"answer_{chosen}")
        if first_from_contact:
            await store.add_count(tx, day, "", "contact_tried")
    return chosen


# At the end of a contact ------------------------------------------------------------------------


async def offer_after_contact(tx: Transaction, rt: Runtime, contact: Contact) -> None:
    """When a peer contact ends, the citizen is offered the list (only when there is one)."""
    if contact.kind != "peer" or not rt.config.communities:
        return
    t = rt.translator(contact.citizen_language)
    await notices.send(
        tx,
        contact.citizen_chat,
        notices.Notice(
            t._(
                "Many find it good to have somewhere to go after a contact: a walk, a café, a "
                "group of people who know what it is like. Would you like to see the "
                "communities and activities we know of?"
            ),
            (((t._("Show communities"), f"com:list:{contact.id}"),),),
        ),
        purpose="community-offer",
        now=rt.now(),
        ref_id=contact.id,
    )


async def ended_contact(rt: Runtime, user: User | None, contact_id: int) -> Contact | None:
    """The citizen's own contact (for the list offered at its end)."""
    contact = await citizen_contact(rt, user, contact_id)
    return contact if isinstance(contact, Contact) else None


# Statistics -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityReport:
    answers: Figure
    tried: Figure
    contacts_tried: Figure
    shared: list[tuple[str, Figure]]  # (activity key, times shared), most shared first


async def report(rt: Runtime, period: Period) -> CommunityReport:
    """The period's anonymous figures: answers, how many tried, how many contacts led to
    trying, and the activities shared most."""
    rows = await store.counts(rt.storage, period.first, period.last)
    overall = {event: n for key, event, n in rows if key == ""}
    answers = sum(overall.get(f"answer_{a}", 0) for a in ANSWERS)
    tried = overall.get("answer_yes", 0)
    contacts = overall.get("contact_tried", 0)
    shared = sorted(
        ((key, n) for key, event, n in rows if key and event == "shared"),
        key=lambda item: (-item[1], item[0]),
    )
    return CommunityReport(
        answers=statistics.count("community_answers", answers),
        tried=statistics.count("community_tried", tried, answers),
        contacts_tried=statistics.count("community_contacts_tried", contacts, tried),
        shared=[(key, statistics.count("community_shared", n)) for key, n in shared],
    )


def render(t: Translator, config: Config, result: CommunityReport) -> str:
    """The communities' lines of /stats."""
    lines = [
        t._(
            "Communities: {contacts} contacts led to trying a community; {tried} of {answers} "
            "answers to the follow-up said they had tried it",
            contacts=statistics.number(t, result.contacts_tried),
            tried=statistics.number(t, result.tried),
            answers=statistics.number(t, result.answers),
        )
    ]
    if result.shared:
        names = []
        for key, figure in result.shared[:SHOWN_MOST]:
            community = by_key(config, key)
            name = (
                text(t, community.name)
                if community
                else t._("{key} (no longer on the list)", key=key)
            )
            names.append(f"{name}: {statistics.number(t, figure)}")
        lines.append(t._("Shared most: {list}", list="; ".join(names)))
    return "\n".join(lines)


def csv_rows(period: Period, result: CommunityReport) -> str:
    """The same figures for `peerbot export-stats`: ``period,measure,value`` rows, small cells
    as "<5" and withheld ones as "x"; each activity as ``community_shared:<key>``."""
    span = f"{period.first.isoformat()}..{period.last.isoformat()}"
    figures = [
        ("community_answers", result.answers),
        ("community_tried", result.tried),
        ("community_contacts_tried", result.contacts_tried),
        *((f"community_shared:{key}", figure) for key, figure in result.shared),
    ]
    return "".join(f"{span},{measure},{figure.cell()}\n" for measure, figure in figures)


def _day(rt: Runtime) -> date:
    """Today in the organisation's zone: counts are kept per local day, no time of day."""
    return rt.now().astimezone(rt.config.timezone).date()
