"""Configuration: a TOML file for settings, environment variables for secrets.

`load_config(path)` reads and validates everything at once and raises `ConfigError` naming every
problem with its key, so a bad file never starts the bot (`peerbot check-config` prints them).
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config.regions import REGIONS, default_lines
from bot.errors import ConfigError

TELEGRAM_API_URL = "https://api.telegram.org/bot"
# How a citizen and their peer can be in contact (`[contact_forms] offered`): chat through the
# bot always; a phone call (the citizen gives their number to the peer) and a meeting at the
# organisation's address only where the organisation offers them.
CONTACT_FORMS = ("chat", "phone", "meeting")
SUPPORTED_LANGUAGES = ("da", "en")
# consent: GDPR Art. 6(1)(a) with 9(2)(a), for associations; public_task: Art. 6(1)(e) with
# 9(2)(h) and national law, for public authorities (the citizen is informed, not asked).
LEGAL_BASES = ("consent", "public_task")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Who the peers are, for the welcome: all volunteers, all employed (peer workers), or both.
PEERS_ARE = ("volunteers", "employed", "mixed")
DEFAULT_TOPICS = (
    "loneliness",
    "anxiety",
    "low_mood",
    "stress",
    "after_hospital",
    "relatives",
    "other",
)


@dataclass(frozen=True)
class EmergencyResource:
    """A phone line shown whenever someone may be in danger; texts per language."""

    name: dict[str, str]
    phone: str
    hours: dict[str, str]
    verified: date | None = None
    key: str = ""  # a shipped line's name in `[[emergency.lines]]` (e.g. "livslinien")
    check: str = ""  # for the operator: what to check and where (never shown to citizens)
    where: str = ""  # where the line is in the configuration, e.g. ``minors.services[0]``

    @property
    def label(self) -> str:
        """How check-config and run name the line for the operator."""
        return f"{self.where} ({self.phone or self.name.get('en', '')})"


# A community's key: short, ASCII, stable (it travels in button data and in stored rows, so an
# entry can be renamed or moved without breaking a saved one).
COMMUNITY_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,23}$")
COMMUNITY_TEXTS = ("name", "what", "where", "when", "for_whom")


@dataclass(frozen=True)
class Community:
    """One community or activity on the organisation's list (``[[communities]]``): a place to
    take part, not treatment. Texts per language; `topics` are intake's topic keys (empty: for
    every topic); `languages` are those spoken there."""

    key: str
    name: dict[str, str]
    what: dict[str, str]
    where: dict[str, str]
    when: dict[str, str]
    for_whom: dict[str, str]
    link: str = ""
    contact: str = ""
    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("da",)
    verified: date | None = None

    @property
    def label(self) -> str:
        """How check-config and run name the entry for the operator."""
        return f'communities "{self.key}"'

    def fits(self, topic: str | None, language: str | None) -> bool:
        """For someone talking about `topic` in `language` (None: not known, no filter)."""
        topic_ok = not self.topics or topic is None or topic in self.topics
        return topic_ok and (language is None or language in self.languages)


@dataclass(frozen=True)
class AgeBand:
    """One answer to "how old are you?": from `low` up to, not including, `high` (None: open)."""

    low: int
    high: int | None

    @property
    def code(self) -> str:
        """What is stored on a request: ``18+`` or ``18-24``; never the band of a minor."""
        return f"{self.low}+" if self.high is None else f"{self.low}-{self.high - 1}"


@dataclass(frozen=True)
class OfficeHours:
    days: tuple[int, ...]
    start: time
    end: time


SMTP_SECURITY = ("starttls", "tls")


@dataclass(frozen=True)
class AlarmSettings:
    """The e-mail alarm beyond Telegram (off when `smtp_host` is empty).

    An address at an e-mail-to-SMS gateway makes the alarm an SMS, so the alarm stays short.
    """

    smtp_host: str = ""
    smtp_port: int = 587
    security: str = "starttls"  # starttls (usually port 587) or tls (implicit, port 465)
    username: str = ""
    password: str = field(default="", repr=False)
    ca_file: Path | None = None
    from_address: str = ""
    to: tuple[str, ...] = ()
    timeout_seconds: float = 30

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host and self.to)


@dataclass(frozen=True)
class WebChatSettings:
    """The web chat on the organisation's own site (off when `listen` is empty).

    It is served by the bot's own process behind the organisation's TLS proxy; `embed_origins`
    are the only sites allowed to show it in an iframe (CSP ``frame-ancestors``).
    """

    enabled: bool = False
    listen: str | None = None  # host:port, e.g. 127.0.0.1:8090 (the sandbox serves it itself)
    path: str = "/chat"
    embed_origins: tuple[str, ...] = ()
    # Behind a proxy the client's address is the proxy's: then the first X-Forwarded-For hop
    # is used for the per-address limits (kept in memory only, never stored).
    behind_proxy: bool = False
    vapid_private_key_file: Path | None = None
    vapid_subject: str = ""
    forget_after_days: int = 30  # a device not seen for this long is forgotten
    messages_per_minute: int = 20  # per conversation
    requests_per_minute: int = 120  # per address, all calls together
    new_conversations_per_hour: int = 10  # per address

    @property
    def push_enabled(self) -> bool:
        return self.vapid_private_key_file is not None


@dataclass(frozen=True)
class Config:
    token: str = field(repr=False)
    api_base_url: str
    database: Path
    timezone: ZoneInfo
    default_language: str
    organisation_name: str
    privacy_contact: str
    coordinator_ids: tuple[int, ...]
    coordinator_group_id: int | None
    backup_coordinator_ids: tuple[int, ...]
    emergency: tuple[EmergencyResource, ...]
    office_hours: OfficeHours
    retention_days: int
    topics: tuple[str, ...]
    offer_timeout_minutes: int
    total_wait_hours: float
    escalation_ack_minutes: int
    invite_valid_hours: int
    triage_extra_dirs: tuple[Path, ...]
    legal_basis: str = "consent"
    emergency_verify_months: int = 6
    privacy_text_version: int = 0
    wait_estimate_min_requests: int = 5
    heavy_events_per_week: int = 3
    same_peer_days: int = 90
    guide_text: dict[str, str] = field(default_factory=dict)
    limits_text: dict[str, str] = field(default_factory=dict)
    organisation_phone: str = ""
    organisation_address: str = ""
    health_listen: str | None = None
    health_allow_public: bool = False
    backup_directory: Path | None = None
    backup_keep_days: int = 7
    backup_time: time = time(3, 0)
    backup_key: str | None = field(default=None, repr=False)
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    checkin_answer_hours: float = 24
    reminder_minutes: int = 60
    broadcast_interval_minutes: int = 60
    webhook_secret: str | None = None
    administrator_ids: tuple[int, ...] = ()
    undertaking_version: int = 1
    undertaking_text: dict[str, str] = field(default_factory=dict)
    alarm: AlarmSettings = field(default_factory=AlarmSettings)
    minimum_age: int = 18
    age_limits: tuple[int, ...] = (18,)
    youth_services: tuple[EmergencyResource, ...] = ()
    emergency_region: str | None = None
    contact_forms: tuple[str, ...] = ("chat",)
    peers_are: str = "volunteers"
    talk_lines: tuple[EmergencyResource, ...] = ()
    communities: tuple[Community, ...] = ()
    web_chat: WebChatSettings = field(default_factory=WebChatSettings)
    source: Path | None = field(default=None, compare=False)

    @property
    def languages(self) -> tuple[str, ...]:
        return SUPPORTED_LANGUAGES

    @property
    def age_bands(self) -> tuple[AgeBand, ...]:
        """The answers to the age question, youngest first: ``age_limits`` (18,) gives
        under 18 and 18 or over."""
        starts = (0, *self.age_limits)
        ends: tuple[int | None, ...] = (*self.age_limits, None)
        return tuple(AgeBand(low, high) for low, high in zip(starts, ends, strict=True))

    def is_minor(self, band: AgeBand) -> bool:
        """Below the service's minimum age: referred to services for young people."""
        return band.low < self.minimum_age

    def stale_emergency_lines(self, today: date) -> list[str]:
        """Warnings for emergency lines (and services for young people) not verified within
        `emergency_verify_months`."""
        limit = self.emergency_verify_months * 30.5
        warnings = []
        for resource in (*self.emergency, *self.youth_services, *self.talk_lines):
            if resource.verified is None:
                warnings.append(f"{resource.label}: no verified date")
            elif (today - resource.verified).days > limit:
                warnings.append(
                    f"{resource.label}: last verified {resource.verified.isoformat()}, "
                    f"more than {self.emergency_verify_months} months ago"
                )
        return warnings

    def stale_communities(self, today: date) -> list[str]:
        """Warnings for communities on the list not verified within `emergency_verify_months`:
        a group that stopped meeting is a door that leads nowhere."""
        limit = self.emergency_verify_months * 30.5
        warnings = []
        for community in self.communities:
            if community.verified is None:
                warnings.append(f"{community.label}: no verified date")
            elif (today - community.verified).days > limit:
                warnings.append(
                    f"{community.label}: last verified {community.verified.isoformat()}, "
                    f"more than {self.emergency_verify_months} months ago"
                )
        return warnings

    def not_ready_for_citizens(self) -> list[str]:
        """Why `peerbot run` with a real token must not start: a line nobody at the organisation
        has checked, or the limits text the organisation has not written. The sandbox and tests
        never ask."""
        problems = []
        for resource in (*self.emergency, *self.youth_services):
            if resource.verified is not None:
                continue
            what = resource.check or "the number and its hours"
            if resource.key:
                where = (
                    f"write verified = <the date you checked it> in an [[emergency.lines]] "
                    f'entry with key = "{resource.key}"'
                )
            else:
                where = f"write verified = <the date you checked it> in {resource.where}"
            problems.append(f"{resource.label}: not verified; check {what}, then {where}")
        for community in self.communities:
            if community.verified is None:
                problems.append(
                    f"{community.label}: not verified; check that it still meets, where and when, "
                    "and its link or contact, then write verified = <the date you checked it> "
                    "in its [[communities]] entry"
                )
        if not self.limits_text:
            problems.append(
                "limits: the organisation's own text is missing (what a peer can and cannot do, "
                'and the limits of confidentiality); write it in [limits] with da = "..." and '
                'en = "..."'
            )
        return problems

    def is_coordinator(self, telegram_id: int) -> bool:
        """Configured coordinators only; `bot.services.roles` adds those kept in the database."""
        return telegram_id in self.coordinator_ids or telegram_id in self.backup_coordinator_ids


