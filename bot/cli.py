"""``peerbot``: run the bot and look after its database.

Errors meant for people are one line on stderr with exit code 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.config import Config, load_config
from bot.config.regions import REGIONS
from bot.errors import ConfigError, PeerbotError
from bot.logging_setup import configure_logging

if TYPE_CHECKING:
    from bot.storage import Database

DEFAULT_CONFIG = Path("peerbot.toml")
# Earlier example files shipped these lines with this `verified` date nobody had checked.
OLD_EXAMPLE_DATE = date(2026, 11, 24)
OLD_EXAMPLE_PHONES = ("112", "70 201 201", "1813")

NO_TOKEN_HELP = """\
No Telegram bot token is configured, so the bot cannot connect to Telegram.

To run it for real:
  1. Create a bot with @BotFather in Telegram and copy its token.
  2. export PEERBOT_TOKEN='123456:your-token'   (or set telegram.token in peerbot.toml)
  3. cp peerbot.example.toml peerbot.toml and fill in coordinators and emergency lines.
  4. make run
"""


def _config_path(args: argparse.Namespace) -> Path:
    return Path(args.config or os.environ.get("PEERBOT_CONFIG") or DEFAULT_CONFIG)


def _load(args: argparse.Namespace) -> Config:
    return load_config(_config_path(args))


def _token_configured(args: argparse.Namespace) -> bool:
    """Checked before full validation, so a first run says what matters most."""
    if os.environ.get("PEERBOT_TOKEN"):
        return True
    path = _config_path(args)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except tomllib.TOMLDecodeError:
        return True
    return bool(data.get("telegram", {}).get("token"))


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate the configuration and name every problem with its key.

    Example: peerbot check-config --config /etc/peerbot/peerbot.toml
    """
    token_problem = (
        [] if _token_configured(args) else ["telegram.token: not set (or set PEERBOT_TOKEN)"]
    )
    try:
        config = _load(args)
    except ConfigError as exc:
        raise ConfigError(token_problem + exc.problems) from exc
    if token_problem:
        raise ConfigError(token_problem)
    for warning in config.stale_emergency_lines(date.today()):
        print(f"warning: {warning}; check the number and its hours", file=sys.stderr)
    for warning in config.stale_communities(date.today()):
        print(
            f"warning: {warning}; check that it still meets where and when it says, and its "
            "link or contact",
            file=sys.stderr,
        )
    for line in config.emergency:
        if line.verified == OLD_EXAMPLE_DATE and line.phone in OLD_EXAMPLE_PHONES:
            print(
                f"warning: {line.label}: verified {OLD_EXAMPLE_DATE} is the date earlier "
                "example files shipped with, not a check by your organisation (and 1813 is "
                "Region Hovedstaden's Akuttelefonen, not a psychiatric line); choose "
                "[emergency] region and verify its lines (docs/emergency-lines.md)",
                file=sys.stderr,
            )
    if config.emergency_region is None and any(line.key for line in config.emergency):
        print(
            "warning: emergency.region: not set, so citizens see the lines that are true "
            "anywhere in Denmark, without your region's out-of-hours number; choose one of "
            f"{', '.join(REGIONS)}",
            file=sys.stderr,
        )
    if not config.limits_text:
        print(
            "warning: limits: not written; `peerbot run` will not start without the "
            "organisation's own text (the sandbox shows a default)",
            file=sys.stderr,
        )
    if not config.alarm.enabled:
        print(
            "warning: alarm: no e-mail alarm configured (alarm.smtp_host, alarm.to); when no "
            "coordinator can be reached, only the citizen is told",
            file=sys.stderr,
        )
    moved = _coordinator_group_moved(config)
    if moved is not None:
        print(
            f"warning: coordinators.group_chat_id: the coordinators' group became a supergroup;"
            f" the bot follows it, but set group_chat_id = {moved} in the configuration",
            file=sys.stderr,
        )
    print(f"configuration OK: {config.source or 'defaults'}")
    return 0


