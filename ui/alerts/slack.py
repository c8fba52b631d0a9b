"""An incident in Slack: a top-level message (figure first, cause, chart, buttons), updates in its thread.

`post_alerts` walks a plan (`assistant.alerts.plan`): a `new` alert is posted to
its channel and recorded with its `ts` at once (so a failure later in the run
loses nothing and never re-posts it); its chart is uploaded into its thread. An
`update` is a reply in the incident's thread, recorded after Slack took it, and
the top-level message is edited to the new figures. `unchanged` ones only
remember the days seen. A Slack error on one alert is collected and the run goes
on; nothing is recorded for it, so the next run tries it again.

The buttons: "Ask about it" is the bot's follow-up button (`finops_follow_up_0`,
asked in the incident's thread), "Mute" (`finops_alert_mute`, value = incident
id) mutes the incident in that channel (`ui/slack/bot.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ui.slack.render import slack_escape

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from assistant.alerts import Alert, AlertPlan, AlertState, Planned

log = logging.getLogger("finops")
MUTE_ACTION = "finops_alert_mute"
ASK_ACTION = "finops_follow_up_0"
KIND_WORDS = {"anomaly": "Anomaly", "budget": "Budget", "ceiling": "Unit-cost ceiling", "idle_gpu": "Idle GPUs",
              "reconciliation": "Tracked vs billed"}


@dataclass
class PostResult:
    posted: list[str] = field(default_factory=list)  # "channel id" of new top-level messages
    updated: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (channel, incident id, Slack's reason)


def _mrkdwn(text: str) -> str:
    """Our alert text (Slack *bold* already) with &, <, > escaped."""
    return slack_escape(text)


def alert_message(alert: Alert, incident_id: str) -> tuple[str, list[dict]]:
    """The fallback text and blocks of an incident's top-level message."""
    head = f":rotating_light: *{KIND_WORDS.get(alert.kind, alert.kind)}*: {_mrkdwn(alert.figure)}"
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": head[:2900]}}]
    if alert.cause:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(alert.cause)[:2900]}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(
        f"Incident {incident_id} · updates follow in this thread while it lasts and grows")}]})
    blocks.append({"type": "actions", "block_id": "finops_alert", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Ask about it"}, "action_id": ASK_ACTION,
         "value": alert.question[:2000]},
        {"type": "button", "text": {"type": "plain_text", "text": "Mute"}, "action_id": MUTE_ACTION,
         "value": incident_id[:2000], "style": "danger"},
    ]})
    text = head + ("\n" + _mrkdwn(alert.cause) if alert.cause else "")
    return text, blocks


def update_text(planned: Planned) -> str:
    previous = planned.posted.impact_usd if planned.posted else 0.0
    return (f":arrow_up: Update ({planned.alert.stage if planned.alert.kind == 'budget' else 'still open'}, "
            f"was ${abs(previous):,.2f}): {_mrkdwn(planned.alert.text)}")


def post_alerts(client: WebClient, plan: AlertPlan, state: AlertState,
                chart: Callable[[Alert], bytes | None] | None = None) -> PostResult:
    """Post the plan's new alerts, update the grown ones in their threads; record each right after Slack took it."""
    result = PostResult()
    for planned in plan.planned:
        alert, channel = planned.alert, planned.channel
        try:
            if planned.status == "unchanged" and planned.posted is not None:
                state.record_seen(planned.posted, alert)
            elif planned.status == "new":
                text, blocks = alert_message(alert, alert.id)
                response = client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
                state.record_post(channel, alert, str(response["ts"]))
                result.posted.append(f"{channel} {alert.id}")
                _upload_chart(client, channel, str(response["ts"]), alert, chart)
            elif planned.status == "update" and planned.posted is not None:
                client.chat_postMessage(channel=channel, thread_ts=planned.posted.ts, text=update_text(planned))
                state.record_update(planned.posted, alert)
                result.updated.append(f"{channel} {planned.id}")
                text, blocks = alert_message(alert, planned.id)
                try:
                    client.chat_update(channel=channel, ts=planned.posted.ts, text=text, blocks=blocks)
                except Exception as error:  # noqa: BLE001 - the thread has the update; the head is a nicety
                    log.warning("alert %s: top-level message not edited: %s", planned.id, error)
        except Exception as error:  # noqa: BLE001 - one channel's failure must not stop the others
            from ui.slack.bot import slack_reason

            result.failed.append((channel, planned.id, slack_reason(error)))
    return result


def _upload_chart(client: WebClient, channel: str, ts: str, alert: Alert,
                  chart: Callable[[Alert], bytes | None] | None) -> None:
    if chart is None:
        return
    try:
        png = chart(alert)
        if png:
            client.files_upload_v2(channel=channel, thread_ts=ts, content=png, filename="alert.png",
                                   title=alert.figure.replace("*", "")[:250])
    except Exception as error:  # noqa: BLE001 - the alert stands without its picture
        log.warning("alert %s: chart not uploaded: %s", alert.id, error)
