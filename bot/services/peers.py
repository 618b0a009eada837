"""Volunteer peers: joining by invitation, their profile, availability, and approval."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from bot.config import Config
from bot.delivery import notices
from bot.domain import is_web_chat
from bot.errors import UserInputError
from bot.i18n import N_, Translator
from bot.runtime import Runtime
from bot.services import matching, pseudonyms, request_queue
from bot.services.coordinators import tell_coordinators
from bot.staff import Actor
from bot.storage import Transaction
from bot.storage import audit as audit_store
from bot.storage import contacts as contact_store
from bot.storage import peers as peer_store
from bot.storage import users as user_store
from bot.storage.peers import PeerProfile, PeerStatus
from bot.storage.users import Role, User

INVITE_PREFIX = "inv_"
MAX_CAPACITY = 5


class Step(StrEnum):
    NAME = "name"
    TOPICS = "topics"
    LANGUAGES = "languages"
    CAPACITY = "capacity"
    AVAILABILITY = "availability"
    UNDERTAKING = "undertaking"


ORDER = tuple(Step)


async def create_invite(rt: Runtime) -> str:
    """A single-use code for a ``t.me/<bot>?start=inv_<code>`` link."""
    code = secrets.token_urlsafe(12)
    now = rt.now()
    async with rt.storage.transaction() as tx:
        await peer_store.create_invite(
            tx, code, now, now + timedelta(hours=rt.config.invite_valid_hours)
        )
    return INVITE_PREFIX + code


async def redeem_invite(rt: Runtime, payload: str, telegram_id: int, language: str) -> User | None:
    """Use the invitation and start onboarding; None if it is unknown, used or expired.

    Someone who is a peer already (a link sent twice) keeps their profile, approval and
    undertaking as they are, and the invitation stays unused for someone else."""
    code = payload.removeprefix(INVITE_PREFIX)
    now = rt.now()
    async with rt.storage.transaction() as tx:
        user = await user_store.ensure(tx, telegram_id, Role.PEER, now, language=language)
        known = await peer_store.profile(tx, user.id)
        if known is not None and known.status is not PeerStatus.REMOVED:
            return user
        if not await peer_store.redeem_invite(tx, code, user.id, now):
            raise _InvalidInvite
        await user_store.set_role(tx, user.id, Role.PEER, None)
        await peer_store.create(tx, user.id, Step.NAME)
        return await user_store.by_id(tx, user.id)


class _InvalidInvite(Exception):
    """Rolls back the user row when the invitation cannot be used."""


async def redeem(rt: Runtime, payload: str, telegram_id: int, language: str) -> User | None:
    if is_web_chat(telegram_id):  # peers work in Telegram: offers and coordinators reach them there
        return None
    try:
        return await redeem_invite(rt, payload, telegram_id, language)
    except _InvalidInvite:
        return None


async def profile_of(rt: Runtime, user: User | None) -> PeerProfile | None:
    """The peer's profile; None for anyone else, and for a peer a coordinator removed."""
    if user is None or user.role is not Role.PEER:
        return None
    profile = await peer_store.profile(rt.storage, user.id)
    return None if profile is None or profile.status is PeerStatus.REMOVED else profile


async def profile_for_staff(rt: Runtime, actor: Actor, user_id: int) -> PeerProfile | None:
    """A peer's profile as coordinators see it (their tools only)."""
    rt.roles.require_coordinator(actor)
    return await peer_store.profile(rt.storage, user_id)


async def roster(rt: Runtime, actor: Actor) -> list[PeerProfile]:
    """Every peer's profile, for coordinators' tools only."""
    rt.roles.require_coordinator(actor)
    return await peer_store.all_profiles(rt.storage)


async def restart_profile(rt: Runtime, profile: PeerProfile) -> None:
    """An approved peer goes through their own settings again, from the name."""
    await peer_store.update(rt.storage, profile.user_id, step=Step.NAME)


async def set_name(rt: Runtime, profile: PeerProfile, text: str) -> None:
    name = pseudonyms.clean_display_name(text)
    if name is None:
        raise UserInputError(
            N_("Please write a first name or a made-up name of at most 32 characters.")
        )
    async with rt.storage.transaction() as tx:
        await user_store.set_pseudonym(tx, profile.user_id, name)
        await peer_store.update(tx, profile.user_id, step=Step.TOPICS)


