"""The Slack bot's memory in `FINOPS_HOME/state/slack.sqlite`: answers, threads, events seen and feedback.

So that buttons and follow-ups work after a restart, and an event Slack
delivers twice (retries, a mention in a thread comes as two events) is answered
once, even when the second delivery reaches a restarted bot:

- `answers`: answer id -> the Answer (its JSON, and its plan's, for follow-ups),
  the as_of and the row scope it was asked under (the buttons' answer ids);
- `threads`: (channel, thread ts) -> the thread's last answered Answer, or none
  yet (a thread the bot replied in: replies there are follow-ups);
- `seen`: (channel, ts) of the questions taken, claimed with one INSERT, so two
  listener threads or two processes cannot both take one;
- `feedback`: (answer id, user) -> 👍 or 👎, so pressing the same button again
  is not counted twice.

SQLite from the standard library, WAL mode, one short transaction per write.
The newest KEPT answers and threads and 4 x KEPT events are kept; older rows are
pruned as new ones come.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from assistant.answer import Answer
from assistant.query.plan import Filter, Intent, QueryPlan, Threshold
from assistant.query.window import Window
from warehouse.scope import Scope

KEPT = 20_000
PRUNE_EVERY = 200  # writes between two prunes
_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (id TEXT PRIMARY KEY, answer TEXT NOT NULL, plan TEXT, as_of TEXT, scope TEXT,
                                    at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS threads (channel TEXT NOT NULL, root TEXT NOT NULL, answer TEXT, plan TEXT, at REAL NOT NULL,
                                    PRIMARY KEY (channel, root));
CREATE TABLE IF NOT EXISTS seen (channel TEXT NOT NULL, ts TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (channel, ts));
CREATE TABLE IF NOT EXISTS feedback (answer_id TEXT NOT NULL, user TEXT NOT NULL, verdict TEXT NOT NULL, at REAL NOT NULL,
                                     PRIMARY KEY (answer_id, user));
"""


@dataclass(frozen=True)
class Stored:
    """An answer the buttons under it refer to (what `bot.Asked` holds)."""

    answer: Answer
    as_of: date | None
    scope: Scope | None


def store_path(home: Path) -> Path:
    return Path(home) / "state" / "slack.sqlite"


