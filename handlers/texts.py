"""Texts built from several translated pieces (emergency lines, greeting), shared by handlers."""

from __future__ import annotations

from datetime import timedelta

from bot.config import Config
from bot.config.lines import youth_lines
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services import privacy


def who_the_peers_are(t: Translator, config: Config) -> str:
    """The peers as the organisation has them (``[organisation] peers_are``): volunteers,
    employed peer workers, or both; never "trained volunteer" for someone who is employed."""
    if config.peers_are == "employed":
        return t._(
            "Here you can talk with a peer: someone employed by {organisation} who has had a "
            "hard time themselves and knows what it is like to find a way on.",
            organisation=config.organisation_name,
        )
    if config.peers_are == "mixed":
        return t._(
            "Here you can talk with a peer: a volunteer or an employee who has had a hard time "
            "themselves and knows what it is like to find a way on."
        )
    return t._(
        "Here you can talk with a peer: a volunteer who has had a hard time themselves and "
        "knows what it is like to find a way on."
    )


def greeting(t: Translator, config: Config) -> str:
    """Who the peers are and what a contact can be first; urgent help is one line and the
    button, not the headline."""
    return "\n\n".join(
        [
            t._("Hi, and welcome to {organisation}.", organisation=config.organisation_name),
            who_the_peers_are(t, config),
            t._(
                "A contact is a conversation between equals: about what fills your days, what "
                "helps, and the way on. You don't need to be in crisis to write; many write "
                "early, before things get worse."
            ),
            t._('If you need help right now, press "I need help now".'),
        ]
    )


def limits(t: Translator, config: Config) -> str:
    """What a peer can and cannot do, shown before a request is sent (who else may learn what
    is written comes before consent: `confidentiality`). The organisation's own text
    (``[limits]``) replaces the default; `peerbot run` refuses to start without it, so only the
    sandbox and tests show the default (with no remark meant for the organisation)."""
    if t.language in config.limits_text:
        return config.limits_text[t.language]
    return "\n".join(
        [
            t._("Before you send it:"),
            t._(
                "A peer listens, shares their own experience and can help you find your way. "
                "A peer is not a therapist, cannot give medical advice and is not on call."
            ),
        ]
    )


def confidentiality(t: Translator) -> list[str]:
    """Who else learns what a citizen writes: shown before consent (and in /privacy). Each
    sentence is what the code does (`tests/journeys/test_confidentiality.py`)."""
    return [
        t._("What you write to your peer is between the two of you, except:"),
        t._(
            "• Every message you write here is checked automatically for words that can mean "
            "danger to life. If it finds some, our coordinators are told at once, without your "
            "peer doing anything. They are told what kind of words, not what you wrote."
        ),
        t._(
            "• Peers talk hard conversations through with a coordinator (supervision), and "
            "can tell a coordinator when they are worried about you."
        ),
        t._(
            "• A peer can report a person who is abusive or crosses boundaries; a coordinator "
            "then decides."
        ),
        t._(
            "• We don't know who you are or where you are, so we cannot send help out to you. "
            'If you need help right now, press "I need help now".'
        ),
    ]


def privacy_notice(t: Translator, rt: Runtime, *, web: bool = False) -> str:
    """/privacy: the full notice, then who else may learn what is written (also for someone
    who agreed before that was said); `web`: the web chat's version."""
    return privacy.privacy_text(t, rt, web=web) + "\n\n" + "\n".join(confidentiality(t))


def nothing_stored(t: Translator, *, web: bool) -> str:
    """/mydata or /delete from someone the bot keeps nothing about. In the web chat the
    conversation itself is kept until the device is forgotten (`bot.web.chats`)."""
    if not web:
        return t._("We have nothing stored about you.")
    return t._(
        "We have nothing stored about you, apart from this conversation itself, which you see "
        'here. "Forget this device" in the menu deletes it.'
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


def age_question(t: Translator, config: Config, *, before_consent: bool, web: bool = False) -> str:
    """Asked before anything else, so nobody too young types their story first. `web`: the
    web chat keeps the conversation itself from the start, so "nothing" would not be true."""
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
    if before_consent and web:
        lines.append(
            t._(
                "Nothing about you is stored yet, only this conversation, so that you can come "
                "back to it on this device."
            )
        )
    elif before_consent:
        lines.append(t._("Nothing is stored yet."))
    return "\n".join(lines)


def youth_referral(t: Translator, config: Config, *, stored: bool, web: bool = False) -> str:
    """A kind referral for someone below the minimum age. `stored`: the bot keeps something
    about them from before (they agreed earlier, or pressed "I need help now"), so "nothing
    was saved" would not be true; they are told what stays and how to delete it. `web`: the
    web chat keeps the conversation itself until the device is forgotten."""
    if web:
        kept = (
            t._(
                "What you just told me was not saved. What we kept from before (such as the "
                'name you use here) stays until you delete it with /delete. "Forget this '
                'device" in the menu deletes it and this conversation. If you are in danger '
                "right now, call 112, or press the button below."
            )
            if stored
            else t._(
                'Nothing about you has been saved, only this conversation, which "Forget this '
                'device" in the menu deletes. If you are in danger right now, call 112, or '
                "press the button below."
            )
        )
    else:
        kept = (
            t._(
                "What you just told me was not saved. What we kept from before (such as the "
                "name you use here) stays until you delete it with /delete. If you are "
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