async def toggle(rt: Runtime, profile: PeerProfile, step: Step, value: str) -> PeerProfile:
    """Add or remove one choice in a multi-choice step."""
    current = {
        Step.TOPICS: profile.topics,
        Step.LANGUAGES: profile.languages,
        Step.AVAILABILITY: profile.availability,
    }[step]
    chosen = frozenset(current ^ {value})
    await peer_store.update(rt.storage, profile.user_id, **{step.value: chosen})
    refreshed = await peer_store.profile(rt.storage, profile.user_id)
    assert refreshed is not None
    return refreshed


async def advance(rt: Runtime, profile: PeerProfile, step: Step) -> Step | None:
    """Go to the step after `step`; None when the profile is complete. A peer who accepted the
    current undertaking already is not asked again when editing their profile."""
    index = ORDER.index(step) + 1
    if (
        index < len(ORDER)
        and ORDER[index] is Step.UNDERTAKING
        and profile.undertaking_version == rt.config.undertaking_version
    ):
        index += 1
    if index < len(ORDER):
        await peer_store.update(rt.storage, profile.user_id, step=ORDER[index])
        return ORDER[index]
    await finish(rt, profile)
    return None


async def set_capacity(rt: Runtime, profile: PeerProfile, capacity: int) -> None:
    if not 1 <= capacity <= MAX_CAPACITY:
        raise UserInputError(N_("That button is no longer valid."))
    await peer_store.update(rt.storage, profile.user_id, capacity=capacity)


async def finish(rt: Runtime, profile: PeerProfile) -> None:
    """A new peer waits for a coordinator's approval; an approved one just saved changes."""
    async with rt.storage.transaction() as tx:
        await peer_store.update(tx, profile.user_id, clear_step=True)
        if profile.status is PeerStatus.ONBOARDING:
            await peer_store.set_status(tx, profile.user_id, PeerStatus.PENDING)
            await tell_coordinators(
                rt,
                tx,
                lambda t: notices.Notice(
                    t._(
                        "A new peer, {name}, has filled in their profile and waits for approval.",
                        name=profile.pseudonym or "-",
                    ),
                    (((t._("Approve"), f"peer:approve:{profile.user_id}"),),),
                ),
                purpose="peer-pending",
                ref_id=profile.user_id,
            )
    rt.wake_delivery()


async def approve(rt: Runtime, user_id: int, actor_telegram_id: int) -> PeerProfile | None:
    now = rt.now()
    async with rt.storage.transaction() as tx:
        profile = await peer_store.profile(tx, user_id)
        if profile is None or profile.status is not PeerStatus.PENDING:
            return None
        await peer_store.set_status(tx, user_id, PeerStatus.APPROVED, now)
        await audit_store.record(tx, actor_telegram_id, "approve_peer", f"peer:{user_id}", now)
        t = rt.translator(profile.language)
        await notices.send(
            tx,
            profile.telegram_id,
            notices.Notice(
                t._(
                    "You have been approved as a peer. Welcome! You will get offers "
                    "when a citizen needs someone like you. /available and /away "
                    "say whether you can take new contacts."
                )
            ),
            purpose="peer-approved",
            now=now,
            ref_id=user_id,
        )
    rt.wake_delivery()
    return profile


async def set_away(
    rt: Runtime, profile: PeerProfile, away: bool, until: datetime | None = None
) -> None:
    await peer_store.set_away(rt.storage, profile.user_id, away, until)


# Coordinators' actions on a peer --------------------------------------------------------------


async def pause(rt: Runtime, user_id: int, actor_telegram_id: int) -> PeerProfile | None:
    """No new offers (pending ones pass on to others); the peer's contacts continue."""
    async with rt.storage.transaction() as tx:
        profile = await peer_store.profile(tx, user_id)
        if profile is None or not await peer_store.change_status(
            tx, user_id, PeerStatus.PAUSED, (PeerStatus.APPROVED,)
        ):
            return None
        await _pass_on_offers(tx, rt, user_id)
        await audit_store.record(tx, actor_telegram_id, "pause_peer", f"peer:{user_id}", rt.now())
        t = rt.translator(profile.language)
        await _tell_peer(
            tx,
            rt,
            profile,
            t._(
                "A coordinator has paused new offers for you for now. Your current contacts go "
                "on as before. Talk to your coordinator if you have questions."
            ),
        )
    rt.wake_delivery()
    return profile


