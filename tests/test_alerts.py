"""`finops alerts run`: alerts.yaml, what is open, and posting once to a fake Slack, across restarts.

The warehouse is Pico Legal (tests/small_company.py): contract-review's prompts
grow from Monday 2026-09-28, its cost per request crosses its $0.10 ceiling, the
legal budget is projected over in October and ops closed September over its
cap. Dollar figures are recomputed here from the generated rows. Every
`run_alerts` call opens a new executor and a new state, as a new process would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pytest

from assistant.alerts.state import state_path
from tests.conftest import make_settings
from tests.fake_slack import TOKEN, FakeSlack
from tests.small_company import BUDGETS, CEILINGS, GROWTH_DAY, requests_table, write_small_company
from ui.alerts.run import run_alerts
from ui.slack.bot import SlackBot
from ui.slack.policy import SlackPolicy
from warehouse.errors import SettingsError
from warehouse.ingest import ingest

ROOT = Path(__file__).parent.parent
EARLY, LATE = date(2026, 10, 5), date(2026, 10, 12)  # a week into the incident, and two
ALERTS_YAML = """
channels:
  C0FINOPS: {kinds: [anomaly, budget, ceiling, idle_gpu, reconciliation], min_impact_usd: 0}
  C0OPS: {kinds: [anomaly, budget], scope: team=ops}
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    """The company ingested once; each test copies it."""
    root = tmp_path_factory.mktemp("alerts-company")
    settings = make_settings(root / "home", threads=2, memory_limit="1GB")
    assert not ingest([write_small_company(root / "data")], settings).refused
    return settings.home


@pytest.fixture
def home(tmp_path, loaded) -> Path:
    """A fresh FINOPS_HOME with the company loaded and alerts.yaml written (no alert state yet)."""
    shutil.copytree(loaded, tmp_path / "home")
    (tmp_path / "home" / "alerts.yaml").write_text(ALERTS_YAML)
    return tmp_path / "home"


def settings_for(home: Path, fake: FakeSlack | None = None, token: str = TOKEN):
    slack = {"slack_bot_token": token, "slack_api_url": fake.api_url} if fake else {}
    return make_settings(home, threads=2, memory_limit="1GB", **slack)


@pytest.fixture(scope="module")
def spend() -> dict[tuple[str, str, date], tuple[float, int]]:
    """(team, feature, day) -> (dollars, requests), summed from the generated rows."""
    table = requests_table()
    out: dict[tuple[str, str, date], tuple[float, int]] = {}
    days = pc.cast(table["ts"], "date32").to_pylist()
    for team, feature, day, cost in zip(table["team"].to_pylist(), table["feature"].to_pylist(), days,
                                        table["cost_usd"].to_pylist()):
        dollars, count = out.get((team, feature, day), (0.0, 0))
        out[(team, feature, day)] = (dollars + cost, count + 1)
    return out


# ---------------------------------------------------------------- alerts.yaml


@pytest.mark.parametrize("content, problem", [
    (None, "alerts.yaml not found"),
    ("channels: [", "is not valid YAML"),
    ("- C0FINOPS\n", "must be a mapping"),
    ("channels: {}\n", "channels"),
    ("channels: {C1: {kinds: [anomaly, fire]}}\n", "unknown kind 'fire'"),
    ("channels: {C1: {kinds: []}}\n", "at least one kind"),
    ("channels: {C1: {scope: owner=me}}\n", "Scopes can limit by"),
    ("channels: {C1: {min_impact_usd: -1}}\n", "min_impact_usd"),
    ("channels: {C1: {}}\nfrequency: 3\n", "frequency"),
    ("channels: {C1: {kind: [budget]}}\n", "kind"),
])
def test_a_bad_alerts_yaml_is_bad_settings_naming_the_file_and_the_problem(tmp_path, content, problem):
    home = tmp_path / "home"  # alerts.yaml is read before the warehouse is opened
    home.mkdir()
    if content is not None:
        (home / "alerts.yaml").write_text(content)
    with pytest.raises(SettingsError) as caught:
        run_alerts(settings_for(home), dry_run=True)
    assert "alerts.yaml" in caught.value.user_message and problem in caught.value.user_message