def _coordinator_group_moved(config: Config) -> int | None:
    """The new id of the coordinators' group, if the bot saw it become a supergroup."""
    if config.coordinator_group_id is None or not config.database.exists():
        return None
    from bot.services.group_chats import configured_group_moved
    from bot.storage import Database
    from bot.storage.migrations import MIGRATIONS

    async def look() -> int | None:
        db = await Database.open(config.database, migrate=False)
        try:
            if await db.schema_version() < len(MIGRATIONS):
                return None  # not migrated yet: nothing recorded to report
            return await configured_group_moved(db, config.coordinator_group_id)
        finally:
            await db.close()

    return asyncio.run(look())


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot with long polling (or a webhook) until SIGINT/SIGTERM.

    Example: PEERBOT_TOKEN=123:abc peerbot run --webhook https://bot.example.org/telegram
    """
    if not _token_configured(args):
        print(NO_TOKEN_HELP, file=sys.stderr)
        if not args.sandbox_without_token:
            return 1
        print("Starting the sandbox instead: the bot in your browser, without Telegram.\n")
        return _run_sandbox(args)
    config = _load(args)
    if problems := config.not_ready_for_citizens():
        print(not_ready_message(_config_path(args), problems), file=sys.stderr)
        return 1
    from bot.runner import serve

    configure_logging(args.log_level, fmt=args.log_format)
    asyncio.run(serve(config, webhook_url=args.webhook, listen=args.listen, port=args.port))
    return 0


def not_ready_message(path: Path, problems: list[str]) -> str:
    """One message for everything that keeps a real bot from starting, each with where to fix it."""
    return "\n".join(
        [
            f"error: not starting: {path} is not ready for citizens yet. Citizens would see "
            "lines or texts nobody at the organisation has checked. Fix these in that file "
            "and start again (the sandbox, `peerbot sandbox`, runs without them):",
            *(f"  - {problem}" for problem in problems),
        ]
    )


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Try the bot in a browser without Telegram: a citizen, a peer and a coordinator side by
    side, against the built-in fake Bot API, with its own database (fresh at every start).

    Example: peerbot sandbox --port 8080 --language en
    """
    return _run_sandbox(args)


def _run_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox import DEFAULT_DATA_DIR, DEFAULT_PORT, serve_sandbox
    from bot.sandbox.config import sandbox_config

    options = vars(args)
    data_dir = Path(options.get("data") or DEFAULT_DATA_DIR).expanduser().resolve()
    config = sandbox_config(_config_path(args), data_dir)
    start = None
    if options.get("start"):
        try:
            start = datetime.fromisoformat(options["start"])
        except ValueError as exc:
            raise PeerbotError(
                f"--start: not a time like 2026-03-02T10:00: {options['start']}"
            ) from exc
        if start.tzinfo is None:
            start = start.replace(tzinfo=config.timezone)

    def ready(url: str) -> None:
        print(
            f"Sandbox running at {url}\n"
            "  Made-up people and a fake Telegram on this machine: nothing reaches Telegram.\n"
            f"  Its own database: {config.database} (fresh at every start).\n"
            "  Stop it with Ctrl+C.",
            flush=True,
        )

    configure_logging(
        options.get("log_level") or "WARNING", fmt=options.get("log_format") or "text"
    )
    asyncio.run(
        serve_sandbox(
            config,
            host=options.get("host") or "127.0.0.1",
            port=DEFAULT_PORT if options.get("page_port") is None else options["page_port"],
            start=start,
            language=options.get("language"),
            open_browser=not options.get("no_open", False),
            ready=ready,
        )
    )
    return 0


@contextmanager
def _sole_writer(config: Config) -> Iterator[None]:
    """Hold the lock `peerbot run` holds, so that a schema change never meets a running bot
    (or another migration); refuses with one line when the database is in use."""
    from bot.runner import InstanceLock
    from bot.storage.backups import give_to_owner_of

    lock = InstanceLock(config.database)
    lock.acquire()
    try:
        yield
    finally:
        give_to_owner_of(lock.path, config.database)  # run as root, the service opens it later
        lock.release()


