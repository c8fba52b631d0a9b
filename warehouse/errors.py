"""One error hierarchy for the whole product.

`FinopsError.user_message` is what a person reads: one or two plain sentences
saying what went wrong and what to do. Channels show it as it is (the CLI prints
it to stderr and exits with `exit_code`). Anything that is not a `FinopsError`
is our bug: channels log it with a request id and exit 1.
"""

from __future__ import annotations

import logging
import uuid
from enum import StrEnum


class ErrorKind(StrEnum):
    """Every `error.kind` an answer or a command can carry (ANSWER-CONTRACT.md); compares equal to its text."""

    # Errors a user can act on (the `FinopsError` family).
    ERROR = "error"
    SETTINGS = "settings"
    INGEST = "ingest"
    WAREHOUSE = "warehouse"
    QUERY = "query"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    UNSAFE_SQL = "unsafe_sql"
    EVAL_SET = "eval_set"
    NOTEBOOK = "notebook"
    # A question the planner could not place.
    UNKNOWN_QUESTION = "unknown_question"
    PARTLY_UNDERSTOOD = "partly_understood"
    NOT_SUPPORTED = "not_supported"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    UNSAFE = "unsafe"
    # The language-model route.
    NO_MODEL = "no_model"
    MODEL_UNAVAILABLE = "model_unavailable"
    MODEL_ERROR = "model_error"
    BUDGET = "budget"
    STEPS = "steps"
    # Our bug, logged with a request id.
    INTERNAL = "internal"


class FinopsError(Exception):
    """Base of every error a user can act on (exit 2)."""

    exit_code = 2
    kind = ErrorKind.ERROR

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class SettingsError(FinopsError):
    kind = ErrorKind.SETTINGS


class IngestError(FinopsError):
    """A file was refused; nothing of it was loaded."""

    kind = ErrorKind.INGEST

    def __init__(self, user_message: str, *, path: str | None = None, column: str | None = None):
        super().__init__(user_message)
        self.path = path
        self.column = column


class WarehouseError(FinopsError):
    """The warehouse is missing, empty or busy."""

    kind = ErrorKind.WAREHOUSE


class QueryError(FinopsError):
    """A query was refused or failed in a way the user can fix."""

    kind = ErrorKind.QUERY


class QueryTimeoutError(QueryError):
    kind = ErrorKind.TIMEOUT


class QueryMemoryError(QueryError):
    kind = ErrorKind.MEMORY


class UnsafeSqlError(QueryError):
    """The SQL is not a single read-only query over the warehouse tables."""

    kind = ErrorKind.UNSAFE_SQL


def log_internal_error(log: logging.Logger, doing: str, *args: object) -> str:
    """Log the exception being handled under a new request id; returns the id.

    Call it inside `except Exception:` (our bug); the channel then tells the person
    with `internal_error_message`, never with a traceback.
    """
    request_id = new_request_id()
    log.exception(f"internal error %s {doing}", request_id, *args)
    return request_id


def new_request_id() -> str:
    """Eight hex digits that tie what a person was told to the log's traceback."""
    return uuid.uuid4().hex[:8]


def internal_error_message(request_id: str, where: str = "the log") -> str:
    """What a person reads about our bug: 'Something went wrong on our side (request 1a2b3c4d); ...'."""
    return f"Something went wrong on our side (request {request_id}); the details are in {where}."
