"""Anonymous statistics for coordinators and funders: how many asked, how fast they were met,
what happened to offers, urgent alerts, check-ins, feedback and wellbeing (WHO-5).

Every figure says how many cases it rests on; a figure resting on 1-4 cases is suppressed
(shown as "<5"), so no figure can point at a single person. Secondary suppression keeps such a
cell from being worked out from the others: a sub-count whose complement is 1-4 (6 alerts, 5
acknowledged) is withheld, and when exactly one week of a series is suppressed, the next
smallest week is withheld too (shown as "x" in the CSV, "–" in the chat and the chart).
Medians are the usual middle value (the mean of the two middle ones for an even count); the
90th percentile is the nearest-rank value: the ceil(0.9 * n)-th smallest. Periods are whole
local days in the configured zone.
"""

from __future__ import annotations

import asyncio
import csv
import io
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserInputError
from bot.i18n import N_, Translator
from bot.runtime import Runtime
from bot.storage import statistics as stats_store
from bot.storage.statistics import Fact

MIN_CELL = 5
SUPPRESSED = "<5"
WITHHELD = "x"  # a cell withheld so that a suppressed one cannot be worked out (CSV)
HIDDEN = "–"  # an average or time resting on fewer than 5 cases, in the chat text
DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years: a longer /stats would keep the machine busy for no one
IMPROVED_POINTS = 10  # a change of 10 points on WHO-5 is taken as clinically relevant
LOW_SCORE = 28
OFFER_OUTCOMES = ("accepted", "declined", "expired")


@dataclass(frozen=True)
class Period:
    first: date  # inclusive, local
    last: date  # inclusive, local

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC window [start, end) of the local days."""
        start = datetime.combine(self.first, time(0), zone)
        end = datetime.combine(self.last + timedelta(days=1), time(0), zone)
        # Stored times are UTC ISO strings and compared as text: the bounds must be UTC too.
        return start.astimezone(UTC), end.astimezone(UTC)


def default_period(now: datetime, zone: ZoneInfo) -> Period:
    today = now.astimezone(zone).date()
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


def parse_period(
    words: list[str], now: datetime, zone: ZoneInfo, max_days: int | None = MAX_DAYS
) -> Period:
    """No words: the last 30 days; one date: from it until today; two dates: that period.
    At most `max_days` days (None: any length), so that /stats stays quick."""
    if not words:
        return default_period(now, zone)
    if len(words) > 2:
        raise UserInputError(N_("Please give two dates like this: /stats 2026-10-01 2026-10-31"))
    try:
        days = [date.fromisoformat(word) for word in words]
    except (ValueError, OverflowError) as exc:
        raise UserInputError(
            N_("I could not read that date. Please write dates like 2026-10-01.")
        ) from exc
    first = days[0]
    last = days[1] if len(days) == 2 else now.astimezone(zone).date()
    if first > last:
        raise UserInputError(N_("The first date must not be after the second."))
    if max_days is not None and (last - first).days + 1 > max_days:
        raise UserInputError(N_("Please choose a period of at most two years."))
    period = Period(first, last)
    try:
        # The first and last days must exist as times (year 1 and year 9999 do not, whole).
        period.bounds(zone)
        first - timedelta(days=first.weekday())
    except (OverflowError, ValueError) as exc:
        raise UserInputError(N_("That date is outside the range I can show.")) from exc
    return period


@dataclass(frozen=True)
class Figure:
    """One aggregate cell: its value and how many cases it rests on."""

    key: str
    value: float | None
    n: int
    base: int | None = None  # the cases a derived figure is part of, e.g. all requests
    withheld: bool = False  # secondary suppression of a week (see `_protect_weeks`)

    @property
    def small(self) -> bool:
        """A cell of 1-4 cases, or any figure about a group of 1-4 (where even 0 would say
        something about each of them): shown as "<5"."""
        return 0 < self.n < MIN_CELL or (self.base is not None and 0 < self.base < MIN_CELL)

    @property
    def suppressed(self) -> bool:
        """Small, or withheld because a small cell could be worked out from it: a sub-count
        whose complement in its base is 1-4 ("6 alerts, 5 acknowledged" tells of 1)."""
        complement = (
            self.key in COUNTS and self.base is not None and 0 < self.base - self.n < MIN_CELL
        )
        return self.small or complement or self.withheld

    @property
    def shown(self) -> float | None:
        """The value, or None when it is suppressed or there is nothing to show."""
        return None if self.suppressed or self.n == 0 else self.value

    def cell(self) -> str:
        """The value as it may leave the system: '<5' for small cells, '' for none."""
        if self.small:
            return SUPPRESSED
        if self.suppressed:
            return WITHHELD
        if self.n == 0 or self.value is None:
            return "0" if self.key in COUNTS else ""
        if float(self.value).is_integer():
            return str(int(self.value))
        return f"{self.value:.1f}"


# Figures that are counts: 0 is a real value, not a missing one.
COUNTS = {
    "requests",
    "first_contacts",
    "offers_accepted",
    "offers_declined",
    "offers_expired",
    "escalations",
    "escalations_acknowledged",
    "checkins_sent",
    "checkins_answered",
    "feedback_count",
    "who5_offered",
    "who5_skipped",
    "who5_intake_answered",
    "who5_intake_low",
    "who5_week4_pairs",
    "who5_week4_improved",
    "who5_week8_pairs",
    "who5_week8_improved",
    "community_answers",
    "community_tried",
    "community_contacts_tried",
    "community_shared",
}


def count(key: str, n: int, base: int | None = None) -> Figure:
    return Figure(key, float(n), n, base)


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def percentile_90(values: list[float]) -> float | None:
    """Nearest rank: the ceil(0.9 n)-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Week:
    monday: date
    requests: Figure
    first_contact_median: Figure  # minutes


