"""The benchmark: how little machine the bot needs, and how fast urgent things move.

    make bench          # or: .venv/bin/python bench/run.py [--quick] [--only relay,intake]
    .venv/bin/python bench/run.py --only relay,baseline --profile /tmp/bench.prof

Prints a table of every figure beside its target and writes the same as bench/results.json.
Scenarios run the real Application on the in-process fake Bot API and real SQLite files, after
a warm-up, with fixed random seeds; the check-in start-up scenario runs in a fresh process so
its memory figure is its own. `minimal` runs bare PTB and the relay on a transport that checks
nothing (`bench/minimal.py`), so the bot's own cost per message shows apart from the fake's;
`urgent` reports its urgent latency beside the ordinary messages' latency under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import Application, ContextTypes, MessageHandler, filters  # noqa: E402
from telegram.request import BaseRequest  # noqa: E402

from bench.common import (  # noqa: E402
    COORDINATOR,
    OFFICE_HOURS,
    PROFILE,
    URGENT_TEXTS,
    keep_up,
    measured,
    ms,
    percentile,
    seed_pairs,
    start,
)
from bench.minimal import TOKEN as MINIMAL_TOKEN  # noqa: E402
from bench.minimal import MinimalTransport  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.fakebot import FakeRequest, FakeTelegram  # noqa: E402
from bot.storage import Database  # noqa: E402
from bot.storage import checkins as checkin_store  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
Figures = dict[str, Any]


# relay, and urgent messages mixed into it -------------------------------------------------------


async def relay(directory: Path, messages: int, urgent_share: float = 0.0) -> Figures:
    """1,000 active pairs write to each other at the highest rate the bot sustains, then at a
    steady `PACED_RATE`; with `urgent_share`, that share of citizens' messages needs help now.

    Urgent latency runs from an update's arrival to its escalation's first message to a
    coordinator; ordinary latency from arrival to the end of handling (the copy sent). Both
    count only updates that arrived in the phase measured, and each phase waits for every
    urgent alert of its own before it ends.
    """
    rng = random.Random(7)
    bot = await start(directory)
    pairs = await seed_pairs(bot.rt.storage, 1000, OFFICE_HOURS)
    people = [(bot.fake.user(c, "C"), bot.fake.user(p, "P")) for c, p, _ in pairs]
    alerted_at: dict[int, float] = {}
    original_call = bot.fake.call_wire

    async def watch(method: str, params: dict[str, Any]) -> tuple[int, bytes]:
        answer = await original_call(method, params)
        text = str(params.get("text", ""))
        if (
            method == "sendMessage"
            and str(params.get("chat_id")) == str(COORDINATOR)
            and text.startswith("Akut #")
        ):
            number = int(text.split("#")[1].split()[0])
            alerted_at.setdefault(number, time.perf_counter())
        return answer

    bot.fake.call_wire = watch  # type: ignore[method-assign]

    urgent = 0
    help_now, crisis_words = sorted(URGENT_TEXTS)

    def turn() -> int:
        """One turn: a random pair, one side, 1-3 messages in a row, as people write."""
        nonlocal urgent
        citizen, peer = people[rng.randrange(len(people))]
        side_is_citizen = rng.random() < 0.5
        count = rng.randint(1, 3)
        for _ in range(count):
            if side_is_citizen and rng.random() < urgent_share:
                urgent += 1
                citizen.send_text(help_now if urgent % 2 else crisis_words)
            elif side_is_citizen:
                citizen.send_text("Hej, tak for sidst. Det hjalp at snakke.")
            else:
                peer.send_text("Godt at høre. Hvordan gik resten af ugen?")
        return count

    async def burst(count: int) -> float:
        """As fast as the bot can: fetched 100 at a time while earlier ones are handled."""
        began = time.perf_counter()
        sent = waiting = 0
        while sent < count:
            made = turn()
            sent, waiting = sent + made, waiting + made
            if waiting >= 100:
                await bot.feed(waiting)
                waiting = 0
        await bot.pump(waiting)
        await bot.rt.dispatcher.drain()  # type: ignore[union-attr]
        return time.perf_counter() - began

    await burst(2000)  # warm-up
    settle_heap(bot.fake)
    cpu = time.process_time()
    phase = time.perf_counter()
    with measured():
        elapsed = await burst(messages)
    figures: Figures = {
        "messages": messages,
        "per_second": round(messages / elapsed),
        "cpu_us_per_message": round(elapsed / messages * 1e6),
        "process_cpu_us_per_message": round((time.process_time() - cpu) / messages * 1e6),
    }
    if urgent_share:
        burst_urgent = await _urgent_received(bot, alerted_at, phase)
        figures["burst_urgent_p50_ms"] = ms(percentile(burst_urgent, 50))
        figures["burst_urgent_p99_ms"] = ms(percentile(burst_urgent, 99))
    # Latency under a steady load below capacity, polled continuously as in production.
    settle_heap(bot.fake)
    bot.timings.clear()
    phase = time.perf_counter()
    await paced(bot, turn, messages // 2, PACED_RATE)
    figures.update(paced_per_second=PACED_RATE, p50_ms=bot.timings.median, p99_ms=bot.timings.p(99))
    if urgent_share:
        received = await _urgent_received(bot, alerted_at, phase)
        figures["urgent"] = len(received)
        figures["urgent_p50_ms"] = ms(percentile(received, 50))
        figures["urgent_p99_ms"] = ms(percentile(received, 99))
        # The ordinary messages of the same paced load, for "urgent never slower than ordinary".
        figures["ordinary_p50_ms"] = ms(percentile(bot.timings.ordinary, 50))
        figures["ordinary_p99_ms"] = ms(percentile(bot.timings.ordinary, 99))
    await bot.stop()
    return figures


PACED_RATE = 300  # ten times Telegram's limit for one bot (about 30 messages a second)


def settle_heap(fake: FakeTelegram) -> None:
    """Drop the fake's call log and freeze what exists, as `peerbot run` does after start-up.

    The in-process fake keeps every message of every chat; without this its growing heap makes
    the garbage collector's full passes show up in the bot's latency, which a real deployment
    (whose Telegram is elsewhere) never pays.
    """
    fake.calls.clear()
    gc.collect()
    gc.freeze()


async def paced(bot: Any, turn: Callable[[], int], count: int, rate: int) -> None:
    """Offer `rate` messages a second while the bot long-polls continuously."""
    stop = asyncio.Event()

    async def poll() -> None:
        while not stop.is_set():
            await bot.poller.poll_once(wait=1)

    poller = asyncio.create_task(poll())
    began, sent = time.perf_counter(), 0
    while sent < count:
        sent += turn()
        ahead = began + sent / rate - time.perf_counter()
        if ahead > 0:
            await asyncio.sleep(ahead)
    while len(bot.timings.handled) < sent:  # noqa: ASYNC110 - a benchmark polls its own figures
        await asyncio.sleep(0.01)
    stop.set()
    poller.cancel()
    await bot.rt.dispatcher.drain()


URGENT_WAIT = 60.0  # seconds an escalation's alert may take before the benchmark stops waiting


async def _urgent_received(bot: Any, alerted_at: dict[int, float], since: float) -> list[float]:
    """Time from arrival to the first coordinator alert, for each escalation raised by an
    update that arrived after `since`; waits until every one was alerted (an alert still
    missing after `URGENT_WAIT` counts as that long)."""
    arrived = bot.timings.arrivals
    deadline = time.perf_counter() + URGENT_WAIT
    while True:
        rows = await bot.rt.storage.fetchall("SELECT id, source_key FROM escalations")
        mine = {
            row[0]: arrived[update_id]
            for row in rows
            if row[1]
            and (update_id := int(row[1].split(":")[1])) in arrived
            and arrived[update_id] >= since
        }
        if all(number in alerted_at for number in mine) or time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.05)
    return [alerted_at.get(number, deadline) - at for number, at in mine.items()]


async def baseline(directory: Path, messages: int) -> Figures:
    """A bare PTB application whose one handler copies each message back, same fake transport."""
    fake = FakeTelegram()
    users = [fake.user(100_000 + n, "C") for n in range(1000)]
    return await _echo(
        FakeRequest(fake),
        fake.token,
        lambda n: users[n].send_text("Hej, tak for sidst."),
        messages,
        settle=lambda: settle_heap(fake),
    )


async def _echo(
    transport: BaseRequest,
    token: str,
    write: Callable[[int], object],
    messages: int,
    settle: Callable[[], None],
) -> Figures:
    """Bare PTB copying each message back over `transport`; `write(n)` makes person n write."""
    app = (
        Application.builder()
        .token(token)
        .request(transport)
        .get_updates_request(transport)
        .updater(None)
        .concurrent_updates(256)
        .build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        await message.copy(message.chat_id)

    app.add_handler(MessageHandler(filters.ALL, echo))
    await app.initialize()
    await app.start()
    rng = random.Random(7)
    offset = None

    async def burst(count: int) -> float:
        nonlocal offset
        began = time.perf_counter()
        for n in range(count):
            write(rng.randrange(1000))
            if n % 100 == 99 or n == count - 1:
                updates = await app.bot.get_updates(offset=offset, timeout=0)
                for update in updates:
                    await app.update_queue.put(update)
                if updates:
                    offset = updates[-1].update_id + 1
                await keep_up(app)
        await app.update_queue.join()
        return time.perf_counter() - began

    await burst(2000)
    settle()
    cpu = time.process_time()
    with measured():
        elapsed = await burst(messages)
    cpu = time.process_time() - cpu
    await app.stop()
    await app.shutdown()
    return {
        "messages": messages,
        "per_second": round(messages / elapsed),
        "cpu_us_per_message": round(elapsed / messages * 1e6),
        "process_cpu_us_per_message": round(cpu / messages * 1e6),
    }


async def minimal(directory: Path, messages: int) -> Figures:
    """Bare PTB and the bot's relay on a transport that checks nothing (`bench/minimal.py`), so
    the bot's own cost per message shows apart from what the strict fake's checks cost."""
    echo_transport = MinimalTransport()
    echo = await _echo(
        echo_transport,
        MINIMAL_TOKEN,
        lambda n: echo_transport.write(100_000 + n, "Hej, tak for sidst."),
        messages,
        settle=_settle_gc,
    )
    transport = MinimalTransport()
    bot = await start(directory, transport=transport, token=MINIMAL_TOKEN)
    pairs = await seed_pairs(bot.rt.storage, 1000, OFFICE_HOURS)
    rng = random.Random(7)

    async def burst(count: int) -> float:
        began = time.perf_counter()
        sent = waiting = 0
        while sent < count:
            citizen, peer, _ = pairs[rng.randrange(len(pairs))]
            side_is_citizen = rng.random() < 0.5
            for _ in range(rng.randint(1, 3)):
                if side_is_citizen:
                    transport.write(citizen, "Hej, tak for sidst. Det hjalp at snakke.")
                else:
                    transport.write(peer, "Godt at høre. Hvordan gik resten af ugen?")
                sent, waiting = sent + 1, waiting + 1
            if waiting >= 100:
                await bot.feed(waiting)
                waiting = 0
        await bot.pump(waiting)
        return time.perf_counter() - began

    await burst(2000)
    _settle_gc()
    cpu = time.process_time()
    with measured():
        elapsed = await burst(messages)
    cpu = time.process_time() - cpu
    await bot.rt.later.flush()
    relayed = await bot.rt.storage.fetchone("SELECT COUNT(*) FROM relay_messages")
    await bot.stop()
    return {
        "messages": messages,
        "echo": echo,
        "relay": {
            "per_second": round(messages / elapsed),
            "cpu_us_per_message": round(elapsed / messages * 1e6),
            "process_cpu_us_per_message": round(cpu / messages * 1e6),
            "relayed": relayed[0] // 2 if relayed else 0,
        },
    }


def _settle_gc() -> None:
    gc.collect()
    gc.freeze()


# intake -----------------------------------------------------------------------------------------


async def intake(directory: Path, citizens: int) -> Figures:
    """1,000 citizens go through the age question, consent and the intake steps at the same time."""
    bot = await start(directory)
    people = [bot.fake.user(300_000 + n, "C", language_code="en") for n in range(citizens)]
    steps: list[Callable[[Any], object]] = [
        lambda u: u.send_text("/start"),
        lambda u: u.press_button("Talk to a peer"),
        lambda u: u.press_button("18 or over"),
        lambda u: u.press_button("I agree"),
        lambda u: u.press_button("Anxiety"),
        lambda u: u.press_button("Dansk"),
        lambda u: u.press_button("Evenings"),
        lambda u: u.press_button("Skip"),
        lambda u: u.press_button("Send request"),
    ]
    began, cpu = time.perf_counter(), time.process_time()
    with measured():
        for step in steps:
            for person in people:
                step(person)
            await bot.pump(citizens)
            await bot.rt.dispatcher.drain()  # type: ignore[union-attr]
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    waiting = await bot.rt.storage.fetchone("SELECT COUNT(*) FROM requests WHERE status='waiting'")
    figures = {
        "citizens": citizens,
        "completed": waiting[0],
        "per_second": round(waiting[0] / elapsed, 1),
        "process_cpu_ms_per_intake": round(cpu / max(waiting[0], 1) * 1000, 2),
        "p99_step_ms": bot.timings.p(99),
    }
    await bot.stop()
    return figures


# check-ins --------------------------------------------------------------------------------------


async def seed_checkins(path: Path, pending: int, soon: int, now: datetime) -> None:
    """`pending` check-ins spread over 60 days, plus `soon` due a few seconds after seeding.

    Bulk rows are written with one `executemany` on a plain connection: seeding 100,000 rows
    through the bot's one-at-a-time API would take longer than the whole benchmark. The soon
    ones are timed from the end of seeding, so a slow machine's seeding does not count as
    lateness.
    """
    db = await Database.open(path)
    pairs = await seed_pairs(db, 1000, now)
    await db.close()
    rng = random.Random(11)

    def row(n: int, due: datetime) -> tuple[int, str, str, str]:
        local = due.replace(tzinfo=None).isoformat(timespec="minutes")
        return (pairs[n % len(pairs)][2], local, due.isoformat(), now.isoformat())

    sql = (
        "INSERT INTO checkins (contact_id, created_by, kind, status, local_time, due_at,"
        " created_at) VALUES (?, 'peer', 'checkin', 'pending', ?, ?, ?)"
    )
    later = [
        row(n, now + timedelta(hours=1, seconds=rng.randrange(60 * 86400))) for n in range(pending)
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany(sql, later)
    seeded = datetime.now(UTC)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            sql, [row(n, seeded + timedelta(seconds=3 + 3 * n / max(soon, 1))) for n in range(soon)]
        )


async def checkins_startup(directory: Path, pending: int) -> Figures:
    """Run in a fresh process: start-up time and memory with many pending check-ins."""
    soon = 200
    path = directory / "bench.sqlite3"
    now = datetime.now(UTC)
    await seed_checkins(path, pending, soon, now)
    began = time.perf_counter()
    bot = await start(
        directory,
        clock=SystemClock(),
        quiet_start=datetime.min.time(),
        quiet_end=datetime.min.time().replace(minute=1),
    )
    from bot.scheduling import load_timers

    await load_timers(bot.app)
    startup = time.perf_counter() - began
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    fired: dict[int, datetime] = {}
    original_call = bot.fake.call_wire

    async def watch(method: str, params: dict[str, Any]) -> tuple[int, bytes]:
        answer = await original_call(method, params)
        markup = params.get("reply_markup") or {}
        markup = json.loads(markup) if isinstance(markup, str) else markup
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data", "")
                if data.startswith("ci:") and data.endswith(":better"):
                    fired.setdefault(int(data.split(":")[1]), datetime.now(UTC))
        return answer

    bot.fake.call_wire = watch  # type: ignore[method-assign]
    for citizen in range(1000):
        bot.fake.user(100_000 + citizen, "C", language_code="en")
    deadline = time.perf_counter() + 30
    while len(fired) < soon and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    lateness = []
    for checkin_id, when in fired.items():
        checkin = await checkin_store.by_id(bot.rt.storage, checkin_id)
        if checkin is not None and checkin.due_at is not None:
            lateness.append((when - checkin.due_at).total_seconds())
    await bot.stop()
    return {
        "pending": pending,
        "startup_s": round(startup, 2),
        "rss_mb": round(rss_mb),
        "fired": len(fired),
        "lateness_p99_ms": ms(percentile(lateness, 99)),
    }


async def flood(directory: Path, due_together: int) -> Figures:
    """Check-ins all due at once: the rate limiter must keep every send under Telegram's limit."""
    now = datetime.now(UTC)
    path = directory / "bench.sqlite3"
    db = await Database.open(path)
    pairs = await seed_pairs(db, due_together, now)
    async with db.transaction() as tx:
        for _, _, contact_id in pairs:
            checkin_id = await checkin_store.create_draft(tx, contact_id, "peer", "confirm", now)
            await checkin_store.schedule(tx, checkin_id, now.replace(tzinfo=None), now, False)
    await db.close()
    bot = await start(
        directory,
        clock=SystemClock(),
        rate_limiter=True,
        flood_limit=True,
        quiet_start=datetime.min.time(),
        quiet_end=datetime.min.time().replace(minute=1),
    )
    for citizen, _, _ in pairs:
        bot.fake.user(citizen, "C")
    from bot.services import checkins

    began = time.perf_counter()
    await checkins.sweep(bot.rt)
    while await bot.rt.dispatcher.drain():  # type: ignore[union-attr]
        pass
    elapsed = time.perf_counter() - began
    refused = sum(1 for c in bot.fake.calls if c.error_code == 429)
    delivered = sum(1 for c in bot.fake.calls if c.ok and c.method == "sendMessage")
    await bot.stop()
    return {
        "due": due_together,
        "delivered": delivered,
        "answers_429": refused,
        "seconds": round(elapsed, 1),
        "ideal_seconds": round(due_together / 30, 1),
    }