def _cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("FINOPS_", "OPENAI_", "SLACK_"))}
    environment.update({"FINOPS_HOME": str(home), "FINOPS_THREADS": "2", **env})
    return subprocess.run([sys.executable, "-m", "ui.cli", "alerts", "run", *args], capture_output=True, text=True,
                          env=environment, timeout=120, cwd=ROOT)


def test_cli_exit_codes_and_the_dry_run_json(home):
    dry = _cli(home, "--dry-run", "--json", "--as-of", EARLY.isoformat())  # no Slack settings at all
    assert dry.returncode == 0, dry.stderr
    payload = json.loads(dry.stdout)
    assert payload["alerts"] and {a["status"] for a in payload["alerts"]} == {"new"}
    assert all(set(a) >= {"id", "kind", "channel", "text", "impact_usd", "status"} for a in payload["alerts"])
    assert not state_path(home).exists()  # a dry run records nothing
    no_token = _cli(home, "--as-of", EARLY.isoformat())
    assert no_token.returncode == 2 and "SLACK_BOT_TOKEN" in no_token.stderr and "Traceback" not in no_token.stderr
    (home / "alerts.yaml").write_text("channels: {C1: {kinds: [anomaly, fire]}}\n")
    bad = _cli(home, "--dry-run", "--json")
    assert bad.returncode == 2 and "alerts.yaml" in bad.stderr and "fire" in bad.stderr, bad.stderr


# ---------------------------------------------------------------- what is open


def test_dry_run_lists_each_open_incident_per_channel_with_figures_from_the_rows(home, spend):
    run = run_alerts(settings_for(home), as_of=EARLY, dry_run=True)
    got = {(p.channel, p.id): p for p in run.plan.planned}
    growth = GROWTH_DAY.isoformat()
    assert set(got) == {
        ("C0FINOPS", f"anomaly:inference_cost:feature=contract-review:{growth}"),
        ("C0FINOPS", f"ceiling:cost_per_request:feature=contract-review:{growth}"),
        ("C0FINOPS", "budget:budget_inference_cost:team=legal:2026-10-01"),  # projected over
        ("C0FINOPS", "budget:budget_inference_cost:team=ops:2026-10-01"),
        ("C0FINOPS", "budget:budget_inference_cost:team=ops:2026-09-01"),  # the month that just closed over
        ("C0OPS", "budget:budget_inference_cost:team=ops:2026-10-01"),  # team=ops sees only its own
        ("C0OPS", "budget:budget_inference_cost:team=ops:2026-09-01"),
    }
    assert {p.status for p in got.values()} == {"new"}
    ceiling = CEILINGS["contract-review"]
    over = sum(d - ceiling * n for (_, f, day), (d, n) in spend.items() if f == "contract-review" and GROWTH_DAY <= day < EARLY)
    assert got[("C0FINOPS", f"ceiling:cost_per_request:feature=contract-review:{growth}")].alert.impact_usd == \
        pytest.approx(over, abs=0.01)
    september = sum(d for (team, _, day), (d, _) in spend.items() if team == "ops" and day.month == 9)
    closed = got[("C0OPS", "budget:budget_inference_cost:team=ops:2026-09-01")].alert
    assert closed.impact_usd == pytest.approx(september - BUDGETS["ops"], abs=0.01) and closed.stage == "closed"
    legal = sum(d for (team, _, day), (d, _) in spend.items() if team == "legal" and date(2026, 10, 1) <= day < EARLY)
    assert legal < BUDGETS["legal"]  # not over yet, so "projected"
    assert got[("C0FINOPS", "budget:budget_inference_cost:team=legal:2026-10-01")].alert.stage == "projected"
    anomaly = got[("C0FINOPS", f"anomaly:inference_cost:feature=contract-review:{growth}")].alert
    assert anomaly.figure.startswith("*+$") and "prompt size" in anomaly.cause