@dataclass(frozen=True)
class Report:
    period: Period
    figures: dict[str, Figure]
    weeks: list[Week]

    def __getitem__(self, key: str) -> Figure:
        return self.figures[key]


async def report(rt: Runtime, period: Period) -> Report:
    """Compute every figure for the period from the recorded facts (live and archived).
    The counting runs in a worker thread on plain data, so urgent updates never wait for it."""
    zone = rt.config.timezone
    start, end = period.bounds(zone)
    found = await stats_store.facts(rt.storage, start, end, zone)
    return await asyncio.to_thread(compute, period, zone, found)


def compute(period: Period, zone: ZoneInfo, found: list[Fact]) -> Report:
    """Every figure from the facts of the period: pure, so it can run off the event loop."""
    by_kind: dict[str, list[Fact]] = defaultdict(list)
    for fact in found:
        by_kind[fact.kind].append(fact)

    def values(kind: str) -> list[float]:
        return [f.value for f in by_kind[kind] if f.value is not None]

    waits, acks, ratings = values("first_contact"), values("acknowledge"), values("feedback")
    intake = values("who5_intake")
    requests = len(by_kind["request"])
    sent = len(by_kind["checkin_sent"])
    figures = [
        count("requests", requests),
        count("first_contacts", len(waits), requests),
        Figure("first_contact_median_minutes", median(waits), len(waits), requests),
        Figure("first_contact_p90_minutes", percentile_90(waits), len(waits), requests),
        *(count(f"offers_{s}", len(by_kind[f"offer_{s}"])) for s in OFFER_OUTCOMES),
        count("escalations", len(by_kind["escalation"])),
        count("escalations_acknowledged", len(acks), len(by_kind["escalation"])),
        Figure("acknowledge_median_minutes", median(acks), len(acks)),
        Figure("acknowledge_p90_minutes", percentile_90(acks), len(acks)),
        count("checkins_sent", sent),
        count("checkins_answered", len(by_kind["checkin_answered"]), sent),
        count("feedback_count", len(ratings)),
        Figure("feedback_average", mean(ratings), len(ratings)),
        count("who5_offered", len(by_kind["who5_offered"])),
        count("who5_skipped", len(by_kind["who5_skipped"]), len(by_kind["who5_offered"])),
        count("who5_intake_answered", len(intake)),
        Figure("who5_intake_mean", mean(intake), len(intake)),
        count("who5_intake_low", sum(1 for score in intake if score <= LOW_SCORE), len(intake)),
    ]
    for occasion in ("week4", "week8"):
        changes = values(f"who5_change_{occasion}")
        figures += [
            count(f"who5_{occasion}_pairs", len(changes)),
            Figure(f"who5_{occasion}_change_mean", mean(changes), len(changes)),
            count(
                f"who5_{occasion}_improved",
                sum(1 for c in changes if c >= IMPROVED_POINTS),
                len(changes),
            ),
        ]
    weeks = _weeks(period, zone, by_kind["request"], by_kind["first_contact"])
    return Report(period, {f.key: f for f in figures}, weeks)


