"""The layers stay layers: Telegram adapters (handlers/, conversations/) reach data only through
bot/services, and dialogues do not reach into the handlers of an audience.

Imports are read with `ast`, so an import inside a function counts as much as one at the top,
and every spelling is caught: ``import bot.storage.users``, ``from bot.storage import users``,
``from bot import storage``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = ("handlers", "conversations")
# Moving out of conversations/ (issue 23): the persistence class is plumbing, not a dialogue.
NOT_ADAPTERS = {"conversations/persistence.py"}


def imported_modules(source: str) -> set[str]:
    """Every module a source file imports, with ``from a import b`` counted as both ``a`` and
    ``a.b`` (b may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _is_storage(module: str) -> bool:
    return module == "bot.storage" or module.startswith("bot.storage.")


def audience_modules() -> set[str]:
    """Handler modules of an audience or feature: those that register handlers. Shared pieces
    (base, keyboards, texts, screens, staff, ...) register none and may be imported."""
    return {
        f"handlers.{path.stem}"
        for path in (ROOT / "handlers").glob("*.py")
        if any(
            isinstance(node, ast.FunctionDef) and node.name == "register"
            for node in ast.parse(path.read_text()).body
        )
    }


def test_audience_modules_are_found() -> None:
    found = audience_modules()
    assert {"handlers.citizen", "handlers.peer", "handlers.coordinator", "handlers.relay"} <= found
    assert not {"handlers.base", "handlers.keyboards", "handlers.screens"} & found


def adapter_files() -> list[Path]:
    files = sorted(path for folder in ADAPTERS for path in (ROOT / folder).rglob("*.py"))
    return [path for path in files if path.relative_to(ROOT).as_posix() not in NOT_ADAPTERS]


def test_the_check_sees_every_spelling_of_a_storage_import() -> None:
    sources = [
        "from bot.storage import users",
        "from bot.storage.users import User",
        "import bot.storage.contacts as contact_store",
        "from bot import storage",
        "def f():\n    from bot.storage import requests\n",
        "async def f():\n    if True:\n        import bot.storage\n",
    ]
    for source in sources:
        assert any(_is_storage(m) for m in imported_modules(source)), source
    for source in ["from bot.services import storage_free", "from bot import domain"]:
        assert not any(_is_storage(m) for m in imported_modules(source)), source


@pytest.mark.parametrize("path", adapter_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_adapters_do_not_import_storage(path: Path) -> None:
    storage = sorted(m for m in imported_modules(path.read_text()) if _is_storage(m))
    assert not storage, f"{path.relative_to(ROOT)} imports {storage}: call a service instead"


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "conversations").rglob("*.py")),
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_dialogues_do_not_import_audience_handlers(path: Path) -> None:
    audiences = sorted(imported_modules(path.read_text()) & audience_modules())
    assert not audiences, f"{path.relative_to(ROOT)} imports {audiences}"
