"""`finops alerts run` and the bot's schedule: read alerts.yaml, plan, post (or only print with --dry-run).

`run_alerts` raises SettingsError (exit 2) for a missing or malformed
alerts.yaml and, unless `dry_run`, for a missing SLACK_BOT_TOKEN. A dry run
opens the state read-only and never creates or writes it, with or without
Slack settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from assistant.alerts import AlertPlan, AlertState, load_alerts_config, plan_alerts
from ui.alerts.slack import PostResult, post_alerts
from warehouse.errors import SettingsError

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from warehouse.settings import Settings


@dataclass(frozen=True)
class AlertRun:
    plan: AlertPlan
    result: PostResult | None  # None for a dry run

    def to_json(self) -> dict:
        out = self.plan.to_json()
        if self.result is not None:
            out["failed"] = [{"channel": c, "id": i, "error": e} for c, i, e in self.result.failed]
        return out


def slack_client(settings: Settings) -> WebClient:
    from slack_sdk import WebClient

    if not settings.slack_bot_token:
        raise SettingsError("SLACK_BOT_TOKEN is not set: alerts are posted with the bot token (xoxb-...); "
                            "use --dry-run to see them without Slack.")
    base_url = settings.slack_api_url or WebClient.BASE_URL
    return WebClient(token=settings.slack_bot_token, base_url=base_url.rstrip("/") + "/", timeout=15)


def run_alerts(settings: Settings, *, as_of: date | None = None, dry_run: bool = False,
               client: WebClient | None = None) -> AlertRun:
    """Plan the alerts as of `as_of` (default: the day after the latest data) and, unless `dry_run`, post them."""
    from assistant.alerts.chart import alert_chart
    from assistant.present.chart_images import chart_png
    from assistant.understand.planners import resolve_as_of
    from warehouse.executor import Executor

    config = load_alerts_config(settings.home)
    if not dry_run and client is None:
        client = slack_client(settings)
    with Executor(settings) as executor, AlertState(settings.home, read_only=dry_run) as state:
        day = resolve_as_of(executor, settings, as_of)
        plan = plan_alerts(executor, settings, as_of=day, config=config, state=state)
        if dry_run or client is None:
            return AlertRun(plan, None)
        scopes = {channel: rule.parsed_scope for channel, rule in config.channels.items()}

        def chart(alert, channel_scopes=scopes):
            scope = next((channel_scopes[p.channel] for p in plan.planned if p.alert is alert), None)
            spec = alert_chart(executor, settings, alert, scope)
            return chart_png(spec) if spec else None

        return AlertRun(plan, post_alerts(client, plan, state, chart))


def describe_run(run: AlertRun) -> str:
    """Plain text for the terminal: one line per alert, then what failed."""
    lines = [f"alerts as of {run.plan.as_of}: {len(run.plan.planned)} open"
             + (f", {len(run.plan.muted)} muted" if run.plan.muted else "")]
    for p in run.plan.planned:
        lines.append(f"  {p.status:<9} {p.channel:<12} {p.alert.kind:<14} {p.alert.figure.replace('*', '')}")
    if run.result is not None:
        lines.append(f"posted {len(run.result.posted)}, updated {len(run.result.updated)} in their threads")
        lines += [f"  failed {c} {i}: {e}" for c, i, e in run.result.failed]
    return "\n".join(lines)