async def resume(rt: Runtime, user_id: int, actor_telegram_id: int) -> PeerProfile | None:
    """A paused peer gets offers again."""
    async with rt.storage.transaction() as tx:
        profile = await peer_store.profile(tx, user_id)
        if profile is None or not await peer_store.change_status(
            tx, user_id, PeerStatus.APPROVED, (PeerStatus.PAUSED,)
        ):
            return None
        await audit_store.record(tx, actor_telegram_id, "resume_peer", f"peer:{user_id}", rt.now())
        t = rt.translator(profile.language)
        await _tell_peer(
            tx, rt, profile, t._("You can get new offers again. Thank you for being here.")
        )
    rt.wake_delivery()
    return profile


async def revoke(rt: Runtime, user_id: int, actor_telegram_id: int) -> PeerProfile | None:
    """Remove a peer at once: pending offers are withdrawn and passed on, active contacts end
    and their requests go to other peers (or to the coordinators when nobody is free), and
    everyone is told neutrally, never why. One transaction: all of it or nothing."""
    now = rt.now()
    async with rt.storage.transaction() as tx:
        profile = await peer_store.profile(tx, user_id)
        if profile is None or not await peer_store.change_status(
            tx,
            user_id,
            PeerStatus.REMOVED,
            (PeerStatus.ONBOARDING, PeerStatus.PENDING, PeerStatus.APPROVED, PeerStatus.PAUSED),
        ):
            return None
        rematch = await _withdraw_offers(tx, rt, user_id)
        for contact in await contact_store.active_for_peer(tx, user_id):
            if not await request_queue.detach_in(tx, rt, contact):
                continue
            citizen_t = rt.translator(contact.citizen_language)
            await notices.send(
                tx,
                contact.citizen_chat,
                notices.Notice(
                    citizen_t._(
                        "{name} can no longer continue as a peer here, so your conversation "
                        "has ended. Your request is open again and we are finding another "
                        "peer for you; I will tell you as soon as one says yes.",
                        name=contact.peer_name,
                    )
                ),
                purpose="contact-moved",
                now=now,
                ref_id=contact.id,
            )
            assert contact.request_id is not None
            rematch.append(contact.request_id)
        await audit_store.record(tx, actor_telegram_id, "remove_peer", f"peer:{user_id}", now)
        t = rt.translator(profile.language)
        await _tell_peer(
            tx,
            rt,
            profile,
            t._(
                "Your role as a peer here has ended, and you will get no new offers. Other "
                "peers will look after your contacts. Thank you for everything you have given. "
                "If you have questions, please talk to your coordinator."
            ),
        )
        for request_id in rematch:
            await request_queue.rematch_in(tx, rt, request_id)
    rt.wake_delivery()
    return profile


async def _withdraw_offers(tx: Transaction, rt: Runtime, user_id: int) -> list[int]:
    """Take back the peer's pending offers; returns the requests that need someone else."""
    requests = []
    for offer in await contact_store.pending_offers_of_peer(tx, user_id):
        if await matching.withdraw_in(tx, rt, offer, matching.Retraction.CLOSED):
            requests.append(offer.request_id)
    return requests


async def _pass_on_offers(tx: Transaction, rt: Runtime, user_id: int) -> None:
    for request_id in await _withdraw_offers(tx, rt, user_id):
        await matching.offer_next_in(tx, rt, request_id)


async def _tell_peer(tx: Transaction, rt: Runtime, profile: PeerProfile, text: str) -> None:
    await notices.send(
        tx,
        profile.telegram_id,
        notices.Notice(text),
        purpose="peer-status",
        now=rt.now(),
        ref_id=profile.user_id,
    )


def _outside_the_bot(t: Translator, config: Config) -> list[str]:
    """The promise about contact outside the bot, matching the forms the organisation offers
    (``[contact_forms]``): what the citizen is offered in intake is what the peer may do."""
    if config.contact_forms == ("chat",):
        return [
            t._(
                "• I do not try to find out who a citizen is, and I do not move the contact "
                "outside this bot (no phone numbers, social media or private meetings)."
            )
        ]
    lines = [
        t._(
            "• I do not try to find out who a citizen is, and I keep the contact in this bot, "
            "with only these exceptions that {organisation} offers:",
            organisation=config.organisation_name,
        )
    ]
    if "phone" in config.contact_forms:
        lines.append(
            t._(
                "  – a phone call, when the citizen asks for one and gives me their number in "
                "the chat themselves; I use it only for our calls and delete it when the "
                "contact ends;"
            )
        )
    if "meeting" in config.contact_forms:
        lines.append(
            t._(
                "  – a meeting at {organisation}, {address}, and nowhere else;",
                organisation=config.organisation_name,
                address=config.organisation_address,
            )
        )
    lines.append(t._("  no social media and no private meetings."))
    return ["\n".join(lines)]


