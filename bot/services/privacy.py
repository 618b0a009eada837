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

from bot.config import Config
from bot.delivery import notices
from bot.domain import is_web_chat
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services import backups, intake, matching
from bot.storage import audit as audit_store
from bot.storage import broadcasts as broadcast_store
from bot.storage import contacts as contact_store
from bot.storage import inbox, personal_data
from bot.storage import outbox as outbox_store
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage.database import Transaction
from bot.storage.users import User

RELAY_GRACE = timedelta(days=7)
DRAFT_LIFETIME = timedelta(days=1)  # an unsent broadcast keeps its text no longer
RETENTION_STAMP = "retention.last_run"


def privacy_text(t: Translator, rt: Runtime, *, web: bool = False) -> str:
    """The full privacy notice, in the person's language, with this deployment's facts.

    `web`: for a person in the web chat, where the conversation itself is kept on our server
    (`web_messages`), there is no Telegram name, and the browser keeps the key to come back.
    """
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
                "What we keep, and why: the name you use here, your language, when you agreed "
                "to this text, your requests (topic, wishes and any words you write for the peer), "
                "which peer you talk with, check-ins you plan or answer, your optional feedback, "
                "and times. We need it to "
                "find you a peer and to keep you safe. We never keep the messages you exchange "
                "with your peer; they are only passed on."
            )
            if not web
            else t._(
                "What we keep, and why: the name you use here, your language, when you agreed "
                "to this text, your requests (topic, wishes and any words you write for the peer), "
                "which peer you talk with, check-ins you plan or answer, your optional feedback, "
                "and times. We need it to find you a peer and to keep you safe."
            )
            + (" " + web_conversation_kept(t, config) if web else ""),
            t._(
                "Your name: Telegram shows us the name on your Telegram profile with every "
                "message. We do not store it, and it never reaches your peer. The name you use "
                "here is another one: made up by us, or chosen by you (/name). We store that "
                "name, and your peer and our coordinators see it. We never see your phone "
                "number."
            )
            if not web
            else t._(
                "Your name: the web chat asks for no name, e-mail address or phone number, and "
                "we do not store your IP address or which browser you use. The name you use "
                "here is made up by us, or chosen by you (/name). We store that name, and your "
                "peer and our coordinators see it."
            ),
            t._(
                "Wellbeing questions (WHO-5): if you choose to answer them, we keep your answers "
                "and scores so you can follow them with /wellbeing, and use them as anonymous "
                "figures for many people together to show whether peer support helps. You can "
                "always skip them."
            ),
            t._(
                "Communities and activities: if you save one from our list, we keep which one "
                "until you remove it or delete your data. If you agree that we ask you later "
                "whether you got to try it, we keep which activity and when to ask until you "
                "answer, and after that only your answer. How often each activity is shared "
                "and saved, and the answers, are also counted anonymously, without any link "
                "to you."
            ),
            t._(
                "Health data: what you tell us about how you feel is health data, which the law "
                "protects specially. We use it only with your explicit consent, which you can "
                "withdraw at any time with /delete."
            )
            if config.legal_basis == "consent"
            else t._(
                "Health data: what you tell us about how you feel is health data, which the law "
                "protects specially. {organisation} processes it as part of its public task "
                "under Danish law. You can still see it with /mydata and ask us to delete it "
                "with /delete.",
                organisation=config.organisation_name,
            ),
            t._(
                "Who sees it: the peer you are in contact with sees your request. Coordinators "
                "see requests and urgent alerts."
            ),
            t._(
                "Telegram: this chat is an ordinary Telegram cloud chat. Telegram keeps it on its "
                "servers; it is not end-to-end encrypted. Telegram is its own data controller: "
                "a separate company outside the EU/EEA with its own privacy rules."
            )
            if not web
            else t._(
                "The web chat runs on {organisation}'s own server. Your browser keeps a secret "
                "key that lets you come back to this conversation on this device; we keep only a "
                "scrambled form of it, which cannot be turned back into the key. Anyone who can "
                "use this browser on this device can read the conversation, so on a shared "
                'device choose "Forget this device" in the menu when you are done. If you allow '
                "notifications, your browser's push service (for example Google's or Apple's) "
                "carries a short notification to you; it is encrypted, so that service cannot "
                "read it.",
                organisation=config.organisation_name,
            ),
            *([peers_work_in_telegram(t)] if web else []),
            t._(
                "Safety: if you ask for help now, or write something that suggests you are in "
                "danger, coordinators are told so a person can help. For that one purpose we "
                "keep a made-up name and this chat even without your consent."
            ),
            t._(
                "How long: everything is deleted {days} days after your request or contact "
                "has ended.",
                days=config.retention_days,
            )
            if not web
            else t._(
                "How long: everything else is deleted {days} days after your request or "
                "contact has ended.",
                days=config.retention_days,
            ),
            *_rights(t, config),
            *_other_ways(t, config),
        ]
    )


