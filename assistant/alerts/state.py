"""What was posted where, and what is muted: `FINOPS_HOME/state/alerts.sqlite`, kept across restarts.

One row per (channel, incident): the incident's id (kind, subject, dimension,
value and start day, as first posted), its key (the id without the start), the
days it was last seen, its impact and stage when last posted, and the Slack
`ts` of its top-level message (its thread). A new alert is the same incident as
a stored one of its key when their days overlap or are at most GAP_DAYS apart,
so an incident whose start the detector moves by a day, or a run whose start
slides with the lookback, is not posted again (budgets and billing gaps are
calendar months: their ids must match). Mutes are per (channel, incident id).

SQLite (the standard library's) in WAL mode, one short transaction per write,
so a crash between two posts loses nothing that was posted and a second process
(the bot's schedule beside a cron run) sees the same rows.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.alerts.find import Alert

GAP_DAYS = 2
MOVING_KINDS = ("anomaly", "ceiling", "idle_gpu")  # budgets and billing gaps are calendar months: exact ids only
GROWTH = 0.10  # an incident whose impact grew by this share (and a dollar) since last posted is updated
_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
  channel TEXT NOT NULL, id TEXT NOT NULL, key TEXT NOT NULL, start TEXT NOT NULL, last_end TEXT NOT NULL,
  impact_usd REAL NOT NULL, stage TEXT NOT NULL, ts TEXT NOT NULL, text TEXT NOT NULL,
  posted_at TEXT NOT NULL, updated_at TEXT NOT NULL, updates INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (channel, id));
CREATE INDEX IF NOT EXISTS incidents_key ON incidents (channel, key);
CREATE TABLE IF NOT EXISTS mutes (
  channel TEXT NOT NULL, id TEXT NOT NULL, muted_by TEXT, muted_at TEXT NOT NULL, PRIMARY KEY (channel, id));
"""


@dataclass(frozen=True)
class Posted:
    """An incident as last posted in one channel."""

    channel: str
    id: str
    key: str
    start: date
    last_end: date
    impact_usd: float
    stage: str
    ts: str
    updates: int


def state_path(home: Path) -> Path:
    return Path(home) / "state" / "alerts.sqlite"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AlertState:
    """The alerts' memory in FINOPS_HOME. Opening it creates the file; `read_only` never does."""

    def __init__(self, home: Path, *, read_only: bool = False):
        self.path = state_path(home)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        if read_only and not self.path.exists():
            return  # nothing posted yet: every alert is new, and nothing is written
        if read_only:
            self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, timeout=10)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(_SCHEMA)
            self._conn.commit()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> AlertState:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- reading --------------------------------------------------------------------------------

    def _query(self, sql: str, args: tuple) -> list[tuple]:
        if self._conn is None:
            return []
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def posted(self, channel: str, alert: Alert) -> Posted | None:
        """The stored incident `alert` continues in `channel`: the same id, else (for the kinds whose start can
        move, not calendar months) the same key with days overlapping or GAP_DAYS apart."""
        rows = self._query("SELECT channel, id, key, start, last_end, impact_usd, stage, ts, updates FROM incidents "
                           "WHERE channel = ? AND key = ? ORDER BY start DESC", (channel, alert.key))
        stored = [Posted(r[0], r[1], r[2], date.fromisoformat(r[3]), date.fromisoformat(r[4]), *r[5:]) for r in rows]
        same = [p for p in stored if p.id == alert.id]
        if same or alert.kind not in MOVING_KINDS:
            return same[0] if same else None
        return next((p for p in stored if alert.start <= p.last_end + timedelta(days=GAP_DAYS) and alert.end >= p.start),
                    None)

    def by_ts(self, channel: str, ts: str) -> Posted | None:
        """The incident whose top-level message is `ts` in `channel` (the mute button's message)."""
        rows = self._query("SELECT channel, id, key, start, last_end, impact_usd, stage, ts, updates FROM incidents "
                           "WHERE channel = ? AND ts = ?", (channel, ts))
        return Posted(rows[0][0], rows[0][1], rows[0][2], date.fromisoformat(rows[0][3]),
                      date.fromisoformat(rows[0][4]), *rows[0][5:]) if rows else None

    def is_muted(self, channel: str, incident_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM mutes WHERE channel = ? AND id = ?", (channel, incident_id)))

    # --- writing (each call one transaction) -----------------------------------------------------

    def _write(self, sql: str, args: tuple) -> None:
        if self._conn is None:
            raise RuntimeError("this AlertState is read-only")
        with self._lock, self._conn:
            self._conn.execute(sql, args)

    def record_post(self, channel: str, alert: Alert, ts: str) -> None:
        """A new incident was posted as `ts` in `channel`."""
        now = _now()
        self._write("INSERT OR REPLACE INTO incidents (channel, id, key, start, last_end, impact_usd, stage, ts, text, "
                    "posted_at, updated_at, updates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    (channel, alert.id, alert.key, alert.start.isoformat(), alert.end.isoformat(), alert.impact_usd,
                     alert.stage, ts, alert.text, now, now))

    def record_update(self, posted: Posted, alert: Alert) -> None:
        """The incident's thread got `alert` as an update."""
        self._write("UPDATE incidents SET last_end = ?, impact_usd = ?, stage = ?, text = ?, updated_at = ?, "
                    "updates = updates + 1 WHERE channel = ? AND id = ?",
                    (max(alert.end, posted.last_end).isoformat(), alert.impact_usd, alert.stage, alert.text, _now(),
                     posted.channel, posted.id))

    def record_seen(self, posted: Posted, alert: Alert) -> None:
        """Still open, not grown: remember the days, keep the impact last posted."""
        if alert.end > posted.last_end:
            self._write("UPDATE incidents SET last_end = ? WHERE channel = ? AND id = ?",
                        (alert.end.isoformat(), posted.channel, posted.id))

    def mute(self, channel: str, incident_id: str, user: str | None = None) -> None:
        self._write("INSERT OR REPLACE INTO mutes (channel, id, muted_by, muted_at) VALUES (?, ?, ?, ?)",
                    (channel, incident_id, user, _now()))


def grown(posted: Posted, alert: Alert) -> bool:
    """News for the thread: another stage (projected -> breached), or an impact GROWTH larger and $1 more.

    >>> from assistant.alerts.find import Alert
    >>> p = Posted("C", "i", "k", date(2026, 10, 1), date(2026, 10, 3), 100.0, "open", "1.0", 0)
    >>> a = Alert("anomaly", "cost", "service", "x", date(2026, 10, 1), date(2026, 10, 4), 109.0, "", "", "")
    >>> grown(p, a), grown(p, Alert(**{**a.__dict__, "impact_usd": 111.0}))
    (False, True)
    """
    if alert.stage != posted.stage:
        return True
    before, now = abs(posted.impact_usd), abs(alert.impact_usd)
    return now >= before * (1 + GROWTH) and now - before >= 1.0
