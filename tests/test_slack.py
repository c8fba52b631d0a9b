"""The Slack bot end to end: the real Bolt app behind its HTTP endpoint, a fake Slack Web API.

Requests are signed the way Slack signs them and POSTed to `/slack/events` on a
loopback port; what the bot does shows up as Web API calls on `FakeSlack`, and
is compared with what `ask()` says about the same question on the same warehouse.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import shutil
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from assistant.answer import AskContext
from assistant.ask import ask
from assistant.present.numbers import figure
from tests.fake_slack import BOT_USER_ID, TOKEN, FakeSlack
from ui.slack.bolt import build_app
from ui.slack.bot import THINKING
from ui.slack.policy import SlackPolicy, load_policy
from ui.slack.render import answer_message, question_text, slack_mrkdwn
from ui.slack.serve import EventsServer, serve_slack
from warehouse.errors import FinopsError, SettingsError
from warehouse.scope import Scope

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
GENERAL, CX_CHANNEL, DM = "C0GENERAL", "C0CX", "D0DIRECT"
ALICE, PLATFORM_USER = "U0ALICE", "U0PLAT"
CHART_QUESTION = "daily inference cost this month"
TOTAL_QUESTION = "inference cost this month"
_ts = itertools.count(1)


def new_ts() -> str:
    return f"1761700000.{next(_ts):06d}"


def signed(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict:
    """Slack's v0 signature headers for `body`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Harness:
    fake: FakeSlack
    url: str

    def post(self, body: str, content_type: str, headers: dict | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.url, data=body.encode(), method="POST", headers={
            "Content-Type": content_type, **(signed(body) if headers is None else headers)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def event(self, event: dict, headers: dict | None = None) -> tuple[int, str]:
        body = json.dumps({
            "token": "legacy", "team_id": "T0FAKE", "api_app_id": "A0FINOPS", "type": "event_callback",
            "event_id": f"Ev{next(_ts):08d}", "event_time": int(time.time()), "event": event,
            "authorizations": [{"team_id": "T0FAKE", "user_id": BOT_USER_ID, "is_bot": True}],
        })
        return self.post(body, "application/json", headers)

    def mention(self, text: str, channel: str = GENERAL, user: str = ALICE, thread_ts: str | None = None) -> str:
        ts = new_ts()
        event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}", "ts": ts,
                 "channel": channel, "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        assert self.event(event)[0] == 200
        return ts

    def message(self, text: str, channel: str, channel_type: str, thread_ts: str | None = None, user: str = ALICE) -> str:
        ts = new_ts()
        event = {"type": "message", "user": user, "text": text, "ts": ts, "channel": channel,
                 "channel_type": channel_type, "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        assert self.event(event)[0] == 200
        return ts

    def action(self, action_id: str, value: str, channel: str, message_ts: str, thread_ts: str) -> int:
        payload = {
            "type": "block_actions", "team": {"id": "T0FAKE"}, "user": {"id": ALICE, "team_id": "T0FAKE"},
            "api_app_id": "A0FINOPS", "token": "legacy", "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "thread_ts": thread_ts},
            "channel": {"id": channel}, "message": {"type": "message", "ts": message_ts, "thread_ts": thread_ts,
                                                    "bot_id": "BBOT", "text": "answer"},
            "response_url": f"{self.fake.url}/respond/1",
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                         "action_ts": str(time.time())}],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")[0]

    def updates(self, count: int = 1) -> list:
        """The first `count` chat.update calls (the answers), waiting for them."""
        return self.fake.wait_for(lambda f: len(f.calls_to("chat.update")) >= count and f.calls_to("chat.update"))

    def answer_in(self, root: str):
        """The chat.update that turned the "thinking…" reply in thread `root` into its answer, waiting for it."""
        def found(fake):
            replies = {c.response["ts"] for c in self.thinking() if c.params.get("thread_ts") == root}
            return next((c for c in fake.calls_to("chat.update") if c.params["ts"] in replies), None)
        return self.fake.wait_for(found)

    def thinking(self) -> list:
        return [c for c in self.fake.calls_to("chat.postMessage") if c.params.get("text") == THINKING]


def slack_settings(settings, fake: FakeSlack, **overrides):
    return settings.model_copy(update={"slack_bot_token": TOKEN, "slack_signing_secret": SECRET,
                                       "slack_api_url": fake.api_url, **overrides})


@contextmanager
def running_bot(settings, executor=None, memory=None, policy: SlackPolicy | None = None):
    with FakeSlack() as fake:
        app = build_app(slack_settings(settings, fake), executor, memory=memory, policy=policy or SlackPolicy())
        with EventsServer(app) as server:
            yield Harness(fake, server.url)


@pytest.fixture
def bot(warehouse_settings, executor):
    with running_bot(warehouse_settings, executor) as harness:
        yield harness


@pytest.fixture
def home_copy(warehouse_settings, tmp_path):
    """The tiny warehouse in a home of this test's own (for feedback, notebooks, slack.yaml)."""
    shutil.copytree(warehouse_settings.home, tmp_path / "home")
    return warehouse_settings.model_copy(update={"home": tmp_path / "home"})


def blocks_text(call) -> str:
    return "\n".join(json.dumps(block) for block in call.params.get("blocks") or [])


def read_as_lines(blocks: list[dict]) -> list[str]:
    """The 'Read as: ...' lines of a message's context blocks."""
    return [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"] if e["text"].startswith("Read as:")]


def button_values(call, prefix: str) -> list[str]:
    return [e["value"] for b in call.params.get("blocks") or [] if b["type"] == "actions"
            for e in b["elements"] if e["action_id"].startswith(prefix)]


def bold(text: str) -> list[str]:
    return re.findall(r"\*\*(.+?)\*\*", text)


# --- done when -----------------------------------------------------------------------------------


def test_a_signed_mention_gets_a_threaded_answer_with_the_figure_and_the_chart(bot, warehouse_settings, executor):
    expected = ask(CHART_QUESTION, AskContext(warehouse_settings, executor=executor))
    assert expected.answered and expected.chart and bold(expected.text)
    ts = bot.mention(CHART_QUESTION)

    complete = bot.fake.wait_for(lambda f: f.calls_to("files.completeUploadExternal"))[0]
    thinking = bot.thinking()[0]
    update = bot.fake.calls_to("chat.update")[0]
    assert thinking.params["channel"] == GENERAL and thinking.params["thread_ts"] == ts
    assert update.params["ts"] == thinking.response["ts"] and update.params["channel"] == GENERAL
    text = update.params["text"]
    assert text == slack_mrkdwn(expected.text)
    for shown in bold(expected.text):  # the figures, bold in Slack's way
        assert f"*{shown}*" in text and f"**{shown}**" not in text
    total = sum(value for _, value in expected.rows)
    assert f"{figure(total, 'usd')} in all" in text
    assert "this month (2026-10-01 to 2026-10-31)" in blocks_text(update)
    assert read_as_lines(update.params["blocks"]) == ["Read as: inference cost · per day · this month · trend"]
    assert button_values(update, "finops_follow_up") == expected.suggestions[:3]
    assert {"finops_feedback_good", "finops_feedback_bad", "finops_show_sql", "finops_save"} <= {
        e["action_id"] for b in update.params["blocks"] if b["type"] == "actions" for e in b["elements"]}

    url_call = bot.fake.calls_to("files.getUploadURLExternal")[0]
    upload = bot.fake.calls_to("upload")[0]
    assert url_call.params["filename"] == "chart.png" and int(url_call.params["length"]) == len(upload.body)
    assert upload.body.startswith(b"\x89PNG") and upload.params["file_id"] == url_call.response["file_id"]
    assert complete.params["channel_id"] == GENERAL and complete.params["thread_ts"] == ts
    assert json.loads(complete.params["files"])[0]["id"] == url_call.response["file_id"]


@pytest.mark.parametrize("headers", [
    pytest.param(lambda body: signed(body, secret="not-the-secret"), id="bad signature"),
    pytest.param(lambda body: signed(body, timestamp=int(time.time()) - 6 * 60), id="stale timestamp"),
    pytest.param(lambda body: {}, id="unsigned"),
])
def test_requests_slack_did_not_sign_get_401(bot, headers):
    event = {"type": "app_mention", "user": ALICE, "text": f"<@{BOT_USER_ID}> {TOTAL_QUESTION}", "ts": new_ts(),
             "channel": GENERAL}
    body = json.dumps({"type": "event_callback", "team_id": "T0FAKE", "event_id": "Ev1", "event": event})
    status, _ = bot.post(body, "application/json", headers(body))
    assert status == 401
    time.sleep(0.2)
    assert not bot.fake.calls_to("chat.postMessage")


# --- conversations -------------------------------------------------------------------------------


def test_a_reply_in_the_thread_follows_up_on_its_answer(bot, warehouse_settings, executor):
    first = ask(TOTAL_QUESTION, AskContext(warehouse_settings, executor=executor))
    expected = ask("and by model?", AskContext(warehouse_settings, executor=executor).after(first))
    assert expected.columns[0] == "model"
    root = bot.mention(TOTAL_QUESTION)
    bot.updates(1)
    bot.message("and by model?", GENERAL, "channel", thread_ts=root)
    update = bot.updates(2)[1]
    assert update.params["text"] == slack_mrkdwn(expected.text) and "gpt-4o" in update.params["text"]
    assert all(c.params["thread_ts"] == root for c in bot.thinking())

    # A follow-up button asks its question in the same thread, after that answer.
    suggestion = button_values(update, "finops_follow_up")[0]
    assert bot.action("finops_follow_up_0", suggestion, GENERAL, update.params["ts"], root) == 200
    third = bot.updates(3)[2]
    assert third.params["text"] == slack_mrkdwn(ask(suggestion, AskContext(warehouse_settings, executor=executor).after(expected)).text)
    assert len(bot.thinking()) == 3 and bot.thinking()[2].params["thread_ts"] == root


def test_channel_messages_outside_the_bots_threads_are_left_alone(bot):
    bot.message(TOTAL_QUESTION, GENERAL, "channel")
    bot.message(TOTAL_QUESTION, GENERAL, "channel", thread_ts=new_ts())
    time.sleep(0.3)
    assert not bot.fake.calls_to("chat.postMessage")


def test_a_direct_message_is_answered_in_its_thread_and_the_next_one_follows_up(bot, warehouse_settings, executor):
    first = ask(TOTAL_QUESTION, AskContext(warehouse_settings, executor=executor))
    by_model = ask("and by model?", AskContext(warehouse_settings, executor=executor).after(first))
    ts = bot.message(TOTAL_QUESTION, DM, "im")
    update = bot.updates(1)[0]
    assert update.params["channel"] == DM and bot.thinking()[0].params["thread_ts"] == ts
    assert update.params["text"] == slack_mrkdwn(first.text)
    bot.message("and by model?", DM, "im")
    assert bot.updates(2)[1].params["text"] == slack_mrkdwn(by_model.text)


def test_the_slash_command_acks_at_once_and_answers_in_a_thread_of_its_own(bot, warehouse_settings, executor):
    expected = ask(CHART_QUESTION, AskContext(warehouse_settings, executor=executor))
    form = {"token": "legacy", "team_id": "T0FAKE", "channel_id": GENERAL, "channel_name": "general",
            "user_id": ALICE, "user_name": "alice", "command": "/finops", "text": CHART_QUESTION,
            "response_url": "http://127.0.0.1:9/respond", "trigger_id": "1.2.3", "api_app_id": "A0FINOPS"}
    status, body = bot.post(urlencode(form), "application/x-www-form-urlencoded")
    assert status == 200 and "Working on it" in body
    complete = bot.fake.wait_for(lambda f: f.calls_to("files.completeUploadExternal"))[0]
    posted = bot.fake.calls_to("chat.postMessage")[0]
    assert "thread_ts" not in posted.params and f"<@{ALICE}> asked: {CHART_QUESTION}" == posted.params["text"]
    root = posted.response["ts"]
    assert bot.thinking()[0].params["thread_ts"] == root and complete.params["thread_ts"] == root
    assert bot.fake.calls_to("chat.update")[0].params["text"] == slack_mrkdwn(expected.text)


# --- scope, feedback, notebooks ------------------------------------------------------------------


def test_a_channel_mapped_to_a_team_sees_only_that_teams_figures(warehouse_settings, executor):
    policy = SlackPolicy(scopes={"channels": {CX_CHANNEL: "team=cx"}, "users": {PLATFORM_USER: "team=platform"}})

    def total(team: str | None) -> str:
        where = f" AND team = '{team}'" if team else ""
        value = executor.query("SELECT SUM(cost_usd) FROM llm_requests WHERE ts >= TIMESTAMP '2026-10-01' "
                               f"AND ts < TIMESTAMP '2026-11-01'{where}").rows[0][0]
        return f"*{figure(value, 'usd')}*"

    assert len({total("cx"), total("platform"), total(None)}) == 3
    with running_bot(warehouse_settings, executor, policy=policy) as bot:
        roots = [bot.mention(TOTAL_QUESTION, channel=CX_CHANNEL, user=PLATFORM_USER),  # the channel's scope wins
                 bot.mention(TOTAL_QUESTION, channel=GENERAL, user=PLATFORM_USER),  # unmapped channel: the person's
                 bot.mention(TOTAL_QUESTION, channel=GENERAL, user=ALICE)]  # neither: everything
        by_asker = [bot.answer_in(root) for root in roots]
    texts = [c.params["text"] for c in by_asker]
    assert total("cx") in texts[0] and "scope team=cx" in blocks_text(by_asker[0])
    assert total("platform") in texts[1] and "scope team=platform" in blocks_text(by_asker[1])
    assert total(None) in texts[2] and "scope" not in blocks_text(by_asker[2])
    scoped = ask(TOTAL_QUESTION, AskContext(warehouse_settings, executor=executor, scope=Scope.parse("team=cx")))
    assert texts[0] == slack_mrkdwn(scoped.text)


def test_require_scope_refuses_unmapped_channels_and_people(warehouse_settings, executor):
    policy = SlackPolicy(scopes={"channels": {CX_CHANNEL: "team=cx"}}, require_scope=True)
    with running_bot(warehouse_settings, executor, policy=policy) as bot:
        ts = bot.mention(TOTAL_QUESTION, channel=GENERAL)
        refusal = bot.fake.wait_for(lambda f: f.calls_to("chat.postMessage"))[0]
        assert refusal.params["thread_ts"] == ts and "no data scope" in refusal.params["text"]
        bot.mention(TOTAL_QUESTION, channel=CX_CHANNEL)
        assert "scope team=cx" in blocks_text(bot.updates(1)[0])


def test_thumbs_up_logs_feedback_and_teaches_an_example(home_copy, executor, memory):
    from assistant.quality.feedback import read_feedback

    with running_bot(home_copy, executor, memory=memory) as bot:
        root = bot.mention(TOTAL_QUESTION)
        update = bot.updates(1)[0]
        (answer_id,) = button_values(update, "finops_feedback_good")
        assert bot.action("finops_feedback_good", answer_id, GENERAL, update.params["ts"], root) == 200
        thanks = bot.fake.wait_for(lambda f: f.calls_to("chat.postEphemeral"))[0]
    assert thanks.params["user"] == ALICE and thanks.params["thread_ts"] == root and "example" in thanks.params["text"]
    (record,) = read_feedback(home_copy.home)
    assert (record["verdict"], record["channel"], record["learned"], record["question"]) == ("good", "slack", True, TOTAL_QUESTION)
    assert record["as_of"] == "2026-10-31"
    assert [question for question, _ in memory.confirmed_examples()] == [TOTAL_QUESTION]


def test_thumbs_up_on_a_scoped_answer_learns_it_without_the_scope(home_copy, executor, memory):
    from assistant.quality.feedback import read_feedback

    policy = SlackPolicy(scopes={"channels": {CX_CHANNEL: "team=cx"}})
    with running_bot(home_copy, executor, memory=memory, policy=policy) as bot:
        root = bot.mention(TOTAL_QUESTION, channel=CX_CHANNEL)
        update = bot.updates(1)[0]
        (answer_id,) = button_values(update, "finops_feedback_good")
        bot.action("finops_feedback_good", answer_id, CX_CHANNEL, update.params["ts"], root)
        bot.fake.wait_for(lambda f: f.calls_to("chat.postEphemeral"))
    (record,) = read_feedback(home_copy.home)
    assert (record["verdict"], record["learned"], record["channel"], record["scope"]) == ("good", True, "slack", "team=cx")
    assert "'cx'" in record["sql"]  # what was answered was cx's rows ...
    ((question, sql),) = memory.confirmed_examples()
    assert question == TOTAL_QUESTION
    assert "cx" not in sql and "team" not in sql.lower()  # ... what is learned serves everyone, each under their own scope
    from assistant.quality.feedback import as_written

    unscoped = ask(TOTAL_QUESTION, AskContext(home_copy, executor=executor))
    assert sql == as_written(unscoped.sql, home_copy.max_rows)


def test_a_doubled_or_retried_event_is_answered_once(bot):
    root = bot.mention(TOTAL_QUESTION)
    bot.updates(1)
    # A mention inside the bot's thread arrives twice (app_mention and message), and Slack may retry either.
    ts = new_ts()
    text = f"<@{BOT_USER_ID}> and by model?"
    for kind in ("app_mention", "message", "app_mention"):
        event = {"type": kind, "user": ALICE, "text": text, "ts": ts, "channel": GENERAL, "thread_ts": root,
                 "channel_type": "channel", "event_ts": ts}
        assert bot.event(event)[0] == 200
    bot.updates(2)
    time.sleep(0.3)
    assert len(bot.thinking()) == 2 and len(bot.fake.calls_to("chat.update")) == 2


def test_sql_and_save_buttons(home_copy, executor):
    from ui.notebooks.runner import list_notebooks

    with running_bot(home_copy, executor) as bot:
        root = bot.mention(TOTAL_QUESTION)
        update = bot.updates(1)[0]
        (answer_id,) = button_values(update, "finops_show_sql")
        bot.action("finops_show_sql", answer_id, GENERAL, update.params["ts"], root)
        sql = bot.fake.wait_for(lambda f: [c for c in f.calls_to("chat.postMessage") if c.params["text"].startswith("```")])[0]
        bot.action("finops_save", answer_id, GENERAL, update.params["ts"], root)
        saved = bot.fake.wait_for(lambda f: f.calls_to("chat.postEphemeral"))[0]
        bot.action("finops_save", "forgotten-id", GENERAL, update.params["ts"], root)
        forgot = bot.fake.wait_for(lambda f: len(f.calls_to("chat.postEphemeral")) > 1 and f.calls_to("chat.postEphemeral"))[1]
    assert sql.params["thread_ts"] == root and "SELECT SUM(cost_usd)" in sql.params["text"]
    assert "Saved to the notebook" in saved.params["text"]
    assert [q.question for n in list_notebooks(home_copy.home) for q in n.questions] == [TOTAL_QUESTION]
    assert "no longer remember" in forgot.params["text"]


# --- failures and limits -------------------------------------------------------------------------


def test_an_unanswerable_question_gets_a_short_reply_saying_what_to_try(bot, warehouse_settings, executor):
    expected = ask("what is the meaning of life?", AskContext(warehouse_settings, executor=executor))
    assert not expected.answered
    bot.mention("what is the meaning of life?")
    update = bot.updates(1)[0]
    text = update.params["text"]
    assert expected.error.message in text and all(s in text for s in expected.suggestions)
    assert "Traceback" not in text and button_values(update, "finops_follow_up") == expected.suggestions[:3]
    assert not bot.fake.calls_to("files.getUploadURLExternal")


def test_a_failure_inside_the_bot_is_a_plain_reply_with_a_request_id(bot, monkeypatch):
    import ui.slack.bot

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ui.slack.bot, "ask", broken)
    bot.mention(TOTAL_QUESTION)
    text = bot.updates(1)[0].params["text"]
    assert "went wrong on our side (request " in text and "boom" not in text


def test_the_question_past_the_rate_limit_gets_a_slow_down_reply(warehouse_settings, executor):
    with running_bot(warehouse_settings, executor, policy=SlackPolicy(rate_limit_per_minute=2)) as bot:
        for _ in range(2):
            bot.mention(TOTAL_QUESTION)
        bot.updates(2)
        third = bot.mention(TOTAL_QUESTION)
        slow = bot.fake.wait_for(lambda f: [c for c in f.calls_to("chat.postMessage") if "Slow down" in c.params["text"]])[0]
        bot.mention(TOTAL_QUESTION, user=PLATFORM_USER)  # someone else is not held back
        bot.updates(3)
    assert slow.params["thread_ts"] == third and "2 questions a minute" in slow.params["text"]
    assert len(bot.thinking()) == 3


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing, named", [
    ({"slack_bot_token": None}, "SLACK_BOT_TOKEN"),
    ({"slack_signing_secret": None}, "SLACK_SIGNING_SECRET"),
])
def test_a_missing_token_or_secret_is_a_finops_error_naming_the_setting(warehouse_settings, missing, named):
    settings = warehouse_settings.model_copy(update={"slack_bot_token": TOKEN, "slack_signing_secret": SECRET,
                                                     "slack_api_url": "http://127.0.0.1:9/api/", **missing})
    for start in (lambda: build_app(settings), lambda: serve_slack(settings, port=0, host="127.0.0.1")):
        with pytest.raises(FinopsError, match=named):
            start()