def web_conversation_kept(t: Translator, config: Config) -> str:
    """What the web chat keeps that Telegram's chats do not need from us: the conversation
    itself, and when it goes (`bot.web.chats`: /delete empties it, "Forget this device" and
    `forget_after_days` without a visit delete it, the latter once nothing of theirs is open)."""
    return t._(
        "In the web chat we also keep this conversation itself (your messages and the ones you "
        "get here, your peer's too), so that you can come back to it on this device. It is "
        'deleted when you use /delete or "Forget this device" in the menu, or when you have '
        "not been here for {days} days and have no request or contact open.",
        days=config.web_chat.forget_after_days,
    )


def peers_work_in_telegram(t: Translator) -> str:
    """Peers and coordinators are on Telegram, so what reaches them from the web chat passes
    through it: the one place a web citizen is told about Telegram, because it is true."""
    return t._(
        "Our peers and coordinators work in Telegram. Your request and what you write to your "
        "peer reach them there, so Telegram carries it and keeps it in their chats. Telegram "
        "is a separate company outside the EU/EEA with its own privacy rules."
    )


def _rights(t: Translator, config: Config) -> list[str]:
    """The rights people have under the legal basis in use, in plain words."""
    contact = config.privacy_contact or config.organisation_name
    rights = [
        t._("Your rights:"),
        t._("• to see what we keep about you: /mydata sends it to you as a file;"),
        t._("• to have something corrected: write to {contact};", contact=contact),
        t._("• to have it erased: /delete;"),
        t._(
            "• to have its use restricted while something is being checked: write to {contact};",
            contact=contact,
        ),
    ]
    if config.legal_basis == "public_task":
        rights.append(
            t._(
                "• to object to our use of your data because of your own situation: write to "
                "{contact};",
                contact=contact,
            )
        )
    else:
        rights.append(t._("• to withdraw your consent at any time: /delete;"))
    rights.append(
        t._(
            "• to complain to Datatilsynet, the Danish Data Protection Agency. These rights "
            "come from the EU's data protection regulation (GDPR) and the Danish Data "
            "Protection Act (databeskyttelsesloven)."
        )
    )
    return ["\n".join(rights)]


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
    """Everything kept about the person, table by table as the data inventory lists it, and
    what is left out with the reason, in their language."""
    t = rt.translator(user.language)
    data: dict[str, Any] = await personal_data.export(rt.storage, user.id)
    data["not_included"] = {
        where: t._(reason) for where, reason in personal_data.not_included().items()
    }
    data["exported_at"] = rt.now().isoformat()
    document = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    return DataCopy(
        document=document,
        requests=len(data.get("requests", [])),
        contacts=len(data.get("contacts", [])),
        feedback=len(data.get("feedback", [])),
        escalations=len(data.get("escalations", [])),
    )


def what_remains(t: Translator, erasure: Erasure) -> list[str]:
    """After /delete: what is gone, and exactly what remains and why."""
    lines = [
        t._(
            "Your data has been deleted from our database: the name you used here, your "
            "requests and what you wrote in them, your contacts, check-ins, answers and feedback."
        )
    ]
    if erasure.copies_withdrawn:
        lines.append(
            t.ngettext(
                "{n} message of yours that was passed on has been removed from the other "
                'person\'s chat, or replaced by "withdrawn".',
                "{n} messages of yours that were passed on have been removed from the other "
                'person\'s chat, or replaced by "withdrawn".',
                erasure.copies_withdrawn,
            )
        )
    if erasure.media_kept:
        lines.append(
            t.ngettext(
                "{n} picture, voice message or sticker you sent more than two days ago still "
                "shows in the other person's chat: Telegram does not let us remove it.",
                "{n} pictures, voice messages or stickers you sent more than two days ago still "
                "show in the other person's chat: Telegram does not let us remove them.",
                erasure.media_kept,
            )
        )
    if erasure.report_mark_until is not None and erasure.web_days is None:
        lines.append(
            t._(
                "What remains: a peer reported a problem in your contact. Until {date} we keep "
                "that report and the coordinators' decision, without your name, your Telegram "
                "id or the peer's note, under a coded mark that only this service can match to "
                "you if you come back. It is kept so that the decision still counts then.",
                date=t.date(erasure.report_mark_until),
            )
        )
    elif erasure.report_mark_until is not None:
        lines.append(
            t._(
                "What remains: a peer reported a problem in your contact. Until {date} we keep "
                "that report and the coordinators' decision, without your name, the number of "
                "this conversation or the peer's note, under a coded mark that only this service "
                "can match to this conversation if you come back to it. It is kept so that the "
                "decision still counts then.",
                date=t.date(erasure.report_mark_until),
            )
        )
    if erasure.backup_days is not None:
        lines.append(
            t.ngettext(
                "Our backup copies of the database are replaced within {n} day; until then "
                "they still hold your data.",
                "Our backup copies of the database are replaced within {n} days; until then "
                "they still hold your data.",
                erasure.backup_days,
            )
        )
    if erasure.web_days is None:
        lines.append(
            t._(
                "Anonymous figures (how many asked, how many were helped) stay: nothing in them "
                "points to you. Our chat here is kept by Telegram until you delete it in "
                "Telegram. Take care of yourself."
            )
        )
    else:
        lines.append(
            t._(
                "Anonymous figures (how many asked, how many were helped) stay: nothing in them "
                "points to you. Our conversation here has been deleted too: only this answer "
                'remains, on this device and our server. "Forget this device" in the menu '
                "deletes it as well; otherwise it goes after {days} days without a visit. Take "
                "care of yourself.",
                days=erasure.web_days,
            )
        )
    return lines


