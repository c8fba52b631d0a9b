"""The Slack bot: a Bolt app that answers @-mentions, direct messages and `/finops` in threads.

Each question gets a "thinking…" reply in its thread that is then edited in
place into the answer: the figure-first text in Slack mrkdwn, the window,
follow-up buttons, 👍/👎, "SQL" (posts the SQL in the thread) and "Save to
notebook"; a chart is uploaded to the thread as a PNG. A reply in a thread the
bot answered in is a follow-up to that thread's last answer.

Who sees which rows, and how fast one may ask, is `FINOPS_HOME/slack.yaml`:

    scopes:
      channels: {C0123CX: team=cx}       # everyone asking in this channel sees team cx
      users: {U0456PL: team=platform}    # this person, in DMs and unmapped channels
    require_scope: false                 # true: unmapped channels and people are refused
    rate_limit_per_minute: 10            # questions per person per minute

A channel's mapping wins over the asker's: the answer is posted where the whole
channel reads it, so the channel's audience decides what may be shown.

`serve_slack` runs Socket Mode when SLACK_APP_TOKEN is set, else an HTTP server
with Slack's `/slack/events` endpoint whose requests Bolt verifies (bad or stale
signatures get 401). Bolt acks first and runs the listeners after, in threads.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from slack_bolt import App
from slack_sdk import WebClient

from assistant.answer import Answer, AskContext
from assistant.ask import ask
from ui.slack.render import (
    answer_message,
    question_text,
    slack_escape,
    sql_messages,
)
from warehouse.errors import FinopsError, SettingsError, internal_error_message, log_internal_error
from warehouse.scope import Scope

log = logging.getLogger("finops")
EVENTS_PATH = "/slack/events"
THINKING = ":hourglass_flowing_sand: Thinking… (reading the question and querying the warehouse)"
KEPT = 1000  # threads and answers remembered, most recent first


# --- who sees what: FINOPS_HOME/slack.yaml --------------------------------------------------------


class ScopeMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    channels: dict[str, str] = Field(default_factory=dict)
    users: dict[str, str] = Field(default_factory=dict)

    @field_validator("channels", "users")
    @classmethod
    def _valid_scopes(cls, mapping: dict[str, str]) -> dict[str, str]:
        for key, text in mapping.items():
            try:
                Scope.parse(str(text))
            except FinopsError as error:
                raise ValueError(f"{key}: {error.user_message}") from None
        return mapping


class SlackPolicy(BaseModel):
    """Row scopes by channel and person, whether a mapping is required, and the per-person rate."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    scopes: ScopeMap = Field(default_factory=ScopeMap)
    require_scope: bool = False
    rate_limit_per_minute: int = Field(10, ge=1)

    def scope_for(self, channel: str, user: str | None) -> Scope | None:
        """The channel's scope, else the person's, else None (no limit).

        >>> SlackPolicy(scopes={"channels": {"C1": "team=cx"}, "users": {"U1": "team=platform"}}).scope_for("C1", "U1")
        Scope(dimension='team', value='cx')
        """
        text = self.scopes.channels.get(channel) or self.scopes.users.get(user or "")
        return Scope.parse(text) if text else None


def load_policy(path: Path) -> SlackPolicy:
    """The policy in `path`, or the default (no scopes, 10 a minute) when there is no such file."""
    path = Path(path)
    if not path.exists():
        return SlackPolicy()
    try:
        data = yaml.safe_load(path.read_text()) or {}
        return SlackPolicy.model_validate(data)
    except yaml.YAMLError as error:
        raise SettingsError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the top level"
        raise SettingsError(f"{path}: {where}: {problem['msg'].removeprefix('Value error, ')}.") from None


# --- state ---------------------------------------------------------------------------------------


class Recent:
    """A bounded map that forgets the least recently used key first; safe across listener threads."""

    def __init__(self, size: int = KEPT):
        self._items: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def add_if_new(self, key) -> bool:
        """Remember `key`; False when it was already there (a retried or duplicated event)."""
        with self._lock:
            if key in self._items:
                return False
        self.put(key, True)
        return True

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._items