def cmd_init_db(args: argparse.Namespace) -> int:
    """Create the database file (mode 0600) or bring its schema up to date. Refuses while the
    bot runs on it.

    Example: peerbot init-db --config peerbot.toml
    """
    from bot.storage import Database

    config = _load(args)

    async def init() -> int:
        db = await Database.open(config.database)
        version = await db.schema_version()
        await db.close()
        return version

    with _sole_writer(config):
        version = asyncio.run(init())
    print(f"database ready: {config.database} (schema version {version})")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """List the schema migrations a database still needs, and apply them unless --dry-run.
    Applying refuses while the bot runs on the database; a dry run writes nothing, so it may.

    Example: peerbot migrate --dry-run
    """
    from bot.storage import Database
    from bot.storage.migrations import pending

    config = _load(args)
    if args.dry_run and not config.database.exists():
        # A dry run creates nothing: a database that is not there yet needs every migration.
        todo = pending(0)
        for number, description in todo:
            print(f"{number}: {description}")
        print(f"no database at {config.database} yet: {len(todo)} migration(s) pending")
        return 0

    async def migrate() -> list[tuple[int, str]]:
        db = await Database.open(config.database, migrate=False)
        try:
            todo = pending(await db.schema_version())
            if not args.dry_run:
                await db.migrate()
            return todo
        finally:
            await db.close()

    if args.dry_run:
        todo = asyncio.run(migrate())
    else:
        with _sole_writer(config):
            todo = asyncio.run(migrate())
    for number, description in todo:
        print(f"{number}: {description}")
    verb = "pending" if args.dry_run else "applied"
    print(f"{len(todo)} migration(s) {verb}")
    return 0


async def _open_set_up(path: Path) -> Database:
    """Open an existing database for reading commands; one clear line if it was never set up
    (or is behind the code), instead of SQLite's "no such table"."""
    from bot.storage import Database
    from bot.storage.migrations import MIGRATIONS

    db = await Database.open(path, migrate=False)
    version = await db.schema_version()
    if version < len(MIGRATIONS):
        await db.close()
        if version == 0:
            raise PeerbotError(f"the database at {path} is not set up: run `peerbot init-db` first")
        raise PeerbotError(
            f"the database at {path} needs {len(MIGRATIONS) - version} migration(s): "
            "run `peerbot migrate` first"
        )
    return db


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the live database to PATH with SQLite's online backup (safe while the bot runs);
    encrypted when PEERBOT_BACKUP_KEY is set.

    Example: peerbot backup /var/backups/peerbot-$(date +%F).sqlite3
    """
    from bot.storage import Database
    from bot.storage.backups import back_up

    config = _load(args)
    if not config.database.exists():
        raise PeerbotError(f"no database at {config.database}")
    key = config.backup_key

    async def backup() -> None:
        db = await Database.open(config.database, migrate=False)
        try:
            await back_up(db, Path(args.path), key)
        finally:
            await db.close()

    asyncio.run(backup())
    print(f"backup written: {args.path}{' (encrypted)' if key else ''}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database with a backup after checking it is a peerbot database of a known
    schema; the replaced database is kept beside it as a copy. Refuses while the bot runs.

    Example: PEERBOT_BACKUP_KEY=... peerbot restore /var/backups/peerbot-2026-11-24.sqlite3
    """
    from bot.clock import SystemClock
    from bot.runner import InstanceLock
    from bot.storage.backups import give_to_owner_of, restore

    config = _load(args)
    source = Path(args.path)
    if not source.is_file():
        raise PeerbotError(f"no backup at {source}")
    lock = InstanceLock(config.database)
    lock.acquire()
    try:
        give_to_owner_of(lock.path, config.database)
        result = restore(source, config.database, config.backup_key, SystemClock().now())
    finally:
        lock.release()
    print(f"restored {source} into {config.database} (schema version {result.version})")
    if result.kept is not None:
        print(f"the database it replaced is kept as {result.kept}")
    return 0


def cmd_privacy_docs(args: argparse.Namespace) -> int:
    """Write the record of processing, a DPIA draft and the privacy notice (Danish, English).

    Example: peerbot privacy-docs --out docs/privacy
    """
    from bot.clock import SystemClock
    from bot.privacy_docs import write_documents
    from bot.runtime import Runtime

    written = write_documents(Runtime(config=_load(args), clock=SystemClock()), Path(args.out))
    for path in written:
        print(path)
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    """Report whether the bot is doing its job; exit 0 when healthy, 1 when not.

    Example: peerbot health --json
    """
    from bot.clock import SystemClock
    from bot.runtime import Runtime
    from bot.services.health import report

    config = _load(args)

    async def check() -> dict[str, object]:
        if not config.database.exists():
            raise PeerbotError(f"no database at {config.database}")
        db = await _open_set_up(config.database)
        try:
            return (await report(Runtime(config=config, clock=SystemClock(), db=db))).as_dict()
        finally:
            await db.close()

    try:
        result = asyncio.run(check())
    except PeerbotError as exc:
        if not args.json:
            raise
        # A monitor that reads JSON gets JSON, also when there is no database to report on.
        problem = str(exc)
        missing = not config.database.exists()
        print(
            json.dumps(
                {
                    "database": "missing" if missing else "not usable",
                    "healthy": False,
                    "problems": [problem],
                }
            )
        )
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["healthy"] else 1