def _weeks(
    period: Period, zone: ZoneInfo, requests: list[Fact], first_contacts: list[Fact]
) -> list[Week]:
    """Requests and the median time to first contact per week (Monday to Sunday, local),
    each placed in the week the request was sent. One pass over the facts: a long period
    with many facts must not take quadratic time."""

    def monday(moment: datetime) -> date:
        day = moment.astimezone(zone).date()
        return day - timedelta(days=day.weekday())

    sent: dict[date, int] = defaultdict(int)
    waits: dict[date, list[float]] = defaultdict(list)
    for fact in requests:
        sent[monday(fact.at)] += 1
    for fact in first_contacts:
        if fact.value is not None:
            waits[monday(fact.at)].append(fact.value)
    weeks = []
    current = period.first - timedelta(days=period.first.weekday())
    while current <= period.last:
        n, week_waits = sent.get(current, 0), waits.get(current, [])
        weeks.append(
            Week(
                current,
                count("requests", n),
                Figure("first_contact_median_minutes", median(week_waits), len(week_waits), n),
            )
        )
        current += timedelta(days=7)
    return _protect_weeks(weeks)


def _protect_weeks(weeks: list[Week]) -> list[Week]:
    """Secondary suppression: the period total is shown, so a single suppressed week would be
    the total minus the others. Then the next smallest shown week is withheld as well."""
    small = [w for w in weeks if w.requests.small]
    if len(small) != 1:
        return weeks
    shown = [w for w in weeks if w.requests.n >= MIN_CELL]
    if not shown:
        return weeks  # then the total itself is 1-4 and suppressed
    partner = min(shown, key=lambda w: (w.requests.n, w.monday))
    return [
        replace(w, requests=replace(w.requests, withheld=True)) if w is partner else w
        for w in weeks
    ]


# Rendering -------------------------------------------------------------------------------------