def undertaking_text(t: Translator, config: Config) -> str:
    """The confidentiality undertaking in the peer's language; ``[undertaking]`` replaces it."""
    if t.language in config.undertaking_text:
        body = config.undertaking_text[t.language]
    else:
        body = "\n".join(
            [
                t._(
                    "As a peer with {organisation} I promise:",
                    organisation=config.organisation_name,
                ),
                t._(
                    "• I keep what citizens tell me to myself, also after my time as a peer. "
                    "I do not share it, write it down elsewhere, or talk about it in a way that "
                    "can identify anyone."
                ),
                *_outside_the_bot(t, config),
                t._(
                    "• The one exception: if someone's life is in danger or a child is at risk, "
                    "I tell a coordinator at once."
                ),
                t._(
                    "• I talk about hard conversations only with the coordinators, for debriefing "
                    "and supervision."
                ),
            ]
        )
    return "\n\n".join(
        [
            t._(
                "Confidentiality undertaking (version {version})",
                version=config.undertaking_version,
            ),
            body,
        ]
    )


async def accept_undertaking(rt: Runtime, profile: PeerProfile) -> None:
    """Record the acceptance with time and version; offers may reach the peer again."""
    async with rt.storage.transaction() as tx:
        await peer_store.accept_undertaking(
            tx, profile.user_id, rt.config.undertaking_version, rt.now()
        )
    rt.undertaking_due.discard(profile.telegram_id)


def has_current_undertaking(rt: Runtime, profile: PeerProfile) -> bool:
    return profile.undertaking_version == rt.config.undertaking_version


async def load_undertaking_due(rt: Runtime) -> None:
    """At start-up: peers who must accept the configured version (again) before new offers."""
    rt.undertaking_due = set(
        await peer_store.undertaking_outdated(rt.storage, rt.config.undertaking_version)
    )


def undertaking_update_notice(t: Translator, config: Config) -> notices.Notice:
    """A new undertaking version: its text and the "I accept" button."""
    return notices.Notice(
        "\n\n".join(
            [
                t._(
                    "The confidentiality undertaking has been updated. Please read it and "
                    "accept it: until then no new offers reach you. Your current contacts go "
                    "on as before."
                ),
                undertaking_text(t, config),
            ]
        ),
        (((t._("I accept"), "und:yes"),),),
    )


async def ask_undertaking(rt: Runtime) -> int:
    """At start-up: every approved peer who has not accepted the configured version is sent it
    once (kept per peer and version, so a restart sends nothing twice). If no approved peer has
    accepted it, nobody can be matched: the coordinators are told once per version."""
    version = rt.config.undertaking_version
    now = rt.now()
    asked = 0
    async with rt.storage.transaction() as tx:
        for profile in await peer_store.undertaking_to_ask(tx, version):
            if not await peer_store.mark_undertaking_asked(tx, profile.user_id, version):
                continue
            t = rt.translator(profile.language)
            await notices.send(
                tx,
                profile.telegram_id,
                undertaking_update_notice(t, rt.config),
                purpose="undertaking",
                now=now,
                ref_id=profile.user_id,
            )
            asked += 1
        approved, accepted = await peer_store.undertaking_acceptance(tx, version)
        if (
            approved
            and not accepted
            and await peer_store.claim_meta(tx, "undertaking_nobody_accepted_told", str(version))
        ):
            await tell_coordinators(
                rt,
                tx,
                lambda t: notices.Notice(
                    t._(
                        "No approved peer has accepted version {version} of the "
                        "confidentiality undertaking yet, so no new requests can be matched "
                        'until someone does. Each peer has been sent it with an "I accept" '
                        "button; /peers shows who has not accepted.",
                        version=version,
                    )
                ),
                purpose="undertaking-nobody",
            )
    rt.wake_delivery()
    return asked
