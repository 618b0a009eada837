"""Documents a data protection officer can sign, generated from the inventory and configuration.

`peerbot privacy-docs --out DIR` writes, in Danish and English, the record of processing
activities (GDPR Art. 30), a draft data protection impact assessment (Art. 35) and the
citizen-facing privacy notice (with the web chat on, also the one its citizens read).
Generated, so they cannot drift from what the code stores.
"""

from __future__ import annotations

from pathlib import Path

from bot.config import Config
from bot.i18n import LANGUAGES, Translator
from bot.runtime import Runtime
from bot.services.privacy import privacy_text
from bot.storage.inventory import INVENTORY, Category


def _category(t: Translator, category: Category) -> str:
    labels = {
        Category.NONE: "-",
        Category.ORDINARY: t._("ordinary (identifies a person)"),
        Category.PSEUDONYMOUS: t._("pseudonymous"),
        Category.SPECIAL: t._("special category (health, Art. 9)"),
    }
    return labels[category]


def _basis(t: Translator, config: Config) -> str:
    """The basis in use, as the records state it; what is still the DPO's to decide is said so
    (the reasoning for each is in docs/legal-basis.md)."""
    if config.legal_basis == "public_task":
        return t._(
            "GDPR Art. 6(1)(e) (public task) with Art. 9(2)(h) or Art. 9(2)(g), each only "
            "together with a specific provision of Danish law that covers this service; the "
            "data protection officer must name that provision and choose between (h) and (g) "
            "(see docs/legal-basis.md). Together with the Danish Data Protection Act "
            "(databeskyttelsesloven)."
        )
    return t._(
        "GDPR Art. 6(1)(a) and Art. 9(2)(a) (explicit consent), together with the Danish Data "
        'Protection Act (databeskyttelsesloven). Urgent help before consent ("I need help '
        'now" or crisis words from someone who has not agreed): the basis is for the data '
        "protection officer to decide (see docs/legal-basis.md); vital interests (Art. "
        "9(2)(c)) covers only a person who is physically or legally incapable of giving "
        "consent, which someone who presses a button usually is not."
    )


def _rights(t: Translator, config: Config) -> list[str]:
    """The rights of the people concerned under the basis in use, and how each is met."""
    rights = [
        t._("Access (Art. 15): /mydata sends every column the inventory lists, or says why not."),
        t._("Rectification (Art. 16): by writing to the contact above."),
        t._(
            "Erasure (Art. 17): /delete, at once; what remains and why is told to the person "
            "(a keyed mark kept with a peer's report; backups until they roll over)."
        ),
        t._("Restriction (Art. 18): by writing to the contact above."),
    ]
    if config.legal_basis == "public_task":
        rights.append(t._("Objection (Art. 21): by writing to the contact above."))
    else:
        rights.append(t._("Withdrawal of consent (Art. 7(3)): /delete, at any time."))
    rights.append(t._("Complaint: to Datatilsynet, the Danish Data Protection Agency (Art. 77)."))
    return ["- " + right for right in rights]


def _inventory_tables(t: Translator) -> list[str]:
    lines: list[str] = []
    for table in INVENTORY:
        lines += [
            f"### `{table.name}`",
            "",
            t._("Purpose: {purpose}", purpose=t._(table.purpose)),
            "",
            t._("Kept: {retention}", retention=t._(table.retention)),
            "",
            t._("Seen by: {audience}", audience=t._(table.seen_by)),
            "",
            "| " + t._("column") + " | " + t._("holds") + " | " + t._("category") + " |",
            "| --- | --- | --- |",
        ]
        lines += [
            f"| `{column.name}` | {t._(column.holds)} | {_category(t, column.category)} |"
            for column in table.columns
        ]
        lines.append("")
    return lines


