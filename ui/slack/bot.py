"""What the bot does with Slack's events, commands and button presses (Bolt wiring is in `bolt.py`).

It answers @-mentions, direct messages and `/finops` in threads. Each question
gets a "thinking…" reply in its thread that is then edited in place into the
answer: the figure-first text in Slack mrkdwn, the window, follow-up buttons,
👍/👎, "SQL" (posts the SQL in the thread) and "Save to notebook"; a chart is
uploaded to the thread as a PNG. A reply in a thread the bot answered in is a
follow-up to that thread's last answer; so is a direct message outside a thread
to the last answer in that DM. Before asking, the bot checks the person's rate
and the row scope `slack.yaml` gives (`policy.py`, `ratelimit.py`).

The bot takes Slack's payloads as dicts and talks to Slack through a Web API
client. Its answers (the buttons' answer ids), threads, the events it took and
the feedback given are kept in `FINOPS_HOME/state/slack.sqlite` (`store.py`), so
buttons and follow-ups work after a restart. A message is answered once, however
often Slack delivers it (a mention in a thread comes as two events) or retries
it, across restarts too.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from assistant.answer import Answer, AskContext
from assistant.ask import ask
from ui.slack.policy import SlackPolicy
from ui.slack.ratelimit import RateLimiter
from ui.slack.render import answer_message, question_text, slack_escape, sql_messages
from ui.slack.store import KEPT as STORED
from ui.slack.store import SlackStore, Stored
from warehouse.errors import FinopsError, internal_error_message, log_internal_error

if TYPE_CHECKING:
    from slack_sdk import WebClient

log = logging.getLogger("finops")
THINKING = ":hourglass_flowing_sand: Thinking… (reading the question and querying the warehouse)"
FORGOTTEN = "I no longer remember that answer (the bot keeps the last {n}); ask again."
Asked = Stored  # an answer the buttons under it refer to: the Answer, its as_of and row scope


class SlackBot:
    """The listeners' shared state and what they do; `bolt.register` routes Slack's payloads here."""

    def __init__(self, settings, executor, memory, policy: SlackPolicy, clock: Callable[[], float] = time.monotonic):
        self.settings, self.executor, self.memory, self.policy = settings, executor, memory, policy
        self.limiter = RateLimiter(policy.rate_limit_per_minute, clock)
        self.store = SlackStore(settings.home)  # answers, threads, events taken and feedback, across restarts

    # --- questions ---------------------------------------------------------------------------------

    def mention(self, client: WebClient, event: dict, bot_user_id: str | None) -> None:
        """An @-mention: answered in its thread, or in a new thread under it."""
        channel, ts = event["channel"], event["ts"]
        if self.store.claim_event(channel, ts):
            root = event.get("thread_ts") or ts
            self.answer_in_thread(client, channel, root, question_text(event.get("text", ""), bot_user_id),
                                  event.get("user"))

    def message(self, client: WebClient, event: dict, bot_user_id: str | None) -> None:
        """A direct message, or a reply in a thread the bot answered in; other channel messages are left alone."""
        if event.get("subtype") not in (None, "thread_broadcast") or event.get("bot_id"):
            return
        channel, ts, thread = event["channel"], event["ts"], event.get("thread_ts")
        direct = event.get("channel_type") == "im"
        if not direct and (thread is None or not self.store.has_thread(channel, thread)):
            return  # a channel message outside the bot's threads; mentions come as app_mention
        if self.store.claim_event(channel, ts):
            self.answer_in_thread(client, channel, thread or ts, question_text(event.get("text", ""), bot_user_id),
                                  event.get("user"), conversation=(channel, "dm") if direct and thread is None else None)

    def command(self, client: WebClient, command: dict, ack: Callable[..., None], respond: Callable[[str], None]) -> None:
        """`/finops QUESTION`: acked at once, posted as "<@user> asked: …" and answered in that post's thread."""
        question = question_text(command.get("text", ""), None)
        if not question or question.lower() == "help":
            ack("Ask about your AI costs: `/finops why did inference cost jump last week?` "
                "(I answer in a thread; reply there to follow up).")
            return
        ack("Working on it…")
        channel, user = command["channel_id"], command.get("user_id")
        try:
            posted = client.chat_postMessage(channel=channel, text=f"<@{user}> asked: {slack_escape(question)}")
        except Exception as error:  # noqa: BLE001 - not a member of the channel, most often
            respond(f"I cannot post in this channel ({slack_reason(error)}): invite me with `/invite @finops`, or DM me.")
            return
        self.answer_in_thread(client, channel, posted["ts"], question, user)

    def follow_up(self, client: WebClient, body: dict, action: dict) -> None:
        """A follow-up button: its question, asked in the thread the button sits in."""
        channel, root = _where(body)
        self.answer_in_thread(client, channel, root, action.get("value", ""), body["user"]["id"])

    def answer_in_thread(self, client: WebClient, channel: str, root: str, question: str, user: str | None,
                         conversation: tuple | None = None) -> None:
        """Post "thinking…" in the thread, ask, edit it into the answer, upload the chart.

        `conversation` is a second key the answer is remembered under (a DM's top-level conversation).
        """
        if not question:
            client.chat_postMessage(channel=channel, thread_ts=root, text="Ask me about your AI costs, e.g. "
                                    "_why did inference cost jump last week?_")
            return
        wait = self.limiter.wait(user or channel)
        if wait:
            client.chat_postMessage(channel=channel, thread_ts=root, text=(
                f":turtle: Slow down a little: I answer at most {self.policy.rate_limit_per_minute} questions a "
                f"minute per person. Try again in {math.ceil(wait)} s."))
            return
        scope = self.policy.scope_for(channel, user)  # valid: load_policy parsed every scope
        if scope is None and self.policy.require_scope:
            client.chat_postMessage(channel=channel, thread_ts=root, text=(
                ":no_entry: This channel and you have no data scope in slack.yaml, and this bot answers only "
                "scoped questions. Ask whoever runs it to add one (`scopes: channels:` or `users:`)."))
            return
        thinking = client.chat_postMessage(channel=channel, thread_ts=root, text=THINKING)
        previous = self.store.thread_answer(channel, root)
        self.store.open_thread(channel, root)  # replies here are now follow-ups
        if previous is None and conversation is not None:
            previous = self.store.thread_answer(*conversation)
        try:
            as_of = self._as_of()
            answer = ask(question, AskContext(
                settings=self.settings, as_of=as_of, scope=scope, executor=self.executor, memory=self.memory,
                previous=previous, channel="slack"))
            answer_id = uuid.uuid4().hex[:12]
            self.store.put_answer(answer_id, Stored(answer, as_of, scope))
            if answer.answered:
                for key in filter(None, ((channel, root), conversation)):
                    self.store.put_thread(*key, answer)
            text, blocks = answer_message(answer, answer_id, scope)
            client.chat_update(channel=channel, ts=thinking["ts"], text=text, blocks=blocks)
        except Exception:
            request_id = log_internal_error(log, "answering %r in Slack", question)
            client.chat_update(channel=channel, ts=thinking["ts"], text=":warning: " + internal_error_message(request_id, "the bot's log"))
            return
        if answer.answered and answer.chart:
            self._upload_chart(client, channel, root, answer)

    def _as_of(self) -> date | None:
        from assistant.understand.planners import resolve_as_of

        return resolve_as_of(self.executor, self.settings)

    def _upload_chart(self, client: WebClient, channel: str, root: str, answer: Answer) -> None:
        from assistant.present.chart_images import chart_png

        try:
            png = chart_png(answer.chart)
            client.files_upload_v2(channel=channel, thread_ts=root, content=png, filename="chart.png",
                                   title=answer.question[:250], alt_txt=answer.question[:1000])
        except Exception as error:  # noqa: BLE001 - the answer stands without its picture
            log.warning("chart not uploaded to Slack: %s", error)

    # --- the buttons under an answer ---------------------------------------------------------------

    def show_sql(self, client: WebClient, body: dict, action: dict) -> None:
        """The "SQL" button: the answer's SQL, posted in its thread (or, privately, that the answer is forgotten)."""
        channel, root = _where(body)
        asked = self.asked(action.get("value", ""))
        if asked is None:
            client.chat_postEphemeral(channel=channel, user=body["user"]["id"], thread_ts=root,
                                      text=FORGOTTEN.format(n=STORED))
            return
        for part in sql_messages(asked.answer.sql or ""):
            client.chat_postMessage(channel=channel, thread_ts=root, text=part)

    def reply_privately(self, client: WebClient, body: dict, action: dict, handle: Callable[[Asked], str]) -> None:
        """What `handle` says about the button's answer, shown to the presser alone; errors become that reply."""
        channel, root = _where(body)
        asked = self.asked(action.get("value", ""))
        try:
            reply = handle(asked) if asked else FORGOTTEN.format(n=STORED)
        except FinopsError as error:
            reply = error.user_message
        except Exception:
            request_id = log_internal_error(log, "in a Slack button")
            reply = internal_error_message(request_id, "the bot's log")
        client.chat_postEphemeral(channel=channel, user=body["user"]["id"], thread_ts=root, text=reply)

    def mute_alert(self, client: WebClient, body: dict, action: dict) -> None:
        """The "Mute" button under an alert: that incident is never posted or updated in this channel again."""
        from assistant.alerts import AlertState

        channel, root = _where(body)
        incident, user = action.get("value", ""), body["user"]["id"]
        try:
            with AlertState(self.settings.home) as state:
                state.mute(channel, incident, user)
            reply = f"Muted `{slack_escape(incident)}` in this channel: no more posts or updates about it here."
        except Exception:
            request_id = log_internal_error(log, "muting alert %r", incident)
            reply = internal_error_message(request_id, "the bot's log")
        client.chat_postEphemeral(channel=channel, user=user, thread_ts=root, text=reply)

    def asked(self, answer_id: str) -> Asked | None:
        return self.store.answer(answer_id)

    def feedback(self, asked: Asked, verdict: str, answer_id: str | None = None, user: str | None = None) -> str:
        """👍/👎: recorded once per person and answer, and a 👍 teaches the example (`assistant.quality.feedback`)."""
        from assistant.quality.feedback import record_feedback

        if answer_id and user and not self.store.claim_feedback(answer_id, user, verdict):
            return f"You already marked this answer {':+1:' if verdict == 'good' else ':-1:'}; it counts once."

        # A scoped answer is learned without its scope's filters (each asker's scope applies again).
        result = record_feedback(asked.answer, verdict, self.settings, memory=self.memory, as_of=asked.as_of,
                                 channel="slack", scope=asked.scope)
        return result.message

    def save(self, asked: Asked) -> str:
        """The "Save to notebook" button: the answer's question, added to the "Saved questions" notebook."""
        from ui.notebooks.runner import add_question

        path = add_question(self.settings.home, asked.answer.question)
        return f"Saved to the notebook `{path.stem}` (run it with `finops notebook run {path}`)."


def slack_reason(error: Exception) -> str:
    """Slack's error code for a failed Web API call, else the error's first line."""
    response = getattr(error, "response", None)
    return str(response.get("error")) if response is not None else str(error).splitlines()[0][:200]


def _where(body: dict) -> tuple[str, str]:
    """The channel and thread of the message a button sits on."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    root = message.get("thread_ts") or container.get("thread_ts") or message.get("ts") or container.get("message_ts")
    return channel, root