# Telegram lets a bot delete a message only within 48 hours; older copies are edited instead.
DELETE_WITHIN = timedelta(hours=47)


@dataclass(frozen=True)
class Erasure:
    """What remains after /delete, so that the person can be told exactly (and truly)."""

    report_mark_until: datetime | None  # a keyed mark kept with a peer's report until then
    copies_withdrawn: int  # copies of their messages taken off the other side's screen
    media_kept: int  # pictures, voice messages, stickers older than 48 h Telegram keeps showing
    backup_days: int | None  # days until the last copy of the database holding them is gone
    # In the web chat (the conversation is ours to delete): days without a visit until the
    # answer left in it goes too; None on Telegram.
    web_days: int | None = None


async def erase(rt: Runtime, user: User) -> Erasure:
    """Delete everything about `user`, wherever the bot controls a copy.

    In one transaction: their contacts end (the other side is told neutrally); an offer of
    their request still on a peer's screen is edited to a neutral "withdrawn" without buttons;
    the bot's copies of their messages in other people's chats are deleted (within 48 hours)
    or edited to "withdrawn" (after that, where Telegram allows it); no outbox row keeps their
    words, and a message carrying them is never sent; the raw updates from their chat go; every
    row about them is deleted or unlinked. Then the WAL is checkpointed and truncated, so with
    ``secure_delete`` no page of the database file or the WAL keeps them.
    """
    now = rt.now()
    if rt.writer is not None:
        await rt.writer.flush()  # mappings and ids noted just before are erased too
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
        request = await request_store.open_for(tx, user.id)
        if request is not None:
            for offer in await contact_store.withdraw_offers(tx, request.id, now):
                await matching.retract_offer_message(
                    rt, tx, offer.id, offer.peer_id, matching.Retraction.WITHDRAWN
                )
        withdrawn, kept = await _withdraw_copies(rt, tx, user.telegram_id, now)
        causes = await personal_data.causes_of(tx, user.id)
        words = await personal_data.words_of(tx, user.id)
        await outbox_store.erase_words(tx, causes, words, user.pseudonym)
        await inbox.forget_chat(tx, user.telegram_id)
        mark_until = await personal_data.report_mark_until(tx, user.id, rt.config.retention_days)
        await personal_data.erase(tx, user.id, user.telegram_id, zone=rt.config.timezone)
    await rt.storage.checkpoint()
    rt.wake_delivery()
    return Erasure(
        report_mark_until=mark_until,
        copies_withdrawn=withdrawn,
        media_kept=kept,
        backup_days=rt.config.backup_keep_days if await backups.copies_remain(rt) else None,
        web_days=rt.config.web_chat.forget_after_days if is_web_chat(user.telegram_id) else None,
    )


async def _withdraw_copies(
    rt: Runtime, tx: Transaction, telegram_id: int, now: datetime
) -> tuple[int, int]:
    """Take the bot's copies of the person's messages off the other side's screen; returns
    (withdrawn, media Telegram keeps showing). Each goes through the outbox, so it is done
    even after a restart, and carries only the other chat's id and a message number."""
    withdrawn = kept = 0
    copies = await contact_store.copies_of(tx, telegram_id)
    # A name sent apart (before a sticker or an over-long text) shares its message's source and
    # comes first: it is withdrawn with it, and not counted as a message of its own.
    last_of_source = {(c.chat_id, c.source_id): c.message_id for c in copies}
    for copy in copies:
        name_only = last_of_source[(copy.chat_id, copy.source_id)] != copy.message_id
        recipient = await user_store.by_telegram_id(tx, copy.chat_id)
        t = rt.translator(recipient.language if recipient else None)
        text = t._("(This message has been withdrawn by its sender.)")
        target = {"chat_id": copy.chat_id, "message_id": copy.message_id}
        if now - copy.sent_at < DELETE_WITHIN:
            method, params = "deleteMessage", target
        elif copy.kind == "text":
            method, params = "editMessageText", {**target, "text": text}
        elif copy.kind == "caption":
            method, params = "editMessageCaption", {**target, "caption": text}
            kept += 1  # the caption goes; the picture or voice message itself stays
        else:
            kept += 1
            continue
        await outbox_store.enqueue(
            tx, chat_id=copy.chat_id, method=method, params=params, purpose="withdrawn", now=now
        )
        withdrawn += not name_only
    return withdrawn, kept


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