def test_min_impact_keeps_the_smaller_incidents_out(home):
    (home / "alerts.yaml").write_text("channels: {C0BIG: {min_impact_usd: 150}, C0ALL: {}}\n")
    plan = run_alerts(settings_for(home), as_of=EARLY, dry_run=True).plan
    every = {p.id: p.alert.impact_usd for p in plan.planned if p.channel == "C0ALL"}
    assert {p.id for p in plan.planned if p.channel == "C0BIG"} == {i for i, usd in every.items() if abs(usd) >= 150}
    assert 0 < len([usd for usd in every.values() if abs(usd) >= 150]) < len(every)


# ---------------------------------------------------------------- posting once, updating, muting


def _top_level(fake: FakeSlack) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if not c.params.get("thread_ts")]


def _buttons(call) -> dict[str, str]:
    blocks = call.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}


def test_each_incident_is_posted_once_updated_in_its_thread_and_muted_for_good(home):
    with FakeSlack() as fake:
        first = run_alerts(settings_for(home, fake), as_of=EARLY)
        posts = _top_level(fake)
        assert len(posts) == len(first.plan.planned) == len(first.result.posted) == 7 and not first.result.failed
        ts_of = {(c.params["channel"], _buttons(c)["finops_alert_mute"]): c.response["ts"] for c in posts}
        assert all(set(_buttons(c)) == {"finops_follow_up_0", "finops_alert_mute"} for c in posts)
        assert all(c.params["text"].startswith(":rotating_light:") and "$" in c.params["text"] for c in posts)
        uploads = fake.calls_to("files.completeUploadExternal")
        assert uploads and all(c.params.get("thread_ts") in ts_of.values() for c in uploads)  # charts in threads

        again = run_alerts(settings_for(home, fake), as_of=EARLY)  # a second run (a new process): nothing new
        assert {p.status for p in again.plan.planned} == {"unchanged"}
        assert len(fake.calls_to("chat.postMessage")) == len(posts)

        ceiling = next(key for key in ts_of if key[1].startswith("ceiling:") and key[0] == "C0FINOPS")
        bot = SlackBot(settings_for(home, fake), None, None, SlackPolicy())  # the bot, after its own restart
        from slack_sdk import WebClient

        client = WebClient(token=TOKEN, base_url=fake.api_url)
        bot.mute_alert(client, {"user": {"id": "U0ALICE"}, "channel": {"id": ceiling[0]},
                                "message": {"ts": ts_of[ceiling]}}, {"value": ceiling[1]})
        assert "Muted" in fake.calls_to("chat.postEphemeral")[-1].params["text"]

        before = len(fake.calls_to("chat.postMessage"))
        later = run_alerts(settings_for(home, fake), as_of=LATE)  # a week on: the incident grew
        status = {(p.channel, p.id): p.status for p in later.plan.planned}
        anomaly = next(key for key in ts_of if key[1].startswith("anomaly:"))
        assert status[anomaly] == "update" and ceiling not in status and ceiling in later.plan.muted
        new_posts = fake.calls_to("chat.postMessage")[before:]
        threaded = [c for c in new_posts if c.params.get("thread_ts") == ts_of[anomaly]]
        assert len(threaded) == 1 and threaded[0].params["text"].startswith(":arrow_up: Update")
        assert any(c.params["ts"] == ts_of[anomaly] for c in fake.calls_to("chat.update"))  # the head shows it too
        assert not [c for c in new_posts if c.params.get("thread_ts") == ts_of[ceiling]]
        reposted = {(c.params["channel"], _buttons(c)["finops_alert_mute"]) for c in new_posts if not c.params.get("thread_ts")}
        assert not reposted & set(ts_of)  # nothing posted before is posted again as new

        count = len(fake.calls_to("chat.postMessage"))
        last = run_alerts(settings_for(home, fake), as_of=LATE)
        assert len(fake.calls_to("chat.postMessage")) == count and {p.status for p in last.plan.planned} == {"unchanged"}


