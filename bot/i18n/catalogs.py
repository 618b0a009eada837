"""Keeping the catalogs in step with the code: extract, update, and check.

Used by ``make messages`` (``python -m bot.i18n.catalogs update``) and by the catalog tests, so
the check the tests make is exactly what the tooling produces.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LANGUAGES, locale_dir

ROOT = Path(__file__).resolve().parent.parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def extract() -> Catalog:
    """Every message id used in the source, as a fresh template."""
    catalog = Catalog(project="peerbot", domain=DOMAIN, fuzzy=False)
    method_map = [("**.py", "python")]
    for package in ("bot", "handlers", "conversations"):
        for filename, lineno, message, comments, _context in extract_from_dir(
            ROOT / package, method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            catalog.add(message, None, [(f"{package}/{filename}", lineno)], auto_comments=comments)
    return catalog


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, omit_header=False)


def update() -> None:
    """Write a fresh ``messages.pot`` and merge it into each language's ``.po``."""
    template = extract()
    directory = locale_dir()
    write(directory / f"{DOMAIN}.pot", template)
    for language in LANGUAGES:
        po_path = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        catalog = (
            read(po_path, language) if po_path.exists() else Catalog(locale=language, domain=DOMAIN)
        )
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False
        if language == "en":
            for message in catalog:
                if message.id and not any(_strings(message.string)):
                    message.string = message.id
        write(po_path, catalog)


def _strings(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(value)
    return (value or "",)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def problems(
    language: str, template: Catalog | None = None, po_path: Path | None = None
) -> list[str]:
    """Everything that makes a catalog unfit: missing, empty, fuzzy, placeholder drift."""
    template = template or extract()
    po_path = po_path or locale_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    catalog = read(po_path, language)
    found = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        if translated is None or translated.id != message.id:
            found.append(f"{language}: missing {message.id!r}")
            continue
        strings = (
            translated.string
            if isinstance(translated.string, tuple | list)
            else (translated.string,)
        )
        if translated.fuzzy:
            found.append(f"{language}: fuzzy {message.id!r}")
        if not all(strings):
            found.append(f"{language}: untranslated {message.id!r}")
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        expected = set().union(*(placeholders(i) for i in ids))
        for string in strings:
            if placeholders(string) - expected or (
                not isinstance(message.id, tuple | list) and placeholders(string) != expected
            ):
                found.append(f"{language}: placeholders differ in {message.id!r}")
    for message in catalog.obsolete.values():
        if template.get(message.id) is not None:
            found.append(f"{language}: obsolete but used {message.id!r}")
    return found


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
        return 0
    if argv[:1] == ["check"]:
        template = extract()
        found = [p for language in LANGUAGES for p in problems(language, template)]
        print("\n".join(found) or "catalogs complete")
        return 1 if found else 0
    print("usage: python -m bot.i18n.catalogs update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
