"""A person's verdict on an answer: 👍 teaches the example store, 👎 drops a stored answer; both are logged.

Examples are learned only here, when someone confirms an answer, never because
a query returned rows. Every verdict is appended as one JSON line to
`FINOPS_HOME/feedback.jsonl` (one `write` of a whole line, then fsync), so the
log is never left with half a record by the writer.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answer import Answer

if TYPE_CHECKING:
    from assistant.llm.retrieval import Memory
    from warehouse.scope import Scope
    from warehouse.settings import Settings

log = logging.getLogger("finops")
VERDICTS = ("good", "bad")


@dataclass(frozen=True)
class FeedbackResult:
    verdict: str
    learned: bool  # a confirmed example was stored
    forgotten: int  # cached model answers dropped
    message: str
    sql: str | None = None  # the example's SQL, as learned


def feedback_log(home: Path) -> Path:
    return Path(home) / "feedback.jsonl"


def record_feedback(answer: Answer, verdict: str, settings: Settings, memory: Memory | None = None,
                    as_of: date | None = None, note: str | None = None, channel: str = "cli",
                    scope: Scope | None = None) -> FeedbackResult:
    """Log the verdict; on "good" keep question → SQL as an example, on "bad" drop the cached answer.

    An answer asked under a row scope is learned without the scope's filters
    (`remove_scope`), so the example serves everyone and each asker's own scope
    is applied again when it is used; SQL whose scope cannot be removed exactly
    is not learned.
    """
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, not {verdict!r}")
    learned, forgotten = False, 0
    sql = answer.sql
    if sql and scope is not None:
        from warehouse.scope import remove_scope

        sql = remove_scope(sql, scope)
    if verdict == "good" and answer.answered and sql:
        memory = memory or _memory(settings)
        sql = as_written(sql, settings.max_rows)
        memory.learn(answer.question, sql, as_of.isoformat() if as_of else "")
        learned = True
    elif verdict == "bad":
        memory = memory or _memory(settings)
        forgotten = memory.forget_answer(answer.question)
    _append(feedback_log(settings.home), {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "verdict": verdict, "question": answer.question, "route": answer.route, "sql": answer.sql,
        "scope": str(scope) if scope is not None else None,
        "as_of": as_of.isoformat() if as_of else None, "note": note, "channel": channel, "learned": learned,
    })
    if learned:
        message = "Thanks: this question and its SQL are now an example the assistant will follow."
    elif verdict == "good":
        message = "Thanks, noted. (There was no SQL answer to learn from.)"
    else:
        message = "Thanks, noted" + (": the stored answer was dropped, so it will be worked out again." if forgotten else ".")
    return FeedbackResult(verdict, learned, forgotten, message, sql if learned else None)


def as_written(sql: str, max_rows: int) -> str:
    """The SQL without the row cap the guard added, so examples do not teach it.

    >>> as_written("SELECT a FROM t LIMIT 10001", 10000)
    'SELECT a FROM t'
    >>> as_written("SELECT a FROM t ORDER BY a DESC LIMIT 5", 10000)
    'SELECT a FROM t ORDER BY a DESC LIMIT 5'
    """
    import sqlglot

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return sql
    limit = tree.args.get("limit")
    if limit is not None and limit.expression is not None and limit.expression.sql() == str(max_rows + 1):
        tree.set("limit", None)
        return tree.sql("duckdb")
    return sql


def _memory(settings: Settings) -> Memory:
    from assistant.llm.retrieval import memory_for

    return memory_for(settings)


def _append(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, default=str) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_feedback(home: Path) -> list[dict]:
    """The logged verdicts, oldest first (a damaged line is skipped and reported in the log)."""
    path = feedback_log(home)
    if not path.exists():
        return []
    out = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        try:
            out.append(json.loads(line))
        except ValueError:
            log.warning("skipping damaged line %d of %s", number, path)
    return out