# the runner -------------------------------------------------------------------------------------


def _in_fresh_process(name: str, argument: int, profile: str | None = None) -> Figures:
    """Run one scenario in its own process; a failure is reported, not fatal to the rest."""
    extra = ["--profile", f"{profile}.{name}"] if profile else []
    result = subprocess.run(
        [sys.executable, __file__, "--scenario", name, "--argument", str(argument), *extra],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["no output"]
        return {"error": lines[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


async def crash(directory: Path, kills: int) -> Figures:
    from bench.crash import run

    return await run(kills)


SCENARIOS: dict[str, Callable[[Path, int], Awaitable[Figures]]] = {
    "relay": lambda d, n: relay(d, n),
    "baseline": baseline,
    "minimal": minimal,
    "urgent": lambda d, n: relay(d, n, urgent_share=0.01),
    "intake": intake,
    "checkins": checkins_startup,
    "flood": flood,
    "crash": crash,
}


async def run_one(name: str, argument: int) -> Figures:
    with tempfile.TemporaryDirectory() as scratch:
        return await SCENARIOS[name](Path(scratch), argument)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller loads, for a smoke run")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="cProfile the measured part of each scenario into FILE.<scenario>"
        " (read with: python -m pstats FILE.relay)",
    )
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--argument", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        if args.profile:
            PROFILE["path"] = Path(args.profile)
        print(json.dumps(asyncio.run(run_one(args.scenario, args.argument))))
        return 0
    sizes = {
        "relay": 20_000,
        "baseline": 20_000,
        "minimal": 20_000,
        "urgent": 20_000,
        "intake": 1000,
        "checkins": 100_000,
        "flood": 5000,
        "crash": 20,
    }
    if args.quick:
        sizes = {
            "relay": 3000,
            "baseline": 3000,
            "minimal": 3000,
            "urgent": 3000,
            "intake": 200,
            "checkins": 10_000,
            "flood": 300,
            "crash": 3,
        }
    chosen = args.only.split(",") if args.only else list(sizes)
    results: dict[str, Any] = {}
    if args.only and RESULTS.exists():
        results = json.loads(RESULTS.read_text(encoding="utf-8"))  # keep the other figures
    results |= {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "quick": args.quick,
    }
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = _in_fresh_process(name, sizes[name], args.profile)
        if not args.profile:  # profiled figures are slower; they never replace real ones
            RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    report(results)
    failed = [name for name in chosen if "error" in results[name]]
    for name in failed:
        print(f"{name}: failed: {results[name]['error']}")
    return 1 if failed else 0


def report(results: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str]] = []

    def add(scenario: str, figure: str, target: str) -> None:
        rows.append((scenario, figure, target))

    results = {k: v for k, v in results.items() if not (isinstance(v, dict) and "error" in v)}

    if relay_ := results.get("relay"):
        add("relay", f"{relay_['per_second']} msg/s", ">= 300 msg/s")
        add(
            "relay",
            f"at {relay_['paced_per_second']}/s: "
            f"p50 {relay_['p50_ms']} ms, p99 {relay_['p99_ms']} ms",
            "p99 < 20 ms",
        )
    if (base := results.get("baseline")) and relay_:
        ratio = relay_["cpu_us_per_message"] / base["cpu_us_per_message"]
        add("baseline", f"{base['per_second']} msg/s; relay costs {ratio:.1f}x", "(shown)")
    if mini := results.get("minimal"):
        echo, bot = mini["echo"], mini["relay"]
        own = bot["process_cpu_us_per_message"] - echo["process_cpu_us_per_message"]
        line = (
            f"no checks: bare PTB {echo['process_cpu_us_per_message']} µs, relay "
            f"{bot['process_cpu_us_per_message']} µs ({bot['per_second']} msg/s): the bot's own "
            f"{own} µs/msg"
        )
        if relay_:
            fake = relay_["process_cpu_us_per_message"] - bot["process_cpu_us_per_message"]
            line += f"; the strict fake adds {fake} µs"
        add("minimal transport", line, "(shown)")
    if urgent := results.get("urgent"):
        add(
            "urgent under load",
            f"{urgent['urgent']} urgent at {urgent['paced_per_second']}/s: p50 "
            f"{urgent['urgent_p50_ms']} ms, p99 {urgent['urgent_p99_ms']} ms; ordinary p99 "
            f"{urgent.get('ordinary_p99_ms', '?')} ms",
            "urgent p99 <= ordinary p99",
        )
        if "burst_urgent_p99_ms" in urgent:
            add(
                "urgent in a burst",
                f"p50 {urgent['burst_urgent_p50_ms']} ms, p99 {urgent['burst_urgent_p99_ms']} ms "
                f"at {urgent['per_second']} msg/s",
                "(shown)",
            )
    if intake_ := results.get("intake"):
        add(
            "intake",
            f"{intake_['per_second']} intakes/s, p99 step {intake_['p99_step_ms']} ms",
            ">= 200/s",
        )
    if ck := results.get("checkins"):
        add(
            "check-ins",
            f"{ck['pending']} pending: start-up {ck['startup_s']} s, "
            f"{ck['rss_mb']} MB, lateness p99 {ck['lateness_p99_ms']} ms",
            "< 5 s, < 300 MB, < 1 s",
        )
    if fl := results.get("flood"):
        add(
            "flood limits",
            f"{fl['delivered']} sent, {fl['answers_429']} x 429, "
            f"{fl['seconds']} s (ideal {fl['ideal_seconds']} s)",
            "0 x 429, within 10%",
        )
    if cr := results.get("crash"):
        add(
            "crash (SIGKILL)",
            f"{cr['kills']} kills: escalations lost {cr['escalations_lost']}, "
            f"doubled {cr['escalations_duplicated']}; check-ins lost {cr['checkins_lost']}, "
            f"fired twice {cr['checkins_fired_twice']}; repeated deliveries "
            f"{cr['coordinator_alerts_repeated'] + cr['checkin_messages_repeated']}",
            "0 lost, 0 doubled",
        )
    machine = results["machine"]
    print(
        f"peerbot benchmark {results['date']}: {machine['cores']} cores, Python {machine['python']}"
    )
    width = max(len(r[1]) for r in rows) if rows else 10
    for scenario, figure, target in rows:
        print(f"{scenario:<18} {figure:<{width}}  target {target}")


if __name__ == "__main__":
    sys.exit(main())
