"""The Slack bot after a restart: its answers, threads, events taken and feedback live in FINOPS_HOME.

A bot answers, is stopped, and a new bot (new process state, new fake Slack)
starts on the same FINOPS_HOME: the old answer's buttons still work, a reply in
the old thread is still a follow-up to its answer, and Slack redelivering the
first event does not get it answered twice. What is expected is what `ask()`
says about the same questions.
"""

from __future__ import annotations

import shutil
import time

import pytest

from assistant.answer import AskContext
from assistant.ask import ask
from tests.fake_slack import BOT_USER_ID
from tests.test_slack import ALICE, GENERAL, TOTAL_QUESTION, button_values, running_bot
from ui.slack.render import slack_mrkdwn
from ui.slack.store import SlackStore, plan_from_json, store_path


@pytest.fixture
def own_home(warehouse_settings, tmp_path):
    shutil.copytree(warehouse_settings.home, tmp_path / "home")
    return warehouse_settings.model_copy(update={"home": tmp_path / "home"})


def test_buttons_follow_ups_and_duplicates_survive_a_restart(own_home, executor):
    with running_bot(own_home, executor) as first_bot:
        root = first_bot.mention(TOTAL_QUESTION)
        update = first_bot.updates(1)[0]
        (answer_id,) = button_values(update, "finops_show_sql")
        mention = {"type": "app_mention", "user": ALICE, "text": f"<@{BOT_USER_ID}> {TOTAL_QUESTION}", "ts": root,
                   "channel": GENERAL, "event_ts": root}
    assert store_path(own_home.home).exists()

    first = ask(TOTAL_QUESTION, AskContext(own_home, executor=executor))
    expected = ask("and by model?", AskContext(own_home, executor=executor).after(first))
    assert expected.columns[0] == "model"
    with running_bot(own_home, executor) as bot:  # a new bot on the same FINOPS_HOME
        assert bot.event(mention)[0] == 200  # Slack redelivers the first question: taken already
        bot.action("finops_show_sql", answer_id, GENERAL, update.params["ts"], root)
        sql = bot.fake.wait_for(lambda f: [c for c in f.calls_to("chat.postMessage") if c.params["text"].startswith("```")])[0]
        assert sql.params["thread_ts"] == root and "SELECT SUM(cost_usd)" in sql.params["text"]
        assert not bot.fake.calls_to("chat.postEphemeral")  # not "I no longer remember that answer"

        bot.message("and by model?", GENERAL, "channel", thread_ts=root)  # the old thread: still a follow-up
        follow = bot.updates(1)[0]
        assert follow.params["text"] == slack_mrkdwn(expected.text)
        time.sleep(0.3)
        assert len(bot.thinking()) == 1  # only the follow-up was answered, not the redelivered mention

        bot.action("finops_feedback_bad", answer_id, GENERAL, update.params["ts"], root)
        bot.fake.wait_for(lambda f: f.calls_to("chat.postEphemeral"))
        bot.action("finops_feedback_bad", answer_id, GENERAL, update.params["ts"], root)
        again = bot.fake.wait_for(lambda f: len(f.calls_to("chat.postEphemeral")) > 1 and f.calls_to("chat.postEphemeral"))[1]
        assert "already" in again.params["text"]


def test_the_store_keeps_plans_exactly(own_home, executor):
    answer = ask("inference cost by feature last week", AskContext(own_home, executor=executor))
    store = SlackStore(own_home.home)
    store.put_thread("C1", "1.0", answer)
    back = store.thread_answer("C1", "1.0")
    assert back is not None and back.plan == answer.plan and back.text == answer.text
    assert plan_from_json  # the plan's JSON round trip is what follow-ups rely on
    assert store.claim_event("C1", "2.0") and not store.claim_event("C1", "2.0")
    assert not SlackStore(own_home.home).claim_event("C1", "2.0")  # a second connection (another process) agrees
    store.close()


def test_the_mute_button_under_an_alert_mutes_it_for_good(own_home, executor):
    from assistant.alerts import AlertState

    incident = "anomaly:inference_cost:feature=support-chat:2026-10-20"
    with running_bot(own_home, executor) as bot:
        assert bot.action("finops_alert_mute", incident, GENERAL, "1770000000.000001", "1770000000.000001") == 200
        reply = bot.fake.wait_for(lambda f: f.calls_to("chat.postEphemeral"))[0]
    assert "Muted" in reply.params["text"] and reply.params["user"] == ALICE
    with AlertState(own_home.home, read_only=True) as state:  # read after the bot is gone
        assert state.is_muted(GENERAL, incident) and not state.is_muted("C0OTHER", incident)
