"""The one exception root of the project.

PeerbotError
├── ConfigError          configuration file or environment is invalid (carries every problem)
├── StorageError         the database failed; wraps the sqlite3 error
│   └── MigrationError   a schema migration could not be applied
├── NotAllowed           the acting user may not do this (role or ownership check failed)
└── UserInputError       input a person gave cannot be used; carries a message id to show
"""

from __future__ import annotations


class PeerbotError(Exception):
    """Root of every error the project raises on purpose."""


class ConfigError(PeerbotError):
    """Configuration is invalid; ``problems`` lists each one as ``"key: what is wrong"``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class StorageError(PeerbotError):
    """The database could not do what was asked."""


class MigrationError(StorageError):
    """A schema migration failed; the database stays at its previous version."""


class NotAllowed(PeerbotError):
    """The acting user lacks the role or ownership for this action."""


class UserInputError(PeerbotError):
    """A person's input cannot be used; ``message`` is a gettext msgid to show them."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