def test_a_token_slack_refuses_is_a_finops_error(warehouse_settings, executor):
    with FakeSlack(token="xoxb-another") as fake, pytest.raises(SettingsError, match="SLACK_BOT_TOKEN.*invalid_auth"):
        build_app(slack_settings(warehouse_settings, fake), executor)


def test_socket_mode_when_the_app_token_is_set_needs_no_signing_secret(warehouse_settings, monkeypatch):
    from slack_bolt.adapter import socket_mode

    started = []

    class Handler:
        def __init__(self, app, app_token):
            started.append((app, app_token))

        def start(self):
            started.append("started")

    monkeypatch.setattr(socket_mode, "SocketModeHandler", Handler)
    with FakeSlack() as fake:
        settings = slack_settings(warehouse_settings, fake, slack_signing_secret=None, slack_app_token="xapp-1-test")
        serve_slack(settings, port=0, host="127.0.0.1")
    assert started[0][1] == "xapp-1-test" and started[1] == "started"
    assert [c.method for c in fake.calls] == ["auth.test"]


@pytest.mark.parametrize("text, problem", [
    ("scopes:\n  channels: {C1: team=cx}\n  users: {U1: feature=summarize}\nrate_limit_per_minute: 3\n", None),
    ("", None),
    ("scopes:\n  channels: {C1: teams=cx}\n", "scopes.channels: C1: Scopes can limit by"),
    ("scopes:\n  channels: {C1: cx}\n", "C1: A scope is written DIMENSION=VALUE"),
    ("scope:\n  channels: {C1: team=cx}\n", "scope: Extra inputs are not permitted"),
    ("rate_limit_per_minute: 0\n", "rate_limit_per_minute: Input should be greater than or equal to 1"),
    ("scopes: [\n", "is not valid YAML"),
])
def test_slack_yaml_is_checked_with_errors_naming_the_file_and_key(tmp_path, text, problem):
    path = tmp_path / "slack.yaml"
    path.write_text(text)
    if problem is None:
        policy = load_policy(path)
        assert policy.scope_for("C1", "U1") in (Scope("team", "cx"), None)
        return
    with pytest.raises(SettingsError) as error:
        load_policy(path)
    assert str(path) in error.value.user_message and problem in error.value.user_message