# Referred to when someone is below `minors.minimum_age`. Nobody has verified these defaults
# (no `verified` date, so check-config warns until the organisation checks them and writes the
# date in `[[minors.services]]`). headspace is listed by its chat and website only: no phone
# number for it could be checked.
DEFAULT_YOUTH_SERVICES: list[dict[str, Any]] = [
    {
        "name": {
            "da": "Børnetelefonen (Børns Vilkår, for børn og unge)",
            "en": "Børnetelefonen, the children's helpline (Børns Vilkår)",
        },
        "phone": "116 111",
        "hours": {"da": "døgnet rundt", "en": "24 hours"},
    },
    {
        "name": {
            "da": "headspace Danmark (12-25 år): chat og rådgivning på headspace.dk",
            "en": "headspace Denmark (ages 12-25): chat and counselling at headspace.dk",
        },
        "phone": "",
        "hours": {"da": "se åbningstider på headspace.dk", "en": "opening hours at headspace.dk"},
    },
]


# "Someone to talk to": lines for a hard day that are NOT crisis lines, shown where nobody
# asked for urgent help (a long wait, an unanswered request, after a contact ends). Nobody has
# verified these defaults (no `verified` date, so check-config warns until the organisation
# checks them). The organisation's own phone ([organisation] phone) is shown first when set.
DEFAULT_TALK_LINES: list[dict[str, Any]] = [
    {
        "name": {
            "da": "SIND Rådgivningen (anonym rådgivning, også for pårørende)",
            "en": "SIND Rådgivningen (anonymous counselling, also for relatives)",
        },
        "phone": "70 23 27 50",
        "hours": {
            "da": "se åbningstider på sindraadgivning.dk",
            "en": "opening hours at sindraadgivning.dk",
        },
    },
    {
        "name": {
            "da": "Psykiatrifondens telefonrådgivning (anonym)",
            "en": "Psykiatrifonden's telephone counselling (anonymous)",
        },
        "phone": "39 25 25 25",
        "hours": {
            "da": "se åbningstider på psykiatrifonden.dk",
            "en": "opening hours at psykiatrifonden.dk",
        },
    },
    {
        "name": {
            "da": "headspace (12-25 år): chat og samtaler på headspace.dk",
            "en": "headspace (ages 12-25): chat and talks at headspace.dk",
        },
        "phone": "",
        "hours": {"da": "se åbningstider på headspace.dk", "en": "opening hours at headspace.dk"},
    },
]


