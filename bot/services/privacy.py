"""Data rights: the privacy text, access (/mydata), erasure (/delete) and retention.

Erasure happens in one transaction: contacts end (the other side is told neutrally, without a
name), messages not yet sent lose the person's name, and every row about them is deleted or
unlinked. Retention runs once a day from the sweeper.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import notices
from bot.config import Config
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services import intake
from bot.storage import audit as audit_store
from bot.storage import broadcasts as broadcast_store
from bot.storage import contacts as contact_store
from bot.storage import outbox as outbox_store
from bot.storage import personal_data
from bot.storage.users import User

RELAY_GRACE = timedelta(days=7)
DRAFT_LIFETIME = timedelta(days=1)  # an unsent broadcast keeps its text no longer
RETENTION_STAMP = "retention.last_run"


def privacy_text(t: Translator, rt: Runtime) -> str:
    """The full privacy notice, in the person's language, with this deployment's facts."""
    config = rt.config
    contact = config.privacy_contact or config.organisation_name
    return "\n\n".join(
        [
            t._(
                "Privacy at {organisation} (version {version})",
                organisation=config.organisation_name,
                version=intake.consent_version(config),
            ),
            t._(
                "Who is responsible: {organisation} is the data controller. Questions and "
                "complaints: {contact}. You can also complain to Datatilsynet.",
                organisation=config.organisation_name,
                contact=contact,
            ),
            t._(
                "What we keep, and why: a made-up name, your language, when you agreed to this "
                "text, your requests (topic, wishes and any words you write for the peer), "
                "which peer you talk with, your optional feedback, and times. We need it to "
                "find you a peer and to keep you safe. We never keep the messages you exchange "
                "with your peer; they are only passed on. We do not know your name or number."
            ),
            t._(
                "Wellbeing questions (WHO-5): if you choose to answer them, we keep your answers "
                "and scores so you can follow them with /wellbeing, and use them as anonymous "
                "figures for many people together to show whether peer support helps. You can "
                "always skip them."
            ),
            t._(
                "Health information: what you tell us about how you feel is sensitive. We use it "
                "only with your consent, which you can withdraw at any time with /delete."
            )
            if config.legal_basis == "consent"
            else t._(
                "Health information: what you tell us about how you feel is sensitive. "
                "{organisation} processes it as part of its public task under Danish law (GDPR "
                "Art. 6(1)(e) and 9(2)(h)). You can still see it with /mydata and ask us to "
                "delete it with /delete.",
                organisation=config.organisation_name,
            ),
            t._(
                "Who sees it: the peer you are in contact with sees your request. Coordinators "
                "see requests and urgent alerts. Telegram carries the messages as its own data "
                "controller: a separate company outside the EU/EEA with its own privacy rules."
            ),
            t._(
                "Safety: if you ask for help now, or write something that suggests you are in "
                "danger, coordinators are told so a person can help. For that one purpose we "
                "keep a made-up name and this chat even without your consent."
            ),
            t._(
                "How long: everything is deleted {days} days after your case is closed.",
                days=config.retention_days,
            ),
            t._("Your rights: /mydata sends you everything we keep about you. /delete erases it."),
            *_other_ways(t, config),
        ]
    )


def _other_ways(t: Translator, config: Config) -> list[str]:
    ways = [
        w
        for w in (config.organisation_phone, config.privacy_contact, config.organisation_address)
        if w
    ]
    if not ways:
        return []
    return [
        t._(
            "Other ways to reach {organisation}: {ways}",
            organisation=config.organisation_name,
            ways=" · ".join(ways),
        )
    ]


@dataclass(frozen=True)
class DataCopy:
    document: bytes
    requests: int
    contacts: int
    feedback: int
    escalations: int


async def copy_of_data(rt: Runtime, user: User) -> DataCopy:
    data: dict[str, Any] = await personal_data.export(rt.storage, user.id)
    data["exported_at"] = rt.now().isoformat()
    document = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    return DataCopy(
        document=document,
        requests=len(data.get("requests", [])),
        contacts=len(data.get("contacts", [])),
        feedback=len(data.get("feedback", [])),
        escalations=len(data.get("escalations", [])),
    )


async def erase(rt: Runtime, user: User) -> None:
    """Delete everything about `user`; their active contacts end and the others are told."""
    now = rt.now()
    async with rt.storage.transaction() as tx:
        # Every contact on either side: a citizen's coordinator conversation and their peer's.
        contacts = await contact_store.active_involving(tx, user.id)
        for contact in contacts:
            await contact_store.end_contact(tx, contact.id, "erased", now)
            other_is_peer = contact.citizen_id == user.id
            other_chat = contact.peer_chat if other_is_peer else contact.citizen_chat
            language = contact.peer_language if other_is_peer else contact.citizen_language
            t = rt.translator(language)
            text = (
                t._(
                    "One of your contacts has ended because the citizen chose to leave the "
                    "service. Thank you for your time and care."
                )
                if other_is_peer
                else t._(
                    "Your peer is no longer available here, so your contact has ended. "
                    "You are welcome to ask for a new peer with /start."
                )
            )
            await notices.send(
                tx, other_chat, notices.Notice(text), purpose="contact-ended", now=now
            )
        if user.pseudonym:
            await outbox_store.redact_pending(tx, user.pseudonym, "-")
        await personal_data.erase(tx, user.id, user.telegram_id, zone=rt.config.timezone)
    await rt.storage.checkpoint()
    rt.wake_delivery()


async def apply_retention(rt: Runtime, *, force: bool = False) -> int | None:
    """Once a day: purge closed cases past the retention period; None if it ran already today."""
    now = rt.now()
    last = await audit_store.get_meta(rt.storage, RETENTION_STAMP)
    if not force and last and now - datetime.fromisoformat(last) < timedelta(days=1):
        return None
    async with rt.storage.transaction() as tx:
        removed = await personal_data.purge_expired(
            tx,
            now - timedelta(days=rt.config.retention_days),
            now - RELAY_GRACE,
            zone=rt.config.timezone,
        )
        await broadcast_store.discard_drafts_before(tx, now - DRAFT_LIFETIME)
    await audit_store.set_meta(rt.storage, RETENTION_STAMP, now.isoformat())
    return removed