def cmd_export_stats(args: argparse.Namespace) -> int:
    """Write anonymous statistics for a period to a CSV file: aggregates only, no row about a
    single person, and every figure resting on 1-4 cases shown as "<5".

    Example: peerbot export-stats --from 2026-10-01 --to 2026-10-31 --csv october.csv
    """
    from bot.clock import SystemClock
    from bot.errors import UserInputError
    from bot.runtime import Runtime
    from bot.services import communities, statistics

    config = _load(args)
    if not config.database.exists():
        raise PeerbotError(f"no database at {config.database}")
    clock = SystemClock()
    try:
        period = statistics.parse_period(
            [args.start, args.end], clock.now(), config.timezone, max_days=None
        )
    except UserInputError:
        raise PeerbotError(
            f"not a period: --from {args.start} --to {args.end} (use YYYY-MM-DD, from <= to)"
        ) from None

    async def export() -> str:
        db = await _open_set_up(config.database)
        try:
            rt = Runtime(config=config, clock=clock, db=db)
            figures = statistics.to_csv(await statistics.report(rt, period))
            bridges = communities.csv_rows(period, await communities.report(rt, period))
            return figures + bridges
        finally:
            await db.close()

    text = asyncio.run(export())
    Path(args.csv).write_text(text, encoding="utf-8")
    print(f"statistics {period.first}..{period.last} written: {args.csv}")
    return 0


def cmd_test_alarm(args: argparse.Namespace) -> int:
    """Send one test e-mail alarm to every address in alarm.to now, to check the mail settings
    (server, STARTTLS, login, addresses, an SMS gateway). Exit 1 if any address was not reached.

    Example: PEERBOT_SMTP_PASSWORD=... peerbot test-alarm --config /etc/peerbot/peerbot.toml
    """
    from bot.clock import SystemClock
    from bot.delivery.alarm_text import compose_test
    from bot.delivery.email_alarm import MailError, send_once
    from bot.i18n import Translator

    config = _load(args)
    settings = config.alarm
    if not settings.enabled:
        raise PeerbotError("alarm: not configured (set alarm.smtp_host and alarm.to)")
    subject, body = compose_test(
        Translator(config.default_language, config.timezone), config.organisation_name
    )
    try:
        accepted, refused = asyncio.run(send_once(settings, subject, body, SystemClock().now()))
    except MailError as exc:
        raise PeerbotError(
            f"alarm: mail server {settings.smtp_host}:{settings.smtp_port}: {exc}"
        ) from exc
    for address in accepted:
        print(f"test alarm sent to {address}")
    for address, reason in refused.items():
        print(f"error: {address} refused: {reason}", file=sys.stderr)
    return 1 if refused else 0


def cmd_backup_key(args: argparse.Namespace) -> int:
    """Print a new key for encrypted backups; keep it apart from the backups.

    Example: peerbot backup-key > /etc/peerbot/backup.key
    """
    from bot.storage.backups import new_key

    print(new_key())
    return 0