class RateLimiter:
    """At most `per_minute` questions per person in any sixty seconds."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._asked: dict[str, deque] = {}
        self._lock = threading.Lock()

    def wait(self, user: str) -> float:
        """0 and the question counted, or the seconds until this person may ask again."""
        now = self._clock()
        with self._lock:
            for key in [k for k, times in self._asked.items() if not times or times[-1] <= now - 60]:
                del self._asked[key]
            times = self._asked.setdefault(user, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return times[0] + 60 - now
            times.append(now)
            return 0.0


@dataclass(frozen=True)
class Asked:
    """An answer the buttons under it refer to."""

    answer: Answer
    as_of: date | None
    scope: Scope | None


NOT_ANSWERED = object()  # a thread the bot replied in without an answer to follow up on


class SlackBot:
    """The listeners' shared state and what they do; Bolt wiring is in `build_app`."""

    def __init__(self, settings, executor, memory, policy: SlackPolicy, clock: Callable[[], float] = time.monotonic):
        self.settings, self.executor, self.memory, self.policy = settings, executor, memory, policy
        self.limiter = RateLimiter(policy.rate_limit_per_minute, clock)
        self.threads = Recent()  # (channel, thread_ts) -> last answered Answer, or NOT_ANSWERED
        self.answers = Recent()  # answer id -> Asked
        self.seen = Recent(4 * KEPT)  # (channel, ts) of questions taken, so retries and duplicates are answered once

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
        previous = self.threads.get((channel, root))
        if previous is None:
            self.threads.put((channel, root), NOT_ANSWERED)  # replies here are now follow-ups
        if not isinstance(previous, Answer) and conversation is not None:
            previous = self.threads.get(conversation)
        try:
            as_of = self._as_of()
            answer = ask(question, AskContext(
                settings=self.settings, as_of=as_of, scope=scope, executor=self.executor, memory=self.memory,
                previous=previous if isinstance(previous, Answer) else None, channel="slack"))
            answer_id = uuid.uuid4().hex[:12]
            self.answers.put(answer_id, Asked(answer, as_of, scope))
            if answer.answered:
                for key in filter(None, ((channel, root), conversation)):
                    self.threads.put(key, answer)
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

    def asked(self, answer_id: str) -> Asked | None:
        return self.answers.get(answer_id)

    def feedback(self, asked: Asked, verdict: str) -> str:
        from assistant.quality.feedback import record_feedback

        # A scoped answer is learned without its scope's filters (each asker's scope applies again).
        result = record_feedback(asked.answer, verdict, self.settings, memory=self.memory, as_of=asked.as_of,
                                 channel="slack", scope=asked.scope)
        return result.message

    def save(self, asked: Asked) -> str:
        from ui.notebooks.runner import add_question

        path = add_question(self.settings.home, asked.answer.question)
        return f"Saved to the notebook `{path.stem}` (run it with `finops notebook run {path}`)."


# --- Bolt wiring ---------------------------------------------------------------------------------

FORGOTTEN = "I no longer remember that answer (the bot keeps the last {n} and forgets them on restart); ask again."


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
    """The Bolt app (it calls `auth.test` once). `executor` defaults to a new one the app never closes."""
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
        raise SettingsError(f"Slack did not accept SLACK_BOT_TOKEN at {base_url} ({_reason(error)}); check the token "
                            "and SLACK_API_URL.") from None
    register(app, SlackBot(settings, executor, memory, policy, clock))
    return app


def _reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(response.get("error")) if response is not None else str(error).splitlines()[0][:200]


