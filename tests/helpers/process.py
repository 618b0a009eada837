"""The crash harness: run `peerbot run` as a real process against the HTTP fake Bot API.

It starts the bot, kills it at a chosen point (SIGKILL or SIGTERM), restarts it on the same
database, and lets the test count what arrived. Waiting here is on real time (a real process),
bounded by a deadline; in-process tests never do this.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.fakebot import FakeBotApiServer, FakeTelegram
from tests.helpers.ready import READY_FOR_CITIZENS

ROOT = Path(__file__).resolve().parent.parent.parent
COORDINATOR = 9001


# Check-ins fire at any hour: without it a test run in the Copenhagen night (22-08) would see
# them postponed to the morning.
NO_QUIET_HOURS = '[checkins]\nquiet_start = "00:00"\nquiet_end = "00:00"\n'


def write_config(directory: Path, base_url: str, token: str, extra: str = "") -> Path:
    path = directory / "peerbot.toml"
    path.write_text(
        f'[telegram]\ntoken = "{token}"\napi_base_url = "{base_url}"\n'
        f'[storage]\ndatabase = "bot.sqlite3"\n'
        f"[coordinators]\nuser_ids = [{COORDINATOR}]\n" + READY_FOR_CITIZENS + extra,
        encoding="utf-8",
    )
    return path


@dataclass
class BotProcess:
    fake: FakeTelegram
    directory: Path
    server: FakeBotApiServer | None = None
    process: asyncio.subprocess.Process | None = None
    config_extra: str = ""  # more TOML, e.g. a [health] table
    run_args: tuple[str, ...] = ()  # after `run`, e.g. ("--webhook", url, "--port", "8443")
    env: dict[str, str] = field(default_factory=dict)
    open_files: int | None = None  # RLIMIT_NOFILE (soft and hard) of the bot process

    async def serve(self) -> None:
        self.server = FakeBotApiServer(self.fake)
        await self.server.start()

    async def start(self) -> None:
        assert self.server is not None
        config = self.write_config()
        env = {k: v for k, v in os.environ.items() if k != "PEERBOT_TOKEN"} | self.env
        # A file, not a pipe: a chatty process must never block on a full pipe buffer.
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "--config",
                str(config),
                "run",
                *self.run_args,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=self._limits if self.open_files else None,
            )

    def _limits(self) -> None:
        assert self.open_files is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def write_config(self) -> Path:
        assert self.server is not None
        return write_config(
            self.directory, self.server.base_url, self.fake.token, self.config_extra
        )

    @property
    def database(self) -> Path:
        return self.directory / "bot.sqlite3"

    async def command(self, *args: str) -> tuple[int, str, str]:
        """Run another `peerbot` command on the same configuration (health, restore, ...)."""
        config = self.write_config()
        env = {k: v for k, v in os.environ.items() if k != "PEERBOT_TOKEN"} | self.env
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config),
            *args,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    @property
    def log_path(self) -> Path:
        return self.directory / "bot.log"

    async def kill(self, sig: signal.Signals = signal.SIGKILL) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout=30)

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            await self.kill()
        if self.server is not None:
            await self.server.stop()

    @property
    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def eventually(condition: Callable[[], bool], within: float = 20.0) -> None:
    """Wait for a real process to do something, at most `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the bot process did not do it in time")
        await asyncio.sleep(0.02)