def cmd_web_push_keys(args: argparse.Namespace) -> int:
    """Make the VAPID key pair that signs the web chat's push notifications: writes
    vapid_private.pem (mode 0600) into --out and prints the public key and the lines for the
    configuration. Refuses to replace a key: every browser's subscription is tied to it.

    Example: peerbot web-push-keys --out /etc/peerbot --subject mailto:it@example.org
    """
    from bot.web.push import PushSender, generate_keys

    folder = Path(args.out).expanduser().resolve()
    path = folder / "vapid_private.pem"
    if path.exists():
        raise PeerbotError(
            f"{path} exists: keep it (browsers' subscriptions are tied to it) or remove it first"
        )
    subject = args.subject or "mailto:it@example.org"
    pem, public_key = generate_keys()
    PushSender(pem, subject)  # the key and the subject work together before anything is written
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise PeerbotError(f"cannot write {path}: {exc.strerror}") from exc
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(pem)
    print(f"private key written: {path} (mode 0600; readable by the bot's user only)")
    print(f"public key: {public_key} (the bot gives it to the page; nothing to configure)")
    print("add to the configuration:")
    print("[web_chat]")
    print(f"vapid_private_key_file = {json.dumps(str(path))}")
    comment = "" if args.subject else "  # replace: where push services can reach you"
    print(f"vapid_subject = {json.dumps(subject)}{comment}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peerbot",
        description="Telegram peer contact bot.",
        epilog="Example: peerbot --config peerbot.toml run",
    )
    parser.add_argument("--version", action="version", version=f"peerbot {__version__}")
    parser.add_argument("--config", help="TOML file (default: $PEERBOT_CONFIG or ./peerbot.toml)")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot", description=cmd_run.__doc__)
    run.add_argument("--webhook", metavar="URL", help="use a webhook at URL instead of polling")
    run.add_argument("--listen", default="127.0.0.1", help="webhook listen address")
    run.add_argument("--port", type=int, default=8443, help="webhook listen port")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    run.add_argument("--log-format", default="text", choices=["text", "json"])
    run.add_argument(
        "--sandbox-without-token",
        action="store_true",
        help="without a token, start the sandbox instead of failing (what `make run` does)",
    )
    run.set_defaults(func=cmd_run)

    sandbox = sub.add_parser(
        "sandbox",
        help="try the bot in a browser, without Telegram",
        description=cmd_sandbox.__doc__,
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address of the page (loopback)")
    sandbox.add_argument(
        "--port", dest="page_port", type=int, default=None, help="port of the page (default 8080)"
    )
    sandbox.add_argument("--data", help="the sandbox's own folder (default ./sandbox-data)")
    sandbox.add_argument(
        "--language", choices=["da", "en"], help="the phones' Telegram language at the start"
    )
    sandbox.add_argument(
        "--start", help="start the sandbox clock here, e.g. 2026-03-02T10:00 (local time)"
    )
    sandbox.add_argument("--no-open", action="store_true", help="do not open a browser")
    sandbox.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING"])
    sandbox.set_defaults(func=cmd_sandbox)

    check = sub.add_parser(
        "check-config", help="validate the configuration", description=cmd_check_config.__doc__
    )
    check.set_defaults(func=cmd_check_config)

    init = sub.add_parser(
        "init-db", help="create or migrate the database", description=cmd_init_db.__doc__
    )
    init.set_defaults(func=cmd_init_db)

    migrate = sub.add_parser(
        "migrate", help="list or apply schema migrations", description=cmd_migrate.__doc__
    )
    migrate.add_argument("--dry-run", action="store_true", help="list only, change nothing")
    migrate.set_defaults(func=cmd_migrate)

    backup = sub.add_parser(
        "backup", help="online backup of the database", description=cmd_backup.__doc__
    )
    backup.add_argument("path", help="file to write")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore", help="restore a backup (bot stopped)", description=cmd_restore.__doc__
    )
    restore.add_argument("path", help="backup file to restore")
    restore.set_defaults(func=cmd_restore)

    health = sub.add_parser(
        "health", help="is the bot doing its job?", description=cmd_health.__doc__
    )
    health.add_argument("--json", action="store_true", help="print JSON")
    health.set_defaults(func=cmd_health)

    docs = sub.add_parser(
        "privacy-docs",
        help="write the data protection documents",
        description=cmd_privacy_docs.__doc__,
    )
    docs.add_argument("--out", required=True, help="folder to write into")
    docs.set_defaults(func=cmd_privacy_docs)

    export = sub.add_parser(
        "export-stats",
        help="write anonymous statistics to a CSV file",
        description=cmd_export_stats.__doc__,
    )
    export.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
    export.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
    export.add_argument("--csv", required=True, metavar="FILE", help="file to write")
    export.set_defaults(func=cmd_export_stats)
    alarm = sub.add_parser(
        "test-alarm", help="send a test e-mail alarm", description=cmd_test_alarm.__doc__
    )
    alarm.set_defaults(func=cmd_test_alarm)

    key = sub.add_parser(
        "backup-key", help="print a new backup encryption key", description=cmd_backup_key.__doc__
    )
    key.set_defaults(func=cmd_backup_key)

    push = sub.add_parser(
        "web-push-keys",
        help="make the key pair for the web chat's push notifications",
        description=cmd_web_push_keys.__doc__,
    )
    push.add_argument("--out", required=True, metavar="DIR", help="folder to write the key into")
    push.add_argument(
        "--subject",
        metavar="MAILTO_OR_URL",
        help="how push services reach the organisation (default: a mailto: to fill in)",
    )
    push.set_defaults(func=cmd_web_push_keys)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except PeerbotError as exc:
        problems = getattr(exc, "problems", None) or [str(exc)]
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