def test_slack_yaml_in_finops_home_is_read_by_build_app(home_copy, executor):
    (home_copy.home / "slack.yaml").write_text("scopes:\n  channels: {C0CX: team=cx}\n")
    with FakeSlack() as fake:
        app = build_app(slack_settings(home_copy, fake), executor)
        with EventsServer(app) as server:
            bot = Harness(fake, server.url)
            bot.mention(TOTAL_QUESTION, channel=CX_CHANNEL)
            assert "scope team=cx" in blocks_text(bot.updates(1)[0])


# --- text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("question, reading", [
    (TOTAL_QUESTION, "Read as: inference cost · this month"),
    ("inference cost by model last week for team cx", "Read as: inference cost · by model · team is cx · last week"),
    ("what is our llm spend on the moon last week", "Read as: inference cost · last week"),  # partly understood
    ("what is the meaning of life?", None),  # nothing was read: no line
], ids=["total", "filtered", "partly-understood", "not-understood"])
def test_the_reply_says_how_the_question_was_read(warehouse_settings, executor, question, reading):
    answer = ask(question, AskContext(warehouse_settings, executor=executor))
    _, blocks = answer_message(answer, "answer-1", None)
    assert read_as_lines(blocks) == ([reading] if reading else [])
    if reading:  # under the answer (or the note), above the buttons
        kinds = [b["type"] for b in blocks]
        at = next(n for n, b in enumerate(blocks) if read_as_lines([b]))
        assert kinds[at - 1] == "section" and "actions" not in kinds[:at]