def register(app: App, bot: SlackBot) -> None:
    """The listeners: mentions, messages (DMs and thread replies), /finops, and the answer's buttons."""

    @app.event("app_mention")
    def on_mention(event, context, client, ack):
        ack()
        channel, ts = event["channel"], event["ts"]
        if bot.seen.add_if_new((channel, ts)):
            root = event.get("thread_ts") or ts
            bot.answer_in_thread(client, channel, root, question_text(event.get("text", ""), context.bot_user_id),
                                 event.get("user"))

    @app.event("message")
    def on_message(event, context, client, ack):
        ack()
        if event.get("subtype") not in (None, "thread_broadcast") or event.get("bot_id"):
            return
        channel, ts, thread = event["channel"], event["ts"], event.get("thread_ts")
        direct = event.get("channel_type") == "im"
        if not direct and (thread is None or (channel, thread) not in bot.threads):
            return  # a channel message outside the bot's threads; mentions come as app_mention
        if bot.seen.add_if_new((channel, ts)):
            bot.answer_in_thread(client, channel, thread or ts, question_text(event.get("text", ""), context.bot_user_id),
                                 event.get("user"), conversation=(channel, "dm") if direct and thread is None else None)

    @app.command("/finops")
    def on_command(command, ack, client, respond):
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
            respond(f"I cannot post in this channel ({_reason(error)}): invite me with `/invite @finops`, or DM me.")
            return
        bot.answer_in_thread(client, channel, posted["ts"], question, user)

    @app.action(re.compile(r"^finops_follow_up_\d+$"))
    def on_follow_up(ack, body, action, client):
        ack()
        channel, root = _where(body)
        bot.answer_in_thread(client, channel, root, action.get("value", ""), body["user"]["id"])

    def on_control(handle: Callable[[Asked], str]):
        def listener(ack, body, action, client):
            ack()
            channel, root = _where(body)
            asked = bot.asked(action.get("value", ""))
            try:
                reply = handle(asked) if asked else FORGOTTEN.format(n=KEPT)
            except FinopsError as error:
                reply = error.user_message
            except Exception:
                request_id = log_internal_error(log, "in a Slack button")
                reply = internal_error_message(request_id, "the bot's log")
            client.chat_postEphemeral(channel=channel, user=body["user"]["id"], thread_ts=root, text=reply)
        return listener

    app.action("finops_feedback_good")(on_control(lambda asked: bot.feedback(asked, "good")))
    app.action("finops_feedback_bad")(on_control(lambda asked: bot.feedback(asked, "bad")))
    app.action("finops_save")(on_control(bot.save))

    @app.action("finops_show_sql")
    def on_sql(ack, body, action, client):
        ack()
        channel, root = _where(body)
        asked = bot.asked(action.get("value", ""))
        if asked is None:
            client.chat_postEphemeral(channel=channel, user=body["user"]["id"], thread_ts=root,
                                      text=FORGOTTEN.format(n=KEPT))
            return
        for part in sql_messages(asked.answer.sql or ""):
            client.chat_postMessage(channel=channel, thread_ts=root, text=part)


def _where(body: dict) -> tuple[str, str]:
    """The channel and thread of the message a button sits on."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    root = message.get("thread_ts") or container.get("thread_ts") or message.get("ts") or container.get("message_ts")
    return channel, root


# --- serving -------------------------------------------------------------------------------------


class EventsServer(ThreadingHTTPServer):
    """Slack's HTTP endpoint for a Bolt app: POST /slack/events, each request in its own thread."""

    daemon_threads = True

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        super().__init__((host, port), _EventsHandler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{EVENTS_PATH}"

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), name="slack-events", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join()


class _EventsHandler(BaseHTTPRequestHandler):
    server: EventsServer
    server_version = "finops-slack/1"

    def do_POST(self):
        from slack_bolt.request import BoltRequest

        path, _, query = self.path.partition("?")
        if path.rstrip("/") != EVENTS_PATH:
            self._send(404, {}, "not found")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        response = self.server.app.dispatch(BoltRequest(body=body, query=query, headers=headers))
        self._send(response.status, response.headers, response.body)

    def do_GET(self):
        self._send(404 if self.path.rstrip("/") != "/healthz" else 200, {}, "ok")

    def _send(self, status: int, headers: dict, body: Any) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        for name, values in headers.items():
            if name.lower() == "content-length":
                continue
            for value in values if isinstance(values, (list, tuple)) else [values]:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        log.debug("slack http: " + format, *args)


def serve_slack(settings, port: int = 3000, host: str = "0.0.0.0", echo: Callable[[str], None] | None = None) -> None:
    """Run the bot until interrupted: Socket Mode with SLACK_APP_TOKEN, else HTTP on host:port/slack/events.

    `echo` (the CLI's `typer.echo`, say) is told where it listens; without it that goes to the log.
    """
    from warehouse.executor import Executor

    echo = echo or log.info
    check_slack_settings(settings)
    with Executor(settings) as executor:
        app = build_app(settings, executor)
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            echo("finops slack: connecting to Slack in Socket Mode; Ctrl+C stops it.")
            SocketModeHandler(app, settings.slack_app_token).start()
            return
        server = EventsServer(app, host, port)
        echo(f"finops slack: listening on http://{host}:{server.server_address[1]}{EVENTS_PATH}; Ctrl+C stops it.")
        try:
            server.serve_forever(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
