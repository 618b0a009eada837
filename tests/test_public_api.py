"""The bot uses only python-telegram-bot's and asyncio's public API, so that a patch release of
either cannot break it silently (issue 23).

Read from the source (ast), for every module in bot/, handlers/ and conversations/: no import of
a private PTB module (``telegram._*``, ``telegram.ext._*``), no private name imported from PTB,
no use of the private names the bot once relied on (asyncio's ``Lock._waiters``, PTB's
``do_process_update`` and ``_do_post``); and, from the imported classes, no override of a PTB
method that is ``@final`` or private.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "conversations")
FORBIDDEN_NAMES = {"_waiters", "do_process_update", "_do_post"}


def sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def _private_ptb_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "telegram" and any(part.startswith("_") for part in parts[1:])


def violations(source: str) -> list[str]:
    """What in this module's source reaches past PTB's or asyncio's public API."""
    found = []
    tree = ast.parse(source)
    own = _own_attributes(tree)  # e.g. the fake Bot API's own `self._waiters` is not asyncio's
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            found += [
                f"{line}: import {alias.name}"
                for alias in node.names
                if _private_ptb_module(alias.name)
            ]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if _private_ptb_module(node.module):
                found.append(f"{line}: from {node.module} import ...")
            elif node.module.split(".")[0] == "telegram":
                found += [
                    f"{line}: from {node.module} import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_")
                ]
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES - own:
            found.append(f"{line}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"{line}: {node.id}")
        elif (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name in FORBIDDEN_NAMES
        ):
            found.append(f"{line}: def {node.name}")
    return found


def _own_attributes(tree: ast.Module) -> set[str]:
    """Attributes a module gives its own objects (``self.name = ...``)."""
    own = set()
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
            ):
                own.add(target.attr)
    return own


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_package_is_checked() -> None:
    names = {module_name(path) for path in sources()}
    assert {"bot.telegram.updates", "bot.telegram.sent", "bot.telegram.persistence"} <= names
    assert any(name.startswith("handlers.") for name in names)
    assert any(name.startswith("conversations.") for name in names)


@pytest.mark.parametrize("path", sources(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_private_library_names(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


def test_the_check_sees_what_it_forbids() -> None:
    source = """
import telegram._bot
from telegram.ext._utils.types import ConversationDict
from telegram.ext import _applicationbuilder
from telegram.ext import Application
lock = object()
waiting = lock._waiters
class Processor:
    async def do_process_update(self, update, coroutine): ...
class Bot:
    async def _do_post(self, endpoint, data): ...
"""
    assert [line.split(":")[0] for line in violations(source)] == [
        "2",
        "3",
        "4",
        "7",
        "9",
        "11",
    ]


def overridden_library_methods(module: object) -> list[str]:
    """Methods of this module's classes that override a PTB method marked ``@final`` or private."""
    found = []
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ != getattr(module, "__name__", None):
            continue
        library = [base for base in cls.__mro__[1:] if base.__module__.startswith("telegram")]
        for name, member in vars(cls).items():
            if not inspect.isfunction(member):
                continue
            base = next((base for base in library if name in vars(base)), None)
            if base is None or not inspect.isfunction(inherited := vars(base)[name]):
                continue
            private = name.startswith("_") and not name.startswith("__")
            if private or getattr(inherited, "__final__", False):
                found.append(f"{cls.__name__}.{name} overrides {base.__name__}.{name}")
    return found


@pytest.mark.parametrize("name", sorted(module_name(path) for path in sources()))
def test_no_override_of_final_or_private_library_methods(name: str) -> None:
    if name in {"bot.__main__"}:
        pytest.skip("runs the CLI when imported")
    assert overridden_library_methods(importlib.import_module(name)) == []


def test_the_override_check_sees_what_it_forbids() -> None:
    from types import ModuleType

    from telegram.ext import BaseUpdateProcessor, ExtBot

    module = ModuleType("example")

    class Processor(BaseUpdateProcessor):
        async def process_update(self, update, coroutine):  # type: ignore[no-untyped-def]
            ...

    class Bot(ExtBot):  # type: ignore[type-arg]
        async def _do_post(self, endpoint, data, **kwargs):  # type: ignore[no-untyped-def]
            ...

    for cls in (Processor, Bot):
        cls.__module__ = "example"
        setattr(module, cls.__name__, cls)
    assert overridden_library_methods(module) == [
        "Bot._do_post overrides ExtBot._do_post",
        "Processor.process_update overrides BaseUpdateProcessor.process_update",
    ]