def record_of_processing(t: Translator, config: Config) -> str:
    return "\n".join(
        [
            "# " + t._("Record of processing activities (GDPR Art. 30)"),
            "",
            t._(
                "Controller: {organisation}. Contact: {contact}.",
                organisation=config.organisation_name,
                contact=config.privacy_contact or "-",
            ),
            "",
            t._(
                "Purpose: early, low-threshold contact between citizens and trained volunteer "
                "peers; check-ins; passing urgent requests to coordinators."
            ),
            "",
            t._("Legal basis: {basis}", basis=_basis(t, config)),
            "",
            t._(
                "People concerned: citizens who ask for contact or urgent help; volunteer "
                "peers; coordinators."
            ),
            "",
            t._(
                "Recipients: the peer a citizen is in contact with; the organisation's "
                "coordinators. Telegram carries the messages as an independent controller "
                "outside the EU/EEA: Telegram's privacy policy (https://telegram.org/privacy, "
                "section 1.4) names Telegram Messenger Inc. as the data controller for users in "
                "the EEA (check it again at each review). Chats with the bot are cloud chats, "
                "kept on Telegram's servers and not end-to-end encrypted."
            ),
            "",
            t._(
                "The bot sees each person's Telegram name and username with every update and "
                "stores neither: raw updates are kept without names until handled (seconds)."
            ),
            "",
            t._(
                "The name a citizen is known by is another one: made up by the bot, or chosen "
                "by the citizen (/name, or at the last step of asking for a peer). It is stored "
                "and shown to their peer and the coordinators, and is part of /mydata."
            ),
            "",
            t._(
                "Erasure: closed cases {days} days after closing; everything at once on /delete: "
                "every row about the person, their words in every outbox row, an unanswered "
                "offer on a peer's screen (edited to \"withdrawn\"), the bot's copies of their "
                "messages in other chats (deleted within 48 hours, edited after), and the "
                "database file itself (the WAL is checkpointed and truncated; secure_delete is "
                "on). Backups and the copy taken before a schema migration are deleted after "
                "{keep} days.",
                days=config.retention_days,
                keep=config.backup_keep_days,
            ),
            "",
            "## " + t._("Rights of the people concerned"),
            "",
            *_rights(t, config),
            "",
            t._(
                "Security: see docs/security.md (database file readable by the service only, "
                "encrypted backups, no personal data in logs, every action checked against "
                "the database)."
            ),
            "",
            "## " + t._("Data, table by table"),
            "",
            *_inventory_tables(t),
        ]
    )


def impact_assessment(t: Translator, config: Config) -> str:
    return "\n".join(
        [
            "# " + t._("Data protection impact assessment (GDPR Art. 35): draft"),
            "",
            t._(
                "A draft for {organisation} to review and complete with its data protection "
                "officer.",
                organisation=config.organisation_name,
            ),
            "",
            "## " + t._("Systematic description"),
            "",
            t._(
                "A Telegram bot through which citizens ask for contact with a volunteer peer "
                "with lived experience of mental illness. The bot relays messages between "
                "them without either seeing the other's Telegram identity, schedules "
                "check-ins and alerts coordinators when someone may be in crisis. The data it "
                "keeps is listed in the record of processing activities."
            ),
            "",
            t._("Legal basis: {basis}", basis=_basis(t, config)),
            "",
            "## " + t._("Necessity and proportionality"),
            "",
            t._(
                "Only what is needed to find a peer and keep people safe is kept: pseudonyms "
                "instead of names, no phone numbers, and no message text (messages are copied "
                "and only the message numbers are kept, for replies, until 7 days after a "
                "contact ends). Closed cases are deleted after {days} days; each person can "
                "see (/mydata) and erase (/delete) their data at any time.",
                days=config.retention_days,
            ),
            "",
            "## " + t._("Risks to the people concerned, and measures"),
            "",
            "| " + t._("risk") + " | " + t._("measures") + " |",
            "| --- | --- |",
            "| "
            + t._("Someone in crisis is not noticed")
            + " | "
            + t._(
                "urgent button always one tap away; crisis-word detection; escalations "
                "written before anything is sent, re-sent and passed to backups until "
                "acknowledged; emergency numbers shown at once"
            )
            + " |",
            "| "
            + t._("Health information becomes known to others")
            + " | "
            + t._(
                "pseudonyms between citizen and peer; copied, protected messages; no text "
                "stored; database readable by the service only; encrypted backups; no "
                "personal data in logs"
            )
            + " |",
            "| "
            + t._("A message reaches the wrong person")
            + " | "
            + t._(
                "every message is routed through a contact the sender is part of; with "
                "several contacts the bot asks instead of guessing (tested)"
            )
            + " |",
            "| "
            + t._("Telegram, outside the EU/EEA, processes the messages")
            + " | "
            + t._(
                "Telegram is an independent controller; citizens are told so in the privacy "
                "notice before they agree; the bot keeps nothing Telegram does not already "
                "carry beyond the pseudonymous records listed"
            )
            + " |",
            "| "
            + t._("Data kept longer than needed")
            + " | "
            + t._("daily retention job; /delete; backups kept no longer than the retention period")
            + " |",
            "",
        ]
    )


def write_documents(rt: Runtime, directory: Path) -> list[Path]:
    """Write every document in every language; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for language in LANGUAGES:
        t = Translator(language, rt.config.timezone)
        documents = {
            "record-of-processing": record_of_processing(t, rt.config),
            "impact-assessment": impact_assessment(t, rt.config),
            "privacy-notice": "# " + t._("Privacy notice") + "\n\n" + privacy_text(t, rt) + "\n",
        }
        if rt.config.web_chat.enabled:
            # What a citizen in the web chat reads instead (/privacy there): a second notice.
            documents["privacy-notice-web"] = (
                "# "
                + t._("Privacy notice for the web chat")
                + "\n\n"
                + privacy_text(t, rt, web=True)
                + "\n"
            )
        for name, text in documents.items():
            path = directory / f"{name}.{language}.md"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