class _Reader:
    """Reads typed values out of the parsed TOML while collecting every problem."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[str] = []

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        if isinstance(node, bool) and kind is not bool and bool not in _as_tuple(kind):
            self.problems.append(f"{key}: expected {_kind_name(kind)}, got a boolean")
            return default
        if not isinstance(node, kind):
            self.problems.append(f"{key}: expected {_kind_name(kind)}, got {type(node).__name__}")
            return default
        return node

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _as_tuple(kind))


def _parse_time(reader: _Reader, key: str, value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        reader.fail(key, f"not a time of day like 09:00: {value!r}")
        return time(0, 0)


def _int_list(reader: _Reader, key: str) -> tuple[int, ...]:
    values = reader.get(key, list, [])
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        reader.fail(key, "every entry must be a Telegram numeric id")
        return ()
    return tuple(values)


def _resource(
    reader: _Reader, key: str, entry: object, *, base: dict[str, Any] | None = None
) -> EmergencyResource | None:
    """One line from its table; `base` is the shipped line a ``key = ...`` entry changes."""
    if not isinstance(entry, dict):
        reader.fail(key, "must be a table with name, phone and hours")
        return None
    merged = {**(base or {}), **{k: v for k, v in entry.items() if k != "omit"}}
    name, phone, hours = merged.get("name"), merged.get("phone", ""), merged.get("hours", {})
    if not isinstance(phone, str):
        reader.fail(f"{key}.phone", "a phone number in quotes, or leave it out")
    for part, value in (("name", name), ("hours", hours)):
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            reader.fail(f"{key}.{part}", "must be a table of texts per language")
        elif missing := [lang for lang in SUPPORTED_LANGUAGES if lang not in value]:
            reader.fail(f"{key}.{part}", f"missing language(s): {', '.join(missing)}")
    verified = merged.get("verified")
    if verified is not None and not isinstance(verified, date):
        reader.fail(f"{key}.verified", "a date like 2026-11-24 (without quotes)")
        verified = None
    line_key = merged.get("key", "")
    if not (isinstance(name, dict) and isinstance(hours, dict) and isinstance(phone, str)):
        return None
    return EmergencyResource(
        name=name,
        phone=phone,
        hours=hours,
        verified=verified,
        key=line_key if isinstance(line_key, str) else "",
        check=str(merged.get("check", "")),
        where=f'emergency "{line_key}"' if base is not None else key,
    )


def _emergency(reader: _Reader) -> tuple[str | None, tuple[EmergencyResource, ...]]:
    """``[emergency] region`` picks the shipped lines; ``[[emergency.lines]]`` verifies, changes
    (``key = "livslinien"``), removes (``omit = true``) or adds lines. The older list form
    ``[[emergency]]`` is still read: then exactly those lines, no region."""
    raw = reader.data.get("emergency", {})
    if isinstance(raw, list):
        resources = [_resource(reader, f"emergency[{i}]", e) for i, e in enumerate(raw)]
        if not raw:
            reader.fail("emergency", "at least one line is required")
        return None, tuple(r for r in resources if r is not None)
    region = reader.get("emergency.region", str, "") or None
    if region is not None and region not in REGIONS:
        reader.fail("emergency.region", f"must be one of {', '.join(REGIONS)}")
        region = None
    shipped = {line["key"]: line for line in default_lines(region)}
    chosen: dict[str, EmergencyResource | None] = {}
    added: list[EmergencyResource] = []
    for index, entry in enumerate(reader.get("emergency.lines", list, [])):
        key = f"emergency.lines[{index}]"
        line_key = entry.get("key") if isinstance(entry, dict) else None
        if isinstance(entry, dict) and entry.get("omit") is True:
            if line_key not in shipped:
                reader.fail(f"{key}.omit", f"no shipped line with key {line_key!r} to leave out")
            chosen[str(line_key)] = None
            continue
        resource = _resource(reader, key, entry, base=shipped.get(str(line_key)))
        if resource is None:
            continue
        if line_key in shipped:
            # The operator's own line: what to check is no longer the shipped line's note.
            chosen[str(line_key)] = resource
        else:
            added.append(resource)
    lines = [
        chosen[k] if k in chosen else _resource(reader, f"emergency.{k}", {}, base=line)
        for k, line in shipped.items()
    ]
    resources = tuple(r for r in [*lines, *added] if r is not None)
    if not resources:
        reader.fail("emergency", "at least one line is required")
    return region, resources


def _youth_services(reader: _Reader) -> tuple[EmergencyResource, ...]:
    raw = reader.get("minors.services", list, DEFAULT_YOUTH_SERVICES)
    resources = [_resource(reader, f"minors.services[{i}]", e) for i, e in enumerate(raw)]
    return tuple(r for r in resources if r is not None)


def _contact_forms(reader: _Reader) -> tuple[str, ...]:
    """``[contact_forms] offered``: chat always; a meeting needs ``organisation.address``."""
    offered = reader.get("contact_forms.offered", list, ["chat"])
    if bad := [f for f in offered if f not in CONTACT_FORMS]:
        reader.fail("contact_forms.offered", f"unknown {bad}; use {', '.join(CONTACT_FORMS)}")
        return ("chat",)
    if "chat" not in offered:
        reader.fail("contact_forms.offered", "must include chat: every contact starts here")
        return ("chat",)
    if "meeting" in offered and not reader.get("organisation.address", str, "").strip():
        reader.fail(
            "contact_forms.offered",
            "a meeting is at the organisation's address: set organisation.address",
        )
        return ("chat",)
    return tuple(f for f in CONTACT_FORMS if f in offered)


def _talk_lines(reader: _Reader) -> tuple[EmergencyResource, ...]:
    """``[[someone_to_talk_to]]``: lines for a hard day, not crisis lines (may be left empty)."""
    raw = reader.get("someone_to_talk_to", list, DEFAULT_TALK_LINES)
    resources = [_resource(reader, f"someone_to_talk_to[{i}]", e) for i, e in enumerate(raw)]
    return tuple(r for r in resources if r is not None)


def _community(reader: _Reader, key: str, entry: object, topics: list[str]) -> Community | None:
    """One ``[[communities]]`` entry, every problem named with its key."""
    if not isinstance(entry, dict):
        reader.fail(key, "must be a table with key, name, what, where, when and for_whom")
        return None
    ok = True
    community_key = entry.get("key")
    if not isinstance(community_key, str) or not COMMUNITY_KEY.match(community_key):
        reader.fail(
            f"{key}.key", "a short name like gaaklub-aarhus (a-z, 0-9, - and _, at most 24)"
        )
        ok = False
    texts: dict[str, dict[str, str]] = {}
    for part in COMMUNITY_TEXTS:
        value = entry.get(part)
        if not isinstance(value, dict) or not all(
            isinstance(v, str) and v.strip() for v in value.values()
        ):
            reader.fail(f"{key}.{part}", "must be a table of texts per language (da, en)")
            ok = False
        elif missing := [lang for lang in SUPPORTED_LANGUAGES if lang not in value]:
            reader.fail(f"{key}.{part}", f"missing language(s): {', '.join(missing)}")
            ok = False
        else:
            texts[part] = dict(value)
    link, contact = entry.get("link", ""), entry.get("contact", "")
    if not isinstance(link, str) or not isinstance(contact, str):
        reader.fail(f"{key}.link", "link and contact are texts in quotes")
        ok = False
    elif not (link.strip() or contact.strip()):
        reader.fail(f"{key}.link", "give a link or a contact, so people know how to join")
        ok = False
    elif link and not link.startswith(("https://", "http://")):
        reader.fail(f"{key}.link", "a web address starting with https://")
        ok = False
    own_topics = entry.get("topics", [])
    if not isinstance(own_topics, list) or any(t not in topics for t in own_topics):
        reader.fail(f"{key}.topics", f"topics from matching.topics: {', '.join(topics)}")
        ok = False
    languages = entry.get("languages", ["da"])
    if (
        not isinstance(languages, list)
        or not languages
        or any(lang not in SUPPORTED_LANGUAGES for lang in languages)
    ):
        reader.fail(f"{key}.languages", f"a list from {', '.join(SUPPORTED_LANGUAGES)}")
        ok = False
    verified = entry.get("verified")
    if verified is not None and not isinstance(verified, date):
        reader.fail(f"{key}.verified", "a date like 2026-11-24 (without quotes)")
        ok = False
    if not ok:
        return None
    return Community(
        key=community_key,
        link=link.strip(),
        contact=contact.strip(),
        topics=tuple(own_topics),
        languages=tuple(languages),
        verified=verified,
        **texts,
    )


def _communities(reader: _Reader, base_dir: Path, topics: list[str]) -> tuple[Community, ...]:
    """``[[communities]]`` in the file, or in the file ``organisation.communities_file`` names
    (an organisation may keep its list apart and edit it more often)."""
    raw = reader.get("communities", list, [])
    source = "communities"
    file_name = reader.get("organisation.communities_file", str, "")
    if file_name:
        path = base_dir / Path(file_name).expanduser()
        try:
            loaded = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            reader.fail("organisation.communities_file", f"cannot read {path}: {exc}")
            return ()
        if raw:
            reader.fail(
                "organisation.communities_file", "use the file or [[communities]], not both"
            )
        raw = loaded.get("communities", [])
        source = f"{file_name}: communities"
        if not isinstance(raw, list):
            reader.fail(source, "a list of [[communities]] tables")
            return ()
    found = [_community(reader, f"{source}[{i}]", e, topics) for i, e in enumerate(raw)]
    keys = [c.key for c in found if c is not None]
    if doubled := sorted({k for k in keys if keys.count(k) > 1}):
        reader.fail(source, f"each key once: {', '.join(doubled)}")
    return tuple(c for c in found if c is not None)


def _ages(reader: _Reader) -> tuple[int, tuple[int, ...]]:
    """`minors.minimum_age` and `minors.age_bands` (the ages where answers start)."""
    minimum = reader.get("minors.minimum_age", int, 18)
    limits = reader.get("minors.age_bands", list, [18])
    if not limits or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 < v < 130 for v in limits
    ):
        reader.fail("minors.age_bands", "a list of ages like [18] or [16, 18, 25]")
        return 18, (18,)
    limits = sorted(set(limits))
    if minimum < 0 or (minimum and minimum not in limits):
        reader.fail(
            "minors.minimum_age", "must be one of minors.age_bands (or 0 for no minimum age)"
        )
        return 18, (18,)
    return minimum, tuple(limits)


def _texts(reader: _Reader, key: str) -> dict[str, str]:
    """An optional text per language, e.g. ``[limits] da = "..."``, ``en = "..."``."""
    texts = reader.get(key, dict, {})
    if texts and (
        set(texts) - set(SUPPORTED_LANGUAGES)
        or not all(isinstance(v, str) and v.strip() for v in texts.values())
    ):
        reader.fail(key, f"a non-empty text for each of {', '.join(SUPPORTED_LANGUAGES)}")
        return {}
    if texts and (missing := [lang for lang in SUPPORTED_LANGUAGES if lang not in texts]):
        reader.fail(key, f"missing language(s): {', '.join(missing)}")
        return {}
    return dict(texts)


def _office_hours(reader: _Reader) -> OfficeHours:
    days = reader.get("office_hours.days", list, ["mon", "tue", "wed", "thu", "fri"])
    bad = [d for d in days if d not in WEEKDAYS]
    if bad:
        reader.fail("office_hours.days", f"unknown day(s) {bad}; use {', '.join(WEEKDAYS)}")
    start = _parse_time(
        reader, "office_hours.start", reader.get("office_hours.start", str, "09:00")
    )
    end = _parse_time(reader, "office_hours.end", reader.get("office_hours.end", str, "16:00"))
    if start >= end:
        reader.fail("office_hours.end", "must be later than office_hours.start")
    return OfficeHours(
        days=tuple(WEEKDAYS.index(d) for d in days if d in WEEKDAYS), start=start, end=end
    )


def _positive(reader: _Reader, key: str, default: int | float) -> Any:
    value = reader.get(key, (int, float), default)
    if value <= 0:
        reader.fail(key, "must be greater than zero")
        return default
    return value


def _address_ok(address: object) -> bool:
    """A plain check that catches typos (one @, something on each side, no spaces)."""
    if not isinstance(address, str):
        return False
    local, at, domain = address.partition("@")
    return bool(at and local and "." in domain and "@" not in domain) and not any(
        c.isspace() or c in "<>,;" for c in address
    )


ORIGIN = re.compile(r"^https://[a-z0-9.-]+(:[0-9]{1,5})?$")
WEB_PATH = re.compile(r"^(/[A-Za-z0-9_-]+)+$")


def _web_chat(reader: _Reader, base_dir: Path) -> WebChatSettings:
    listen = reader.get("web_chat.listen", str, "") or None
    if listen is not None and not listen.rpartition(":")[2].isdigit():
        reader.fail("web_chat.listen", "write it as host:port, e.g. 127.0.0.1:8090")
        listen = None
    path = reader.get("web_chat.path", str, "/chat").rstrip("/") or "/chat"
    if not WEB_PATH.match(path):
        reader.fail("web_chat.path", "a path like /chat (letters, digits, - and _)")
        path = "/chat"
    origins = reader.get("web_chat.embed_origins", list, [])
    if bad := [o for o in origins if not isinstance(o, str) or not ORIGIN.match(o)]:
        reader.fail(
            "web_chat.embed_origins",
            f"not an https origin like https://www.example.dk: {', '.join(map(str, bad))}",
        )
        origins = [o for o in origins if isinstance(o, str) and ORIGIN.match(o)]
    key = reader.get("web_chat.vapid_private_key_file", str, "")
    key_file = (base_dir / Path(key).expanduser()) if key else None
    if key_file is not None and not key_file.is_file():
        reader.fail("web_chat.vapid_private_key_file", f"not a file: {key_file}")
    subject = reader.get("web_chat.vapid_subject", str, "")
    if key_file is not None and not subject.startswith(("mailto:", "https://")):
        reader.fail(
            "web_chat.vapid_subject", "a mailto: address or https URL push services can reach"
        )
    return WebChatSettings(
        enabled=listen is not None,
        listen=listen,
        path=path,
        embed_origins=tuple(origins),
        behind_proxy=bool(reader.get("web_chat.behind_proxy", bool, False)),
        vapid_private_key_file=key_file,
        vapid_subject=subject,
        forget_after_days=int(_positive(reader, "web_chat.forget_after_days", 30)),
        messages_per_minute=int(_positive(reader, "web_chat.messages_per_minute", 20)),
        requests_per_minute=int(_positive(reader, "web_chat.requests_per_minute", 120)),
        new_conversations_per_hour=int(
            _positive(reader, "web_chat.new_conversations_per_hour", 10)
        ),
    )


def _alarm(reader: _Reader, env: dict[str, str], base_dir: Path) -> AlarmSettings:
    host = reader.get("alarm.smtp_host", str, "").strip()
    port = reader.get("alarm.smtp_port", int, 587)
    if not 0 < port < 65536:
        reader.fail("alarm.smtp_port", "a TCP port between 1 and 65535")
        port = 587
    security = reader.get("alarm.security", str, "starttls")
    if security not in SMTP_SECURITY:
        reader.fail("alarm.security", f"must be one of {', '.join(SMTP_SECURITY)}")
        security = "starttls"
    username = reader.get("alarm.username", str, "")
    password = env.get("PEERBOT_SMTP_PASSWORD") or reader.get("alarm.password", str, "")
    ca = reader.get("alarm.ca_file", str, "")
    ca_file = (base_dir / Path(ca).expanduser()) if ca else None
    if ca_file is not None and not ca_file.is_file():
        reader.fail("alarm.ca_file", f"not a file: {ca_file}")
    from_address = reader.get("alarm.from", str, "").strip()
    to = reader.get("alarm.to", list, [])
    if bad := [a for a in to if not _address_ok(a)]:
        reader.fail("alarm.to", f"not an e-mail address: {', '.join(map(str, bad))}")
        to = [a for a in to if _address_ok(a)]
    timeout = _positive(reader, "alarm.timeout_seconds", 30)
    if host:
        if not to:
            reader.fail("alarm.to", "at least one address when alarm.smtp_host is set")
        if not _address_ok(from_address):
            reader.fail("alarm.from", "the sender's e-mail address is required")
        if username and not password:
            reader.fail("alarm.password", "not set (set PEERBOT_SMTP_PASSWORD)")
    elif to:
        reader.fail("alarm.smtp_host", "required when alarm.to is set")
    return AlarmSettings(
        smtp_host=host,
        smtp_port=port,
        security=security,
        username=username,
        password=password,
        ca_file=ca_file,
        from_address=from_address,
        to=tuple(to),
        timeout_seconds=float(timeout),
    )


def parse_config(
    data: dict[str, Any], env: dict[str, str] | None = None, *, base_dir: Path | None = None
) -> Config:
    """Build a `Config` from parsed TOML and the environment, or raise `ConfigError`."""
    env = dict(os.environ) if env is None else env
    base_dir = base_dir or Path.cwd()
    r = _Reader(data)

    token = env.get("PEERBOT_TOKEN") or r.get("telegram.token", str, "")
    api_base_url = r.get("telegram.api_base_url", str, TELEGRAM_API_URL)
    if not api_base_url.startswith(("http://", "https://")):
        r.fail("telegram.api_base_url", "must start with http:// or https://")
    webhook_secret = env.get("PEERBOT_WEBHOOK_SECRET") or r.get("telegram.webhook_secret", str, "")

    database = Path(r.get("storage.database", str, "peerbot.sqlite3")).expanduser()
    if not database.is_absolute():
        database = base_dir / database

    tz_name = r.get("locale.timezone", str, "Europe/Copenhagen")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail("locale.timezone", f"unknown time zone {tz_name!r}")
        timezone = ZoneInfo("Europe/Copenhagen")
    default_language = r.get("locale.default_language", str, "da")
    if default_language not in SUPPORTED_LANGUAGES:
        r.fail("locale.default_language", f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        default_language = "da"

    coordinator_group_id = r.get("coordinators.group_chat_id", int, None)
    if coordinator_group_id is not None and coordinator_group_id >= 0:
        r.fail("coordinators.group_chat_id", "a group chat id is negative")
    coordinator_ids = _int_list(r, "coordinators.user_ids")
    if not coordinator_ids and coordinator_group_id is None:
        r.fail("coordinators", "set user_ids and/or group_chat_id: urgent requests need a human")

    topics = r.get("matching.topics", list, list(DEFAULT_TOPICS))
    if not topics or not all(isinstance(t, str) and t.isidentifier() for t in topics):
        r.fail("matching.topics", "a non-empty list of short identifiers like low_mood")
        topics = list(DEFAULT_TOPICS)

    extra_dirs = tuple(
        (base_dir / Path(p)).resolve() for p in r.get("triage.extra_phrase_dirs", list, [])
    )
    for path in extra_dirs:
        if not path.is_dir():
            r.fail("triage.extra_phrase_dirs", f"not a directory: {path}")

    legal_basis = r.get("privacy.legal_basis", str, "consent")
    if legal_basis not in LEGAL_BASES:
        r.fail("privacy.legal_basis", f"must be one of {', '.join(LEGAL_BASES)}")
        legal_basis = "consent"

    health_listen = r.get("health.listen", str, "") or None
    health_public = bool(r.get("health.allow_public", bool, False))
    if health_listen is not None and not health_listen.rpartition(":")[2].isdigit():
        r.fail("health.listen", "write it as host:port, e.g. 127.0.0.1:9108")
        health_listen = None
    if health_listen is not None and not health_public and not _is_loopback(health_listen):
        r.fail(
            "health.listen",
            "not a loopback address (127.0.0.1, ::1, localhost): the report and metrics are "
            "for the operator; set health.allow_public = true to listen there anyway",
        )
        health_listen = None
    backup_dir = r.get("backup.directory", str, "")
    backup_keep_days = int(_positive(r, "backup.keep_days", 7))
    retention_days = int(_positive(r, "retention.days", 180))
    if backup_keep_days > retention_days:
        r.fail("backup.keep_days", "must not exceed retention.days: erased data would live on")

    minimum_age, age_limits = _ages(r)
    region, emergency = _emergency(r)
    peers_are = r.get("organisation.peers_are", str, "volunteers")
    if peers_are not in PEERS_ARE:
        r.fail("organisation.peers_are", f"must be one of {', '.join(PEERS_ARE)}")
        peers_are = "volunteers"
    config = Config(
        token=token,
        api_base_url=api_base_url.rstrip("/"),
        database=database,
        timezone=timezone,
        default_language=default_language,
        organisation_name=r.get("organisation.name", str, "Peer support"),
        privacy_contact=r.get("organisation.privacy_contact", str, ""),
        coordinator_ids=coordinator_ids,
        coordinator_group_id=coordinator_group_id,
        backup_coordinator_ids=_int_list(r, "coordinators.backup_user_ids"),
        emergency=emergency,
        emergency_region=region,
        office_hours=_office_hours(r),
        retention_days=retention_days,
        topics=tuple(topics),
        offer_timeout_minutes=int(_positive(r, "matching.offer_timeout_minutes", 30)),
        total_wait_hours=float(_positive(r, "matching.total_wait_hours", 4)),
        escalation_ack_minutes=int(_positive(r, "escalation.ack_timeout_minutes", 5)),
        invite_valid_hours=int(_positive(r, "peers.invite_valid_hours", 72)),
        triage_extra_dirs=extra_dirs,
        quiet_start=_parse_time(
            r, "checkins.quiet_start", r.get("checkins.quiet_start", str, "22:00")
        ),
        quiet_end=_parse_time(r, "checkins.quiet_end", r.get("checkins.quiet_end", str, "08:00")),
        checkin_answer_hours=float(_positive(r, "checkins.answer_hours", 24)),
        reminder_minutes=int(_positive(r, "checkins.reminder_minutes", 60)),
        broadcast_interval_minutes=int(_positive(r, "coordinators.broadcast_interval_minutes", 60)),
        legal_basis=legal_basis,
        emergency_verify_months=int(_positive(r, "safety.emergency_verify_months", 6)),
        privacy_text_version=r.get("privacy.text_version", int, 0),
        wait_estimate_min_requests=int(_positive(r, "matching.wait_estimate_min_requests", 5)),
        limits_text=_texts(r, "limits"),
        heavy_events_per_week=int(_positive(r, "peers.heavy_events_per_week", 3)),
        same_peer_days=int(_positive(r, "matching.same_peer_days", 90)),
        guide_text=_texts(r, "guide"),
        organisation_phone=r.get("organisation.phone", str, ""),
        organisation_address=r.get("organisation.address", str, ""),
        health_listen=health_listen,
        health_allow_public=health_public,
        backup_directory=(base_dir / backup_dir) if backup_dir else None,
        backup_keep_days=backup_keep_days,
        backup_time=_parse_time(r, "backup.time", r.get("backup.time", str, "03:00")),
        backup_key=env.get("PEERBOT_BACKUP_KEY") or None,
        webhook_secret=webhook_secret or None,
        administrator_ids=_int_list(r, "coordinators.administrators"),
        undertaking_version=int(_positive(r, "peers.undertaking_version", 1)),
        undertaking_text=_texts(r, "undertaking"),
        alarm=_alarm(r, env, base_dir),
        minimum_age=minimum_age,
        age_limits=age_limits,
        youth_services=_youth_services(r),
        contact_forms=_contact_forms(r),
        peers_are=peers_are,
        talk_lines=_talk_lines(r),
        communities=_communities(r, base_dir, list(topics)),
        web_chat=_web_chat(r, base_dir),
    )
    if r.problems:
        raise ConfigError(r.problems)
    return config


def load_config(path: Path | None, env: dict[str, str] | None = None) -> Config:
    """Read `path` (missing file means all defaults) and validate it."""
    data: dict[str, Any] = {}
    if path is not None and path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{path.name}: not valid TOML ({exc})"]) from exc
    elif path is not None and path.name != "peerbot.toml":
        raise ConfigError([f"{path}: file not found"])
    base_dir = path.parent.resolve() if path is not None else Path.cwd()
    return replace(parse_config(data, env, base_dir=base_dir), source=path)


def _is_loopback(listen: str) -> bool:
    """Whether host:port names this machine only (a name other than localhost is not trusted)."""
    host = listen.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
