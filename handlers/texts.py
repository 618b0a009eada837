"""Texts built from several translated pieces (emergency lines, greeting), shared by handlers."""

from __future__ import annotations

from datetime import timedelta

from bot.config import Config
from bot.emergency import emergency_lines, youth_lines
from bot.i18n import Translator


def greeting(t: Translator, config: Config) -> str:
    return "\n\n".join(
        [
            t._("Hi, and welcome to {organisation}.", organisation=config.organisation_name),
            t._(
                "Here you can ask to talk with a peer: a trained volunteer who has lived with "
                "mental illness and recovery themselves. Peers are not therapists and this is not "
                "an emergency service."
            ),
            emergency_lines(t, config),
        ]
    )


def limits(t: Translator, config: Config) -> str:
    """What a peer can and cannot do, and the limits of confidentiality, shown before a request
    is sent. The organisation's own text (``[limits]``) replaces the default; `peerbot run`
    refuses to start without it, so only the sandbox and tests show the default (without any
    remark meant for the organisation: citizens never read a note about reviewing)."""
    if t.language in config.limits_text:
        return config.limits_text[t.language]
    return "\n".join(
        [
            t._("Before you send it:"),
            t._(
                "A peer listens, shares their own experience and can help you find your way. "
                "A peer is not a therapist, cannot give medical advice and is not on call."
            ),
            t._(
                "What you tell your peer stays between you and the peer, with one exception: "
                "if there is danger to your life or someone else's, or a child is at risk, "
                "the peer involves our coordinators, who may contact others who can help."
            ),
        ]
    )


def expected_wait(t: Translator, wait: timedelta | None) -> str:
    """A rough, honest sentence from recent history; never a promise."""
    if wait is None:
        return t._(
            "We can't say yet how long it usually takes: there have been too few requests lately."
        )
    if wait < timedelta(hours=1):
        minutes = max(15, round(wait / timedelta(minutes=15)) * 15)
        return t.ngettext(
            "Recently, most people heard from a peer within about {n} minute of office time.",
            "Recently, most people heard from a peer within about {n} minutes of office time.",
            minutes,
        )
    hours = max(1, round(wait / timedelta(hours=1)))
    return t.ngettext(
        "Recently, most people heard from a peer within about {n} hour of office time.",
        "Recently, most people heard from a peer within about {n} hours of office time.",
        hours,
    )


def age_question(t: Translator, config: Config, *, before_consent: bool) -> str:
    """Asked before anything else, so nobody too young types their story first."""
    lines = [t._("First, how old are you?")]
    if config.minimum_age:
        lines.append(
            t._(
                "We ask because this service is for people aged {age} or over. If you are "
                "younger, I will show you where children and young people can talk to someone.",
                age=config.minimum_age,
            )
        )
    else:
        lines.append(t._("We ask so that your peer knows a little about you."))
    if before_consent:
        lines.append(t._("Nothing is stored yet."))
    return "\n".join(lines)


def youth_referral(t: Translator, config: Config, *, stored: bool) -> str:
    """A kind referral for someone below the minimum age. `stored`: the bot keeps something
    about them from before (they agreed earlier, or pressed "I need help now"), so "nothing
    was saved" would not be true; they are told what stays and how to delete it."""
    kept = (
        t._(
            "What you just told me was not saved. What we kept from before (such as the "
            "made-up name we use for you) stays until you delete it with /delete. If you are "
            "in danger right now, call 112, or press the button below."
        )
        if stored
        else t._(
            "Nothing you told me has been saved. If you are in danger right now, call 112, "
            "or press the button below."
        )
    )
    return "\n\n".join(
        [
            t._(
                "Thank you for telling me. This service is for people aged {age} or over, so "
                "I can't put you in touch with a peer here. You still deserve someone to talk "
                "to, and these are there for children and young people:",
                age=config.minimum_age,
            ),
            youth_lines(t, config),
            kept,
        ]
    )


def buttons_reminder(t: Translator) -> str:
    """Put before a question answered with buttons when someone typed instead."""
    return t._("Thank you. Here you answer with the buttons, so here is the question again:")


def words_reminder(t: Translator) -> str:
    """Put before the question that takes a few words when something else was sent."""
    return t._("Here I can only take a few written words, so here is the question again:")


def chosen_contact_form(t: Translator, config: Config, form: str | None) -> str | None:
    """What a phone call or a meeting means for the citizen, said when the request is sent."""
    if form == "phone":
        return t._(
            "You chose a phone call. When your peer writes here, give them your phone number "
            "in the chat, if you still want the call. Only then does your peer see your number."
        )
    if form == "meeting":
        return t._(
            "You chose a meeting. It is at {organisation}, {address}; you and your peer agree "
            "on a time here in the chat.",
            organisation=config.organisation_name,
            address=config.organisation_address,
        )
    return None
