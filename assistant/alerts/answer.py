"""The open alerts as an `Answer`, for the notebook runner ("alerts: true") and any channel that lists them.

Every kind, under the caller's row scope, with the thresholds of FINOPS_HOME/alerts.yaml
when it exists (else the defaults); nothing is posted or recorded.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.alerts.config import ALERT_KINDS, FILE_NAME, AlertsConfig, load_alerts_config
from assistant.alerts.find import open_alerts
from assistant.answer import Answer, Route

if TYPE_CHECKING:
    from warehouse.executor import Executor
    from warehouse.scope import Scope
    from warehouse.settings import Settings

QUESTION = "Open alerts"
COLUMNS = ("kind", "dimension", "value", "start", "impact_usd", "alert")


def alerts_answer(executor: Executor, settings: Settings, *, as_of: date, scope: Scope | None = None) -> Answer:
    """'**3 open alerts** as of 2026-10-12, largest first:' and one line each (figure, then cause), as an Answer."""
    path = Path(settings.home) / FILE_NAME
    config = load_alerts_config(settings.home) if path.is_file() else AlertsConfig.model_validate({"channels": {"all": {}}})
    found = open_alerts(executor, settings, as_of=as_of, config=config, kinds=ALERT_KINDS, scope=scope)
    if not found:
        text = f"No open alerts as of {as_of.isoformat()}."
    else:
        lines = [f"**{len(found)} open alert{'s' if len(found) != 1 else ''}** as of {as_of.isoformat()}, largest first:"]
        lines += [f"- {a.figure.replace('*', '**')}" + (f". {a.cause}" if a.cause else "") for a in found]
        text = "\n".join(lines)
    rows = [(a.kind, a.dimension, a.value, a.start.isoformat(), round(a.impact_usd, 2), a.figure.replace("*", ""))
            for a in found]
    return Answer(QUESTION, Route.PLANNER, text=text, columns=COLUMNS, rows=rows)