def duration(t: Translator, figure: Figure) -> str:
    if figure.suppressed:
        return HIDDEN
    if figure.shown is None:
        return "-"
    minutes = round(figure.shown)
    if minutes < 60:
        return t._("{minutes} min", minutes=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return t._("{hours} h {minutes} min", hours=hours, minutes=rest)
    days, hours = divmod(hours, 24)
    return t._("{days} d {hours} h", days=days, hours=hours)


def number(t: Translator, figure: Figure, digits: int = 0) -> str:
    if figure.suppressed and not figure.small:
        return HIDDEN  # withheld: it is not "fewer than 5"
    if figure.suppressed:
        # "<5" reads as "fewer than 5" for a count; for an average it would mislead.
        return SUPPRESSED if figure.key in COUNTS else HIDDEN
    if figure.shown is None:
        return "0" if figure.key in COUNTS else "-"
    if digits == 0:
        return str(round(figure.shown))
    return f"{figure.shown:.{digits}f}".replace(".", "," if t.language == "da" else ".")


def signed(t: Translator, figure: Figure) -> str:
    text = number(t, figure, 1)
    return "+" + text if figure.shown is not None and figure.shown > 0 else text


def render(t: Translator, result: Report) -> str:
    """The coordinator's /stats message."""
    f = result.figures
    period = result.period
    lines = [
        t._(
            "Statistics {first} to {last}",
            first=t.date(datetime.combine(period.first, time(12), t.timezone)),
            last=t.date(datetime.combine(period.last, time(12), t.timezone)),
        ),
        t._(
            "(counts of 1-4 are shown as <5; averages and times resting on fewer than 5 cases, "
            "and counts from which a small one could be worked out, as –)"
        ),
        "",
        t._("Requests: {n}", n=number(t, f["requests"])),
        t._(
            "Time to first contact: median {median}, 90% within {p90} ({n} met a peer)",
            median=duration(t, f["first_contact_median_minutes"]),
            p90=duration(t, f["first_contact_p90_minutes"]),
            n=number(t, f["first_contacts"]),
        ),
        t._(
            "Offers to peers: {accepted} accepted, {declined} declined, {expired} expired",
            accepted=number(t, f["offers_accepted"]),
            declined=number(t, f["offers_declined"]),
            expired=number(t, f["offers_expired"]),
        ),
        t._(
            "Urgent alerts: {n}, acknowledged {acked}; time to acknowledge: median {median}, "
            "90% within {p90}",
            n=number(t, f["escalations"]),
            acked=number(t, f["escalations_acknowledged"]),
            median=duration(t, f["acknowledge_median_minutes"]),
            p90=duration(t, f["acknowledge_p90_minutes"]),
        ),
        t._(
            "Check-ins: {answered} of {sent} answered",
            answered=number(t, f["checkins_answered"]),
            sent=number(t, f["checkins_sent"]),
        ),
        t._(
            "Feedback: {n} ratings, average {average} of 5",
            n=number(t, f["feedback_count"]),
            average=number(t, f["feedback_average"], 1),
        ),
        t._(
            "Wellbeing (WHO-5, 0-100): offered {offered}, skipped {skipped}; at the request "
            "{n} answered, average {average}, {low} at 28 or below",
            offered=number(t, f["who5_offered"]),
            skipped=number(t, f["who5_skipped"]),
            n=number(t, f["who5_intake_answered"]),
            average=number(t, f["who5_intake_mean"], 1),
            low=number(t, f["who5_intake_low"]),
        ),
        *(
            t._(
                "Wellbeing after {weeks} weeks: {n} answered again, average change {change} "
                "points, {improved} improved by 10 or more",
                weeks=weeks,
                n=number(t, f[f"who5_week{weeks}_pairs"]),
                change=signed(t, f[f"who5_week{weeks}_change_mean"]),
                improved=number(t, f[f"who5_week{weeks}_improved"]),
            )
            for weeks in (4, 8)
        ),
    ]
    return "\n".join(lines)


def to_csv(result: Report) -> str:
    """Anonymous aggregates only: one row per figure and per week, small cells as '<5'."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["period", "measure", "value"])
    span = f"{result.period.first.isoformat()}..{result.period.last.isoformat()}"
    for figure in result.figures.values():
        writer.writerow([span, figure.key, figure.cell()])
    for week in result.weeks:
        iso = week.monday.isocalendar()
        label = f"{iso.year}-W{iso.week:02d}"
        writer.writerow([label, "requests", week.requests.cell()])
        writer.writerow([label, "first_contact_median_minutes", week.first_contact_median.cell()])
    return buffer.getvalue()


def chart(t: Translator, result: Report) -> bytes:
    """A PNG of weekly requests (bars) and the median time to first contact (line, hours).
    Weeks with 1-4 requests show a hatched stub labelled <5 instead of the count."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure as PlotFigure

    weeks = result.weeks
    labels = [f"{w.monday.isocalendar().week:02d}" for w in weeks]
    positions = list(range(len(weeks)))
    plot = PlotFigure(figsize=(8, 4.5), dpi=100)
    left = plot.add_subplot()
    heights = [w.requests.shown or 0 for w in weeks]
    left.bar(positions, heights, color="#7aa6c2", label=t._("Requests"))
    for x, week in zip(positions, weeks, strict=True):
        if week.requests.suppressed:
            mark = SUPPRESSED if week.requests.small else HIDDEN
            left.bar([x], [0.5], color="none", edgecolor="#7aa6c2", hatch="//")
            left.annotate(mark, (x, 0.6), ha="center", fontsize=8)
    left.set_ylabel(t._("Requests per week"))
    left.set_xlabel(t._("Week"))
    left.set_xticks(positions, labels)
    left.set_ylim(bottom=0, top=max([*heights, 5]) * 1.2)
    right = left.twinx()
    hours = [
        w.first_contact_median.shown / 60 if w.first_contact_median.shown is not None else None
        for w in weeks
    ]
    right.plot(
        positions,
        [h if h is not None else float("nan") for h in hours],
        color="#c0504d",
        marker="o",
        label=t._("Median time to first contact (hours)"),
    )
    right.set_ylabel(t._("Hours to first contact (median)"))
    right.set_ylim(bottom=0, top=max([h for h in hours if h is not None] + [1]) * 1.2)
    bars, bar_labels = left.get_legend_handles_labels()
    line, line_labels = right.get_legend_handles_labels()
    left.legend(bars + line, bar_labels + line_labels, loc="upper right", fontsize=8)
    plot.suptitle(
        t._(
            "Weekly requests and time to first contact, {first} to {last}",
            first=result.period.first.isoformat(),
            last=result.period.last.isoformat(),
        ),
        fontsize=10,
    )
    plot.tight_layout()
    buffer = io.BytesIO()
    plot.savefig(buffer, format="png")
    return buffer.getvalue()