class FlakySlack(FakeSlack):
    """A fake Slack that refuses posts to the channels in `failing`."""

    failing: set[str] = set()

    def _chat_postMessage(self, params: dict) -> dict:
        if params.get("channel") in self.failing:
            return {"ok": False, "error": "channel_not_found"}
        return super()._chat_postMessage(params)


def test_slack_errors_lose_no_state_and_never_double_post(home):
    with FlakySlack() as fake:
        refused = run_alerts(settings_for(home, fake, token="xoxb-wrong"), as_of=EARLY)  # every call refused
        assert len(refused.result.failed) == 7 and not refused.result.posted
        assert {reason for *_, reason in refused.result.failed} == {"invalid_auth"}
        fake.failing = {"C0OPS"}
        partly = run_alerts(settings_for(home, fake), as_of=EARLY)
        assert {p.status for p in partly.plan.planned} == {"new"}  # the refused run recorded nothing
        assert {c for c, _, _ in partly.result.failed} == {"C0OPS"}
        assert {reason for *_, reason in partly.result.failed} == {"channel_not_found"}
        posted = {c.params["channel"] for c in _top_level(fake) if c.response["ok"]}
        assert posted == {"C0FINOPS"}
        fake.failing = set()
        retried = run_alerts(settings_for(home, fake), as_of=EARLY)
        status = {(p.channel, p.status) for p in retried.plan.planned}
        assert status == {("C0OPS", "new"), ("C0FINOPS", "unchanged")}
        ok_posts = [c for c in _top_level(fake) if c.response["ok"]]
        assert len(ok_posts) == 7  # 5 in C0FINOPS once, then the 2 of C0OPS


def test_the_cli_exits_2_when_slack_refuses_and_posts_them_on_the_next_run(home):
    with FlakySlack() as fake:
        fake.failing = {"C0OPS"}
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.api_url}
        first = _cli(home, "--json", "--as-of", EARLY.isoformat(), **env)
        assert first.returncode == 2 and "C0OPS" in first.stderr and "channel_not_found" in first.stderr
        fake.failing = set()
        second = _cli(home, "--json", "--as-of", EARLY.isoformat(), **env)  # a new process: the state is on disk
        assert second.returncode == 0, second.stderr
        statuses = {(a["channel"], a["status"]) for a in json.loads(second.stdout)["alerts"]}
        assert statuses == {("C0OPS", "new"), ("C0FINOPS", "unchanged")}
        assert len([c for c in _top_level(fake) if c.response["ok"]]) == 7


def test_the_grown_incident_keeps_its_first_id(home):
    """The anomaly's start may move as data arrives; the incident keeps the id it was first posted with."""
    with FakeSlack() as fake:
        run_alerts(settings_for(home, fake), as_of=EARLY - timedelta(days=3))
        ids = {p.id for p in run_alerts(settings_for(home, fake), as_of=LATE).plan.planned if p.alert.kind == "anomaly"}
    assert ids == {f"anomaly:inference_cost:feature=contract-review:{GROWTH_DAY.isoformat()}"}


def test_the_bots_schedule_posts_at_start_and_shares_the_state_with_cron(home):
    from slack_sdk import WebClient

    from ui.alerts.schedule import start_alert_schedule

    (home / "alerts.yaml").write_text(ALERTS_YAML + "schedule_minutes: 60\n")
    with FakeSlack() as fake:
        settings = settings_for(home, fake).model_copy(update={"as_of": EARLY})
        schedule = start_alert_schedule(settings, WebClient(token=TOKEN, base_url=fake.api_url))
        assert schedule is not None
        try:
            fake.wait_for(lambda f: schedule.runs >= 1, timeout=60)
        finally:
            schedule.stop()
        assert len(_top_level(fake)) == 7
        cron = run_alerts(settings_for(home, fake), as_of=EARLY)  # a cron run after it: nothing new
        assert {p.status for p in cron.plan.planned} == {"unchanged"} and len(_top_level(fake)) == 7
    (home / "alerts.yaml").write_text(ALERTS_YAML)
    assert start_alert_schedule(settings, WebClient(token=TOKEN, base_url="http://127.0.0.1:9/api/")) is None


