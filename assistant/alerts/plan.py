"""Which open alert goes to which channel, and whether it is new, an update or unchanged there.

Each channel of alerts.yaml gets the open alerts (`find.open_alerts`) its row
scope shows, of its kinds, at least its `min_impact_usd` (in size: a drop counts
as much as a rise). Against the state (`state.py`) an alert is `new` (never
posted in that channel), `update` (posted, and its impact grew or its stage
changed) or `unchanged`; a muted incident is left out and listed as muted.
Planning reads the state and never writes it, so `--dry-run` records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from assistant.alerts.find import Alert, open_alerts
from assistant.alerts.state import AlertState, Posted, grown

if TYPE_CHECKING:
    from assistant.alerts.config import AlertsConfig
    from warehouse.executor import Executor
    from warehouse.settings import Settings

STATUSES = ("new", "update", "unchanged")


@dataclass(frozen=True)
class Planned:
    alert: Alert
    channel: str
    status: str  # one of STATUSES
    posted: Posted | None = None

    @property
    def id(self) -> str:
        """The incident's id as first posted in this channel (the alert's own id when new)."""
        return self.posted.id if self.posted else self.alert.id

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.alert.kind, "channel": self.channel, "text": self.alert.text,
                "impact_usd": round(self.alert.impact_usd, 2), "status": self.status,
                "start": self.alert.start.isoformat()}


@dataclass(frozen=True)
class AlertPlan:
    as_of: date
    planned: tuple[Planned, ...]
    muted: tuple[tuple[str, str], ...] = ()  # (channel, incident id)

    def to_json(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "alerts": [p.to_json() for p in self.planned],
                "muted": [{"channel": c, "id": i} for c, i in self.muted]}


def plan_alerts(executor: Executor, settings: Settings, *, as_of: date, config: AlertsConfig,
                state: AlertState) -> AlertPlan:
    """Every channel's alerts with their status; the open alerts are found once per distinct scope."""
    kinds_by_scope: dict[str | None, set[str]] = {}
    for rule in config.channels.values():
        kinds_by_scope.setdefault(rule.scope, set()).update(rule.kinds)
    found = {scope: open_alerts(executor, settings, as_of=as_of, config=config, kinds=tuple(sorted(kinds)),
                                scope=config_scope(scope))
             for scope, kinds in kinds_by_scope.items()}
    planned, muted = [], []
    for channel, rule in config.channels.items():
        for alert in found[rule.scope]:
            if alert.kind not in rule.kinds or abs(alert.impact_usd) < rule.min_impact_usd:
                continue
            posted = state.posted(channel, alert)
            incident = posted.id if posted else alert.id
            if state.is_muted(channel, incident):
                muted.append((channel, incident))
                continue
            status = "new" if posted is None else "update" if grown(posted, alert) else "unchanged"
            planned.append(Planned(alert, channel, status, posted))
    return AlertPlan(as_of, tuple(planned), tuple(muted))


def config_scope(text: str | None):
    from warehouse.scope import Scope

    return Scope.parse(text) if text else None
