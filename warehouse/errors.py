"""One error hierarchy for the whole product.

`FinopsError.user_message` is what a person reads: one or two plain sentences
saying what went wrong and what to do. Channels show it as it is (the CLI prints
it to stderr and exits with `exit_code`). Anything that is not a `FinopsError`
is our bug: channels log it with a request id and exit 1.
"""

from __future__ import annotations


class FinopsError(Exception):
    """Base of every error a user can act on (exit 2)."""

    exit_code = 2
    kind = "error"

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class SettingsError(FinopsError):
    kind = "settings"


class IngestError(FinopsError):
    """A file was refused; nothing of it was loaded."""

    kind = "ingest"

    def __init__(self, user_message: str, *, path: str | None = None, column: str | None = None):
        super().__init__(user_message)
        self.path = path
        self.column = column


class WarehouseError(FinopsError):
    """The warehouse is missing, empty or busy."""

    kind = "warehouse"


class QueryError(FinopsError):
    """A query was refused or failed in a way the user can fix."""

    kind = "query"


class QueryTimeoutError(QueryError):
    kind = "timeout"


class QueryMemoryError(QueryError):
    kind = "memory"


class UnsafeSqlError(QueryError):
    """The SQL is not a single read-only query over the warehouse tables."""

    kind = "unsafe_sql"
