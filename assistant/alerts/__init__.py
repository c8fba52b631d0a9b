"""Alerts: what is open (anomalies, budgets, ceilings, idle GPUs, billing gaps), to whom, and what was posted.

`config` reads FINOPS_HOME/alerts.yaml; `find` turns the analyses into `Alert`s
(one per incident, identified by kind, subject, dimension, value and start day);
`state` remembers in FINOPS_HOME what was posted where and what is muted;
`plan` says, per channel, which alerts are new, updates or unchanged. Posting
to Slack is the UI's (`ui/alerts`).
"""

from assistant.alerts.config import ALERT_KINDS, AlertsConfig, ChannelRule, load_alerts_config
from assistant.alerts.find import Alert, open_alerts
from assistant.alerts.plan import AlertPlan, Planned, plan_alerts
from assistant.alerts.state import AlertState, Posted

__all__ = ["ALERT_KINDS", "Alert", "AlertPlan", "AlertState", "AlertsConfig", "ChannelRule", "Planned", "Posted",
           "load_alerts_config", "open_alerts", "plan_alerts"]
