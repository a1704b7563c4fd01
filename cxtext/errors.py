"""Named errors of the library. The CLI and the flows turn them into one-line messages."""


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


class DatabaseDamaged(CxtextError):
    """A database file is truncated or corrupted (not merely busy): restore it (docs/OPERATIONS.md, Recovery)."""
