"""Consent and the intake of a request: every answer is stored as it is given.

The draft request row is the dialogue's memory (see DESIGN, "Conversation state is data"), so a
restart mid-intake resumes at the same step and `/delete` sees everything collected.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from bot.config import AgeBand, Config
from bot.errors import UserInputError
from bot.i18n import N_
from bot.runtime import Runtime
from bot.services import pseudonyms
from bot.storage import contacts as contact_store
from bot.storage import peers as peer_store
from bot.storage import reports as report_store
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage.peers import PeerStatus
from bot.storage.requests import Request, RequestStatus
from bot.storage.users import Role, User

PRIVACY_VERSION = 1
NOTE_LIMIT = 500


class Step(StrEnum):
    AGE = "age_band"
    TOPIC = "topic"
    LANGUAGE = "language"
    CONTACT_FORM = "contact_form"
    TIMES = "times"
    NOTE = "note"
    CONFIRM = "confirm"


ORDER = tuple(Step)


def steps(config: Config) -> tuple[Step, ...]:
    """The steps this organisation asks: with chat as the only contact form
    (``[contact_forms]``), nobody is asked how they would like to be in contact."""
    if len(config.contact_forms) > 1:
        return ORDER
    return tuple(step for step in ORDER if step is not Step.CONTACT_FORM)


def asked(step: Step, config: Config) -> Step:
    """`step`, or the next one asked when this organisation skips it."""
    shown = steps(config)
    return step if step in shown else next_step(step, config)


def next_step(step: Step, config: Config) -> Step:
    shown = steps(config)
    later = [s for s in shown if ORDER.index(s) > ORDER.index(step)]
    return later[0] if later else shown[-1]


def previous_step(step: Step, config: Config) -> Step:
    shown = steps(config)
    earlier = [s for s in shown if ORDER.index(s) < ORDER.index(step)]
    return earlier[-1] if earlier else shown[0]


def consent_version(config: Config) -> int:
    """The built-in text's version plus the organisation's own (`privacy.text_version`): when
    either text changes, people are asked again."""
    return PRIVACY_VERSION + config.privacy_text_version


def has_consent(user: User | None, config: Config) -> bool:
    return user is not None and (user.consent_version or 0) >= consent_version(config)


async def give_consent(rt: Runtime, telegram_id: int, language: str) -> User:
    """Store the citizen for the first time, with the consent they just gave."""
    now = rt.now()
    async with rt.storage.transaction() as tx:
        user = await user_store.ensure(
            tx,
            telegram_id,
            Role.CITIZEN,
            now,
            language=language,
            pseudonym=pseudonyms.citizen_pseudonym(),
        )
        if user.pseudonym is None:
            await user_store.set_pseudonym(tx, user.id, pseudonyms.citizen_pseudonym())
        await user_store.record_consent(tx, user.id, consent_version(rt.config), now)
        stored = await user_store.by_id(tx, user.id)
    assert stored is not None
    return stored


@dataclass(frozen=True)
class IntakeStart:
    request: Request
    resumed: bool


def age_band(config: Config, code: str | None) -> AgeBand | None:
    """The configured band a button stands for (its lower age), or None for anything else."""
    return next((band for band in config.age_bands if str(band.low) == code), None)


async def start(rt: Runtime, citizen: User, age: AgeBand | None = None) -> IntakeStart:
    """Begin a draft, or return the open request: one open request per citizen.

    `age` is the band a citizen chose before consenting (kept in memory until now); without it
    the draft starts by asking for it.
    """
    existing = await request_store.open_for(rt.storage, citizen.id)
    if existing is not None:
        return IntakeStart(existing, resumed=True)
    adult = age is not None and not rt.config.is_minor(age)
    async with rt.storage.transaction() as tx:
        request_id = await request_store.create_draft(
            tx,
            citizen.id,
            Step.TOPIC if adult else Step.AGE,
            rt.now(),
            age_band=age.code if adult and age is not None else None,
        )
        request = await request_store.by_id(tx, request_id)
    assert request is not None
    return IntakeStart(request, resumed=False)


async def open_request(rt: Runtime, citizen_id: int) -> Request | None:
    """The citizen's own open request (draft, waiting or active), if any."""
    return await request_store.open_for(rt.storage, citizen_id)


async def own_request(rt: Runtime, request_id: int, citizen_id: int) -> Request | None:
    """The request if it is the citizen's own; None for anyone else's (untrusted ids)."""
    request = await request_store.by_id(rt.storage, request_id)
    return request if request is not None and request.citizen_id == citizen_id else None


async def draft_of(rt: Runtime, citizen: User) -> Request | None:
    request = await request_store.open_for(rt.storage, citizen.id)
    return request if request and request.status is RequestStatus.DRAFT else None


async def answer(rt: Runtime, request: Request, step: Step, value: str | None) -> Request:
    """Store the answer for `step` and move on; returns the draft as it now is."""
    if step is Step.NOTE and value is not None:
        value = clean_note(value)
    following = next_step(step, rt.config)
    values = {} if step is Step.CONFIRM else {step.value: value}
    if Step.CONTACT_FORM not in steps(rt.config) and request.contact_form != "chat":
        values[Step.CONTACT_FORM.value] = "chat"  # not asked: chat is all there is
    await request_store.update_draft(rt.storage, request.id, following, values)
    return replace(request, step=following.value, **values)


async def go_to(rt: Runtime, request: Request, step: Step) -> Request:
    await request_store.update_draft(rt.storage, request.id, step, {})
    return replace(request, step=step.value)


def clean_note(text: str) -> str:
    note = text.strip()
    if not note:
        raise UserInputError(N_("That message was empty. Write a few words, or press Skip."))
    if len(note) > NOTE_LIMIT:
        raise UserInputError(
            N_("That is a bit long for here. Please keep it under 500 characters.")
        )
    return note


async def previous_peer(rt: Runtime, citizen_id: int) -> tuple[int, str] | None:
    """(peer id, name) of the citizen's peer in the last `matching.same_peer_days`, if that peer
    is still approved: they can be asked first."""
    since = rt.now() - timedelta(days=rt.config.same_peer_days)
    contact = await contact_store.last_ended_peer(rt.storage, citizen_id, since)
    if contact is None:
        return None
    profile = await peer_store.profile(rt.storage, contact.peer_id)
    if profile is None or profile.status is not PeerStatus.APPROVED:
        return None
    if contact.peer_id in await report_store.peers_who_reported(rt.storage, citizen_id):
        return None
    return contact.peer_id, contact.peer_name


async def prefer_peer(rt: Runtime, request: Request, peer_id: int) -> None:
    await request_store.set_preferred_peer(rt.storage, request.id, peer_id)


async def submit(rt: Runtime, request: Request) -> bool:
    """The citizen confirmed: the request starts waiting for a peer."""
    async with rt.storage.transaction() as tx:
        return await request_store.submit(tx, request.id, rt.now())


async def abandon(rt: Runtime, request: Request) -> None:
    """Cancel at any step: an unfinished draft is deleted, nothing of it is kept."""
    async with rt.storage.transaction() as tx:
        await request_store.delete_draft(tx, request.id)