def test_a_notebook_with_alerts_true_ends_its_report_with_the_open_alerts(home, tmp_path):
    from ui.notebooks.runner import load_notebook, run_notebook

    path = tmp_path / "weekly.yaml"
    path.write_text(f"title: Weekly\nas_of: '{EARLY.isoformat()}'\nquestions: [inference cost last week]\nalerts: true\n")
    assert load_notebook(path).alerts
    run = run_notebook(path, settings_for(home), "md", tmp_path / "out")
    last = run.results[-1]
    assert last.question == "Open alerts" and last.answer.answered
    planned = run_alerts(settings_for(home), as_of=EARLY, dry_run=True).plan.planned
    assert {row[5] for row in last.answer.rows} == {p.alert.figure.replace("*", "") for p in planned}
    assert "open alerts" in run.report.read_text() and not state_path(home).exists()
    path.write_text("title: Weekly\nquestions: [inference cost last week]\nalerts: sometimes\n")
    from ui.notebooks.runner import NotebookError

    with pytest.raises(NotebookError, match="alerts"):
        load_notebook(path)


# ---------------------------------------------------------------- idle GPUs and tracked vs billed (the tiny warehouse)


@pytest.mark.parametrize("min_usd, alerted", [(0.0, True), (900.0, True), (1000.0, False)])
def test_idle_gpu_capacity_above_the_threshold_is_alerted(executor, warehouse_settings, min_usd, alerted):
    from assistant.alerts.find import idle_gpu_alerts
    from tests.tiny_data import gpu_rows

    idle = [r for r in gpu_rows() if r["deployment"] is None or r["gpu_util_pct"] < warehouse_settings.idle_gpu_util_pct]
    per_day = sum(r["cost_usd"] * (1 - r["gpu_util_pct"] / 100) for r in idle) / 2  # two days of hours
    found = idle_gpu_alerts(executor, warehouse_settings, as_of=date(2026, 10, 3), scope=None, min_usd=min_usd)
    assert bool(found) is alerted and (per_day > min_usd) is alerted
    if alerted:
        (alert,) = found
        assert (alert.kind, alert.dimension, alert.value, alert.start, alert.end) == (
            "idle_gpu", "cluster", "gpu-prod", date(2026, 10, 1), date(2026, 10, 3))
        assert alert.impact_usd == pytest.approx(2 * per_day)


def test_last_months_tracked_vs_billed_gap_is_alerted_per_provider(executor, warehouse_settings):
    from assistant.alerts.find import reconciliation_alerts
    from tests.tiny_data import llm_rows, request_cost, vendor_rows

    def cost(r: dict) -> float:  # rows logged without a cost are priced at ingest
        if r["cost_usd"] is not None:
            return r["cost_usd"]
        return request_cost(r["provider"], r["model"], r["ts"], r["input_tokens"], r["cached_input_tokens"],
                            r["output_tokens"])

    tracked = sum(cost(r) for r in llm_rows() if r["provider"] == "openai" and r["ts"].month == 10)
    billed = sum(r["cost_usd"] or 0.0 for r in vendor_rows() if r["provider"] == "openai")
    found = {a.value: a for a in reconciliation_alerts(executor, warehouse_settings, as_of=date(2026, 11, 5),
                                                       scope=None, min_pct=5.0)}
    assert found["openai"].impact_usd == pytest.approx(abs(tracked - billed), abs=0.01)
    assert found["openai"].start == date(2026, 10, 1) and found["openai"].id.startswith("reconciliation:")
    huge = reconciliation_alerts(executor, warehouse_settings, as_of=date(2026, 11, 5), scope=None, min_pct=1e9)
    assert huge == []
