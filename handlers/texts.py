"""Texts built from several translated pieces (emergency lines, greeting), shared by handlers."""

from __future__ import annotations

from bot.config import Config
from bot.emergency import emergency_lines
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
