"""Named errors of the library. The CLI and the flows turn them into one-line messages."""

#: Exit code of `cxtext run` when the run completed and published but a health check failed
#: (1 is an error: the run did not complete).
EXIT_CHECKS_FAILED = 3


class CxtextError(Exception):
    """Base of every error cxtext raises on purpose; its message is meant for the user."""


class ConfigError(CxtextError):
    """The configuration file or a command-line mapping is invalid."""


class SourceReadError(CxtextError):
    """A whole input file cannot be read (missing, binary, unknown encoding, missing columns)."""


class WriterLockHeld(CxtextError):
    """Another process holds the state folder's writer lock."""


class SchemaError(CxtextError):
    """The database was written by a newer cxtext, or its schema is not one we know."""


class TooAlike(ValueError):
    """The documents are too alike to be split into topics (one file of identical texts)."""


class DatabaseDamaged(CxtextError):
    """A database file is truncated or corrupted (not merely busy): restore it (docs/OPERATIONS.md, Recovery)."""