@pytest.mark.parametrize("markdown, mrkdwn", [
    ("Inference cost was **$1.37**.", "Inference cost was *$1.37*."),
    ("**gpt-4o** led with **$1.05**", "*gpt-4o* led with *$1.05*"),
    ("_inference cost = sum of llm_requests.cost_usd._", "_inference cost = sum of llm_requests.cost_usd._"),
    ("team <cx> & R&D", "team &lt;cx&gt; &amp; R&amp;D"),
    ("a *subtle* point", "a _subtle_ point"),
    ("## Top features\n- summarize\n- support-chat", "*Top features*\n• summarize\n• support-chat"),
    ("see [the docs](https://example.com/a)", "see <https://example.com/a|the docs>"),
    ("2 * 3 = 6", "2 * 3 = 6"),
])
def test_markdown_becomes_slack_mrkdwn(markdown, mrkdwn):
    assert slack_mrkdwn(markdown) == mrkdwn


@pytest.mark.parametrize("typed, question", [
    (f"<@{BOT_USER_ID}> daily inference cost this month", "daily inference cost this month"),
    (f"<@{BOT_USER_ID}|finops>   cost for <#C1|cx-team>?", "cost for #cx-team?"),
    ("spend &lt; $5 &amp; rising", "spend < $5 & rising"),
])
def test_what_was_typed_becomes_the_question(typed, question):
    assert question_text(typed, BOT_USER_ID) == question


@pytest.mark.parametrize("module", ["ui.slack.policy", "ui.slack.ratelimit", "ui.slack.render"])
def test_the_modules_doctests(module):
    """ui/ is outside pytest's doctest paths (its pages run on import), so its doctests run here."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