class SlackStore:
    """The bot's memory on disk; safe across listener threads and processes."""

    def __init__(self, home: Path):
        self.path = store_path(home)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._conn.commit()
        self._writes = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _read(self, sql: str, args: tuple) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def _write(self, sql: str, args: tuple) -> int:
        with self._lock, self._conn:
            changed = self._conn.execute(sql, args).rowcount
            self._writes += 1
            if self._writes % PRUNE_EVERY == 0:
                self._prune()
        return changed

    def _prune(self) -> None:
        for table, keep in (("answers", KEPT), ("threads", KEPT), ("seen", 4 * KEPT), ("feedback", 4 * KEPT)):
            self._conn.execute(f"DELETE FROM {table} WHERE at < (SELECT at FROM {table} ORDER BY at DESC "  # noqa: S608 - constant names
                               f"LIMIT 1 OFFSET {keep})")

    # --- events -------------------------------------------------------------------------------------

    def claim_event(self, channel: str, ts: str) -> bool:
        """True the first time (channel, ts) is claimed, ever; False for a retry or a duplicate delivery."""
        return self._write("INSERT OR IGNORE INTO seen (channel, ts, at) VALUES (?, ?, ?)",
                           (channel, ts, time.time())) == 1

    # --- answers and threads --------------------------------------------------------------------------

    def put_answer(self, answer_id: str, stored: Stored) -> None:
        self._write("INSERT OR REPLACE INTO answers (id, answer, plan, as_of, scope, at) VALUES (?, ?, ?, ?, ?, ?)",
                    (answer_id, json.dumps(stored.answer.to_json(), default=str), _plan_json(stored.answer.plan),
                     stored.as_of.isoformat() if stored.as_of else None, str(stored.scope) if stored.scope else None,
                     time.time()))

    def answer(self, answer_id: str) -> Stored | None:
        rows = self._read("SELECT answer, plan, as_of, scope FROM answers WHERE id = ?", (answer_id,))
        if not rows:
            return None
        answer, plan, as_of, scope = rows[0]
        return Stored(_answer(answer, plan), date.fromisoformat(as_of) if as_of else None,
                      Scope.parse(scope) if scope else None)

    def has_thread(self, channel: str, root: str) -> bool:
        return bool(self._read("SELECT 1 FROM threads WHERE channel = ? AND root = ?", (channel, root)))

    def thread_answer(self, channel: str, root: str) -> Answer | None:
        """The thread's last answered Answer (None when the bot replied there without one, or never did)."""
        rows = self._read("SELECT answer, plan FROM threads WHERE channel = ? AND root = ?", (channel, root))
        return _answer(*rows[0]) if rows and rows[0][0] else None

    def open_thread(self, channel: str, root: str) -> None:
        """Replies in this thread are now follow-ups (kept as it is when it already has an answer)."""
        self._write("INSERT OR IGNORE INTO threads (channel, root, answer, plan, at) VALUES (?, ?, NULL, NULL, ?)",
                    (channel, root, time.time()))

    def put_thread(self, channel: str, root: str, answer: Answer) -> None:
        self._write("INSERT OR REPLACE INTO threads (channel, root, answer, plan, at) VALUES (?, ?, ?, ?, ?)",
                    (channel, root, json.dumps(answer.to_json(), default=str), _plan_json(answer.plan), time.time()))

    # --- feedback -----------------------------------------------------------------------------------

    def claim_feedback(self, answer_id: str, user: str, verdict: str) -> bool:
        """True when this person's verdict on this answer is new or changed; False when they pressed it already."""
        rows = self._read("SELECT verdict FROM feedback WHERE answer_id = ? AND user = ?", (answer_id, user))
        if rows and rows[0][0] == verdict:
            return False
        self._write("INSERT OR REPLACE INTO feedback (answer_id, user, verdict, at) VALUES (?, ?, ?, ?)",
                    (answer_id, user, verdict, time.time()))
        return True


# ---------------------------------------------------------------- answers and plans as JSON


def _answer(answer_json: str, plan_json: str | None) -> Answer:
    answer = Answer.from_json(json.loads(answer_json))
    if plan_json:
        object.__setattr__(answer, "plan", plan_from_json(json.loads(plan_json)))
    return answer


def _window_json(w: Window) -> dict:
    return w.to_json()


def _window(data: dict) -> Window:
    def day(key: str) -> date | None:
        return date.fromisoformat(data[key]) if data.get(key) else None

    start, end = day("start"), day("end")
    assert start is not None and end is not None  # Window.to_json always has both
    return Window(data["label"], start, end, day("compare_start"), day("compare_end"))


def _plan_json(plan: Any) -> str | None:
    """A QueryPlan as JSON (follow-ups edit it); None for anything else."""
    if not isinstance(plan, QueryPlan):
        return None
    return json.dumps({
        "intent": str(plan.intent), "metrics": list(plan.metrics), "window": _window_json(plan.window),
        "dimensions": list(plan.dimensions),
        "filters": [{"dimension": f.dimension, "values": list(f.values), "negate": f.negate} for f in plan.filters],
        "grain": plan.grain, "limit": plan.limit, "ascending": plan.ascending, "notes": list(plan.notes),
        "ratio": plan.ratio, "billing_period": plan.billing_period,
        "thresholds": [{"metric": t.metric, "op": t.op, "value": t.value} for t in plan.thresholds],
    })


def plan_from_json(data: dict) -> QueryPlan:
    """The QueryPlan `_plan_json` wrote."""
    return QueryPlan(
        intent=Intent(data["intent"]), metrics=tuple(data["metrics"]), window=_window(data["window"]),
        dimensions=tuple(data["dimensions"]),
        filters=tuple(Filter(f["dimension"], tuple(f["values"]), f["negate"]) for f in data["filters"]),
        grain=data["grain"], limit=data["limit"], ascending=data["ascending"], notes=tuple(data["notes"]),
        ratio=data["ratio"], billing_period=data["billing_period"],
        thresholds=tuple(Threshold(t["metric"], t["op"], t["value"]) for t in data["thresholds"]),
    )
