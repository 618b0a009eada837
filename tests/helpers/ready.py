"""A configuration `peerbot run` accepts: every shipped line verified, the limits text written.

Real-process tests add this to their TOML; without it `run` refuses to start (see
`Config.not_ready_for_citizens`).
"""

from bot.config.regions import NATIONAL

VERIFIED = "2026-12-01"

READY_FOR_CITIZENS = (
    "".join(
        f'[[emergency.lines]]\nkey = "{line["key"]}"\nverified = {VERIFIED}\n' for line in NATIONAL
    )
    + "".join(
        f'[[minors.services]]\nphone = "{phone}"\nname = {{ da = "{name}", en = "{name}" }}\n'
        f'hours = {{ da = "døgnet rundt", en = "24 hours" }}\nverified = {VERIFIED}\n'
        for phone, name in (("116 111", "Børnetelefonen"),)
    )
    + '[limits]\nda = "Det kan en peer, og det kan en peer ikke."\n'
    'en = "What a peer can do, and what not."\n'
)
