"""The Bolt app: checked settings, the Web API client, and which Slack payload goes to which `SlackBot` method.

In HTTP mode Bolt verifies each request's signature with SLACK_SIGNING_SECRET
(bad or stale signatures get 401); in Socket Mode (SLACK_APP_TOKEN set) there is
nothing to verify. Bolt acks first and runs the listeners after, in threads;
every listener acks before the bot does anything. Serving the app is `serve.py`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from slack_bolt import App
from slack_sdk import WebClient

from ui.slack.bot import Asked, SlackBot, slack_reason
from ui.slack.policy import SlackPolicy, load_policy
from warehouse.errors import SettingsError


def check_slack_settings(settings, socket_mode: bool | None = None) -> None:
    """A FinopsError naming the setting that is missing for the chosen mode."""
    socket_mode = bool(settings.slack_app_token) if socket_mode is None else socket_mode
    if not settings.slack_bot_token:
        raise SettingsError("SLACK_BOT_TOKEN is not set: give the bot token (xoxb-...) from your Slack app's "
                            "OAuth & Permissions page.")
    if not socket_mode and not settings.slack_signing_secret:
        raise SettingsError("SLACK_SIGNING_SECRET is not set: HTTP mode needs the signing secret from your Slack "
                            "app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode).")


def build_app(settings, executor=None, memory=None, policy: SlackPolicy | None = None,
              clock: Callable[[], float] = time.monotonic) -> App:
    """The Bolt app (it calls `auth.test` once). `executor` defaults to a new one the app never closes.

    `policy` defaults to `FINOPS_HOME/slack.yaml`.
    """
    socket_mode = bool(settings.slack_app_token)
    check_slack_settings(settings, socket_mode)
    policy = policy or load_policy(Path(settings.home) / "slack.yaml")
    if executor is None:
        from warehouse.executor import Executor

        executor = Executor(settings)
    base_url = settings.slack_api_url or WebClient.BASE_URL
    try:
        app = App(
            signing_secret=settings.slack_signing_secret or "",
            client=WebClient(token=settings.slack_bot_token, base_url=base_url.rstrip("/") + "/"),
            request_verification_enabled=not socket_mode,
        )
    except Exception as error:  # noqa: BLE001 - Bolt's auth.test at start: bad token or unreachable Slack
        raise SettingsError(f"Slack did not accept SLACK_BOT_TOKEN at {base_url} ({slack_reason(error)}); check the "
                            "token and SLACK_API_URL.") from None
    register(app, SlackBot(settings, executor, memory, policy, clock))
    return app


def register(app: App, bot: SlackBot) -> None:
    """The listeners: mentions, messages (DMs and thread replies), /finops, and the answer's buttons."""

    @app.event("app_mention")
    def on_mention(event, context, client, ack):
        ack()
        bot.mention(client, event, context.bot_user_id)

    @app.event("message")
    def on_message(event, context, client, ack):
        ack()
        bot.message(client, event, context.bot_user_id)

    @app.command("/finops")
    def on_command(command, ack, client, respond):
        bot.command(client, command, ack, respond)  # acks with the reply the command shows at once

    def on_button(press: Callable[[WebClient, dict, dict], None]):
        def listener(ack, body, action, client):
            ack()
            press(client, body, action)
        return listener

    def privately(handle: Callable[[Asked], str]):
        return on_button(lambda client, body, action: bot.reply_privately(client, body, action, handle))

    app.action(re.compile(r"^finops_follow_up_\d+$"))(on_button(bot.follow_up))
    def verdict(word: str):
        return on_button(lambda client, body, action: bot.reply_privately(
            client, body, action, lambda asked: bot.feedback(asked, word, action.get("value"), body["user"]["id"])))

    app.action("finops_feedback_good")(verdict("good"))
    app.action("finops_feedback_bad")(verdict("bad"))
    app.action("finops_save")(privately(bot.save))
    app.action("finops_show_sql")(on_button(bot.show_sql))
    app.action("finops_alert_mute")(on_button(bot.mute_alert))
