"""The chat page through Streamlit's AppTest: answers with charts, follow-ups, errors, feedback,
suggestions, saving to a notebook, and the sidebar. Figures are checked against SQL of our own."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parent.parent / "ui" / "chat" / "app.py")


@pytest.fixture
def home(warehouse_settings, tmp_path, monkeypatch):
    """A copy of the session warehouse: the page writes feedback, notebooks and chromadb beside it."""
    import shutil

    copy = tmp_path / "home"
    shutil.copytree(warehouse_settings.home, copy)
    monkeypatch.setenv("FINOPS_HOME", str(copy))
    for name in ("FINOPS_AS_OF", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return copy


def page() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception, app.exception
    return app


def ask(app: AppTest, question: str) -> AppTest:
    app.chat_input[0].set_value(question).run()
    assert not app.exception, app.exception
    return app


def sql_rows(executor, sql: str) -> list[tuple]:
    return executor.query(sql).rows


def last_answer(app: AppTest):
    return app.chat_message[-1]


def test_a_question_gets_figure_chart_table_sql_and_its_cost(home, executor):
    app = ask(page(), "daily inference cost this month")
    answer = last_answer(app)
    expected = sql_rows(executor, "SELECT sum(cost_usd) FROM llm_requests WHERE ts >= '2026-10-01' AND ts < '2026-11-01'")[0][0]
    assert f"${expected:,.2f}" in answer.markdown[0].value
    assert len(answer.get("vega_lite_chart")) == 1
    assert answer.get("vega_lite_chart")[0].proto.spec  # the spec is there, data inlined
    assert len(answer.dataframe) == 1 and len(answer.dataframe[0].value) == 30
    assert [e.label for e in answer.expander] == ["SQL"]
    assert answer.code[0].value.startswith("SELECT")
    captions = [c.value for c in answer.caption]
    assert any("this month (2026-10-01 to 2026-10-31)" in c for c in captions)
    assert any(c.startswith("planner · ") and "no model cost" in c for c in captions)
    assert len(answer.get("download_button")) == 1


def test_a_follow_up_edits_the_previous_question(home, executor):
    app = ask(ask(page(), "requests by team this month"), "and by model?")
    follow_up = last_answer(app)
    expected = sql_rows(executor, "SELECT model, count(*) AS n FROM llm_requests WHERE ts >= '2026-10-01' "
                                  "AND ts < '2026-11-01' GROUP BY model ORDER BY n DESC, model")
    frame = follow_up.dataframe[0].value
    assert list(zip(frame.iloc[:, 0], frame.iloc[:, 1])) == [(m, n) for m, n in expected]
    assert "by model" in follow_up.markdown[0].value


def test_an_unanswerable_question_gets_a_friendly_note(home):
    app = ask(page(), "write me a poem about clouds")
    answer = last_answer(app)
    assert len(answer.info) == 1 and answer.info[0].value
    assert "Traceback" not in answer.info[0].value
    assert not answer.get("vega_lite_chart") and not answer.dataframe


def test_a_suggestion_button_asks_its_question(home):
    app = ask(page(), "requests by team this month")
    suggestion = last_answer(app).button[0]
    label = suggestion.label
    suggestion.click().run()
    assert not app.exception
    asked = [m.markdown[0].value for m in app.chat_message if m.name == "user"]
    assert asked == ["requests by team this month", label]
    assert last_answer(app).markdown[0].value  # answered


def test_thumbs_up_teaches_an_example_and_both_verdicts_are_logged(home):
    from assistant.llm.retrieval import Memory
    from assistant.quality.feedback import read_feedback
    from tests.conftest import make_settings

    app = ask(page(), "requests by team this month")
    app.feedback(key="turn-0-feedback").set_value(1).run()
    assert not app.exception
    app = ask(app, "and by model?")
    app.feedback(key="turn-1-feedback").set_value(0).run()
    log = read_feedback(home)
    assert [(r["verdict"], r["learned"], r["channel"]) for r in log] == [("good", True, "ui"), ("bad", False, "ui")]
    learned = Memory(make_settings(home)).confirmed_examples()
    assert [q for q, _ in learned] == ["requests by team this month"]
    assert learned[0][1].startswith("SELECT team AS team, COUNT(*) AS requests FROM llm_requests")


def test_save_to_notebook_keeps_the_question(home):
    from ui.notebooks.runner import list_notebooks

    app = ask(page(), "requests by team this month")
    last_answer(app).button(key="turn-0-save").click().run()
    assert not app.exception
    notebooks = list_notebooks(home)
    assert [q.question for q in notebooks[0].questions] == ["requests by team this month"]
    assert any("Saved questions" in c.value for c in app.sidebar.caption)


def test_sidebar_shows_as_of_tables_model_and_the_assistants_spend(home, executor):
    app = page()
    assert str(app.sidebar.date_input[0].value) == "2026-10-31"
    frame = app.sidebar.dataframe[0].value
    counts = dict(zip(frame["table"], frame["rows"]))
    assert counts["llm_requests"] == sql_rows(executor, "SELECT count(*) FROM llm_requests")[0][0]
    captions = " ".join(c.value for c in app.sidebar.caption)
    assert "Offline planner only" in captions and "model spend this month" in captions


def test_changing_as_of_moves_the_window(home):
    from datetime import date

    app = page()
    app.sidebar.date_input[0].set_value(date(2026, 10, 15)).run()
    app = ask(app, "inference cost last week")
    assert any("2026-10-05 to 2026-10-11" in c.value for c in last_answer(app).caption)


def test_a_missing_warehouse_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_HOME", str(tmp_path / "none"))
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    assert "make demo" in app.warning[0].value


def test_column_headings_read_as_words():
    from ui.chat.shared import column_label

    assert column_label("inference_cost_previous") == "inference cost, before"
    assert column_label("inference_cost_change") == "inference cost, change"
    assert column_label("change_pct") == "change %"
    assert column_label("ServiceName") == "ServiceName"


def test_overview_shows_each_section_and_its_button_asks_in_the_chat(home, executor):
    app = page()
    app.switch_page("overview.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Overview"
    headings = [h.value for h in app.subheader]
    for heading in ("Cost by category, last 30 days", "Top movers, week over week", "Anomalies, last 14 days", "Top savings found"):
        assert heading in headings
    spent = executor.query("SELECT sum(EffectiveCost) FROM billing WHERE ChargePeriodStart >= '2026-10-01' AND ChargePeriodStart < '2026-10-31'").rows[0][0]
    from assistant.present.numbers import money

    assert app.metric[0].label == "Spent this month" and app.metric[0].value == money(spent, compact=True)
    assert len(app.get("vega_lite_chart")) >= 1
    app.button(key="trend-ask").click().run()
    assert not app.exception, app.exception
    asked = [m.markdown[0].value for m in app.chat_message if m.name == "user"]
    assert asked == ["daily cost by service category over the last 30 days"]
    assert len(last_answer(app).get("vega_lite_chart")) == 1


def test_a_model_answer_shows_its_route_tokens_and_cost(home, monkeypatch):
    from tests.fake_openai import FakeOpenAI, ToolCall, Turn

    script = [
        Turn(tool_calls=(ToolCall("run_sql", {"sql": "SELECT team, count(*) AS requests FROM llm_requests GROUP BY team ORDER BY team"}),),
             prompt_tokens=600, completion_tokens=20),
        Turn(content="cx, docs-ai and platform made 100 requests each.", prompt_tokens=700, completion_tokens=12),
    ]
    with FakeOpenAI(script) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        app = ask(page(), "tell me something interesting about how our teams use llms")
        streamed = [body.get("stream") for body in fake.requests]
    assert streamed == [True, True]  # the page streams the model's words as they arrive
    answer = last_answer(app)
    assert answer.markdown[0].value == "cx, docs-ai and platform made 100 requests each."
    caption = [c.value for c in answer.caption if c.value.startswith("llm · ")][0]
    assert "2 model call(s), 1,332 tokens, $0.0002" in caption  # a fraction of a cent, not "$0.00"
    assert any("gpt-4o-mini" in c.value for c in app.sidebar.caption)


def test_follow_ups_narrow_and_shift_the_previous_question(home, executor):
    app = ask(page(), "inference cost by model this month")
    app = ask(app, "only prod")
    only_prod = last_answer(app).dataframe[0].value
    expected = dict(executor.query("SELECT model, sum(cost_usd) FROM llm_requests WHERE environment = 'prod' "
                                   "AND ts >= '2026-10-01' AND ts < '2026-11-01' GROUP BY model").rows)
    assert dict(zip(only_prod.iloc[:, 0], only_prod.iloc[:, 1])) == pytest.approx(expected)
    app = ask(app, "what about the month before?")
    assert any("2026-09-01 to 2026-09-30" in c.value for c in last_answer(app).caption)


@pytest.mark.parametrize("question, reading, not_understood", [
    ("inference cost by feature last week", "Read as: inference cost · by feature · last week", None),
    ("daily inference cost this month", "Read as: inference cost · per day · this month · trend", None),
    ("what is our llm spend on the moon last week", "Read as: inference cost · last week", "moon"),
    ("write me a poem about clouds", None, None),  # nothing was read: no line
], ids=["answered", "trend", "partly-understood", "not-understood"])
def test_every_answer_says_how_its_question_was_read(home, question, reading, not_understood):
    answer = last_answer(ask(page(), question))
    read = [c.value for c in answer.caption if c.value.startswith("Read as:")]
    assert read == ([reading] if reading else [])
    if not_understood:  # the note says which words were not understood, the caption what was
        assert not_understood in answer.info[0].value and not answer.dataframe


@pytest.mark.parametrize("text, shown", [
    ("Read as: inference cost · by feature · last week", "Read as: inference cost · by feature · last week"),
    ("Read as: inference cost · model is gpt_4o*mini · cost over $5", r"Read as: inference cost · model is gpt\_4o\*mini · cost over \$5"),
    ("Read as: requests · team is <cx> [prod]", r"Read as: requests · team is \<cx\> \[prod\]"),
])
def test_the_reading_caption_shows_its_text_as_written(text, shown):
    from ui.chat.shared import plain_markdown

    assert plain_markdown(text) == shown
