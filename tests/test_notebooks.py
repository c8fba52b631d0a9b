"""Notebook runs: reports in three formats whose figures are `ask()`'s, exit codes, safety, and what changed.

Everything that writes works on a copy of the session warehouse. The .ipynb is
executed once, in a real kernel, with FINOPS_HOME pointing at that copy.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from assistant.answer import Answer, AskContext
from assistant.ask import ask
from tests.conftest import make_settings
from tests.tiny_data import llm_rows, write_table
from ui.notebooks.reports import (
    VEGA_LITE_MIME,
    format_cell,
    is_number,
    markdown_to_html,
)
from ui.notebooks.runner import (
    describe_change,
    headline,
    notebook_command,
    run_notebook,
)
from warehouse.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "ui" / "notebooks" / "examples"
QUESTIONS = [
    {"question": "What was inference cost last week?", "note": "Against the week before."},
    "Inference cost by feature last week",
    "Daily inference cost last week",
]
FORMATS = ("md", "html", "ipynb")
READINGS = [  # how QUESTIONS are read, in order
    "Read as: inference cost · last week",
    "Read as: inference cost · by feature · last week",
    "Read as: inference cost · per day · last week · trend",
]


def _copy_home(warehouse_settings, to: Path):
    shutil.copytree(warehouse_settings.home, to)
    return make_settings(to, query_timeout_s=5, max_rows=1000, memory_limit="1GB", threads=2)


def _write_notebook(path: Path, questions, title="Tiny review", **extra) -> Path:
    path.write_text(yaml.safe_dump({"title": title, **extra, "questions": questions}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def home(warehouse_settings, tmp_path_factory):
    return _copy_home(warehouse_settings, tmp_path_factory.mktemp("nb") / "home")


@pytest.fixture(scope="module")
def runs(home, tmp_path_factory):
    """The tiny notebook run once to each format, into one folder."""
    folder = tmp_path_factory.mktemp("reports")
    notebook = _write_notebook(folder / "tiny.yaml", QUESTIONS)
    return {fmt: run_notebook(notebook, home, fmt, folder / "out") for fmt in FORMATS}


@pytest.fixture(scope="module")
def asked(home):
    return [ask(q if isinstance(q, str) else q["question"], AskContext(settings=home)) for q in QUESTIONS]


def _figures(answer: Answer) -> list[str]:
    """The answer's first-row numbers as the reports format them."""
    return [format_cell(v, c) for v, c in zip(answer.rows[0], answer.columns) if is_number(v)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_written_with_exit_code_zero(runs, fmt):
    run = runs[fmt]
    assert run.exit_code == 0 and not run.failed
    assert run.report.name == f"tiny-review.{fmt}" and run.report.is_file()
    assert run.report.with_name("tiny-review.last.json").is_file()
    assert not list(run.report.parent.glob(".*.partial"))
    assert run.summary().startswith(f"Wrote {run.report}: 3 answered, 0 not answered")


@pytest.mark.parametrize("fmt", ("md", "html"))
def test_report_figures_are_asks(runs, asked, fmt):
    text = runs[fmt].report.read_text()
    for number, answer in enumerate(asked, 1):
        assert answer.answered
        assert runs[fmt].results[number - 1].answer.rows == answer.rows
        for figure in _figures(answer):
            assert figure in text, (number, figure)
        assert answer.window.describe() in text
        first_line = answer.text.splitlines()[0]
        assert (first_line if fmt == "md" else markdown_to_html(first_line)[3:-4]) in text
    appendix = text[text.index("Appendix: SQL"):]
    import html

    assert all((a.sql if fmt == "md" else html.escape(a.sql)) in appendix for a in asked)


def test_report_rows_equal_finops_ask_json(runs, home):
    from typer.testing import CliRunner

    from ui.cli import app

    for result in runs["md"].results[:2]:
        out = CliRunner().invoke(app, ["ask", "--json", result.question], env={"FINOPS_HOME": str(home.home)})
        assert out.exit_code == 0, out.output
        assert json.loads(out.stdout)["rows"] == result.answer.to_json()["rows"]


def test_markdown_charts_are_png_files_beside_the_report(runs, asked):
    text = runs["md"].report.read_text()
    charts = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(charts) == sum(bool(a.chart) for a in asked) == 2
    for name in charts:
        assert "/" not in name and (runs["md"].report.parent / name).read_bytes().startswith(b"\x89PNG")
    assert "> Against the week before." in text


def test_html_is_self_contained(runs, asked):
    text = runs["html"].report.read_text()
    assert text.count("<svg") == sum(bool(a.chart) for a in asked)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.IGNORECASE)
    assert "<script" not in text.lower() and "<link" not in text.lower()


def test_html_escapes_questions_and_names_the_unanswered(home, tmp_path, capsys):
    notebook = _write_notebook(tmp_path / "nb.yaml", [
        "Inference cost by model last week",
        "What is the meaning of life? <script>alert(1)</script>",
    ], title="Escapes <b>")
    code = notebook_command(notebook, "html", tmp_path / "out", home)
    line = capsys.readouterr().out
    assert code == 2
    assert "1 answered, 1 not answered" in line and '#2 "What is the meaning of life? <script>alert(1)</script>"' in line
    text = (tmp_path / "out" / "escapes-b.html").read_text()
    assert "<script" not in text.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<title>Escapes &lt;b&gt;</title>" in text
    assert "not answered: 2" in text and "Not answered:" in text


@pytest.mark.parametrize("content", [
    "title: [unclosed\n",
    "questions: [What was inference cost last week?]\n",
    "title: T\nquestions:\n  - 42\n",
    "title: T\nquestions:\n  - {note: no question}\n",
    "title: T\nquestion: [typo for questions]\n",
    "title: T\nquestions: []\n",
    "title: T\nas_of: next tuesday\nquestions: [What was inference cost last week?]\n",
    "title: T\nscope: cx\nquestions: [What was inference cost last week?]\n",
], ids=["yaml", "no-title", "number", "no-question", "unknown-key", "empty", "as-of", "scope"])
def test_malformed_notebook_exits_2_and_writes_nothing(home, tmp_path, capsys, content):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    assert notebook_command(path, "md", tmp_path / "out", home) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("finops: ") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
    assert not (tmp_path / "out").exists()


def test_unknown_format_and_missing_file_exit_2(home, tmp_path):
    assert notebook_command(tmp_path / "missing.yaml", "md", tmp_path / "out", home) == 2
    assert notebook_command(_write_notebook(tmp_path / "nb.yaml", QUESTIONS), "pdf", tmp_path / "out", home) == 2
    assert not (tmp_path / "out").exists()


def test_second_run_says_what_changed(warehouse_settings, tmp_path):
    settings = _copy_home(warehouse_settings, tmp_path / "home")
    notebook = _write_notebook(tmp_path / "nb.yaml", ["What was inference cost last week?", "GPU cost this month"])
    first = run_notebook(notebook, settings, "md", tmp_path / "out", now=datetime(2026, 10, 31, 6, 0, tzinfo=UTC))
    assert "since the last run" not in first.report.read_text().lower()
    before = first.results[0].answer.rows[0][0]

    extra = {**llm_rows()[20], "request_id": "req-extra", "ts": datetime(2026, 10, 21, 12), "cost_usd": 1.25}
    assert not ingest([write_table([extra], tmp_path / "extra" / "llm_requests.parquet")], settings, table="llm_requests").refused
    _write_notebook(notebook, ["What was inference cost last week?", "GPU cost this month", "Inference cost by feature last week"])
    second = run_notebook(notebook, settings, "md", tmp_path / "out")
    after = second.results[0].answer.rows[0][0]
    assert after == pytest.approx(before + 1.25)
    text = second.report.read_text()
    pct = (after - before) / before * 100
    assert f"Since the last run on 2026-10-31 06:00 UTC: {format_cell(before, 'inference_cost')} → {format_cell(after, 'inference_cost')} (+{pct:.1f}%)." in text
    assert "Unchanged since the last run on 2026-10-31 06:00 UTC" in text
    assert "New question since the last run on 2026-10-31 06:00 UTC." in text


def _shown(run, fmt: str) -> str:
    """What a report shows: the file's text, or for .ipynb its cells' Markdown and the answers' Markdown outputs."""
    if fmt != "ipynb":
        return run.report.read_text()
    import nbformat

    notebook = nbformat.read(run.report, as_version=4)
    shown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    shown += [o.data.get("text/markdown", "") for cell in notebook.cells if cell.cell_type == "code"
              for o in cell.outputs if o.output_type == "display_data"]
    return "\n".join(shown)


# How each format shows the reading line: Markdown in italics, HTML in its own escaped paragraph.
READ_AS_LINE = {"md": "_{}_", "html": '<p class="reading">{}</p>', "ipynb": "_{}_"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_answer_says_how_its_question_was_read(runs, asked, fmt):
    assert [a.read_as() for a in asked] == READINGS
    text = _shown(runs[fmt], fmt)
    at = [text.find(READ_AS_LINE[fmt].format(line)) for line in READINGS]
    assert -1 not in at and at == sorted(at), at  # each line once, under its own question


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_question_partly_understood_shows_what_was_read(home, tmp_path, fmt):
    notebook = _write_notebook(tmp_path / "nb.yaml", ["What is our LLM spend on the moon last week?"])
    run = run_notebook(notebook, home, fmt, tmp_path / "out")
    assert run.exit_code == 2
    text = _shown(run, fmt)
    assert "Not answered:" in text and "moon" in text
    assert READ_AS_LINE[fmt].format("Read as: inference cost · last week") in text


@pytest.mark.parametrize("fmt, shown", [
    ("md", "_Read as: requests · team is &lt;b>cx&lt;/b> · last week_"),
    ("html", '<p class="reading">Read as: requests · team is &lt;b&gt;cx&lt;/b&gt; · last week</p>'),
])
def test_the_reading_line_is_escaped(fmt, shown):
    from ui.notebooks.reports import QuestionResult, Report, render_html, render_markdown

    reading = {"metrics": ["requests"], "by": [], "filters": ["team = <b>cx</b>"], "window": "last week",
               "intent": "total", "text": "requests · team is <b>cx</b> · last week"}
    answer = Answer("requests for team cx last week", "planner", text="**12** requests.", reading=reading)
    report = Report("Escapes", datetime(2026, 10, 31, tzinfo=UTC), (QuestionResult(answer.question, None, answer),))
    text = render_markdown(report)[0] if fmt == "md" else render_html(report)
    assert shown in text
    if fmt == "html":
        assert "<b>cx" not in text


def test_headline_and_change_rules():
    series = Answer("q", "planner", columns=("day", "inference_cost"), rows=[(datetime(2026, 10, 1), 1.0), (datetime(2026, 10, 2), 2.0)])
    assert headline(series) == {"column": "inference_cost", "label": "in all", "value": 3.0}
    util = replace(series, columns=("day", "gpu_utilization"))
    assert headline(util)["label"] == "latest" and headline(util)["value"] == 2.0
    ranked = Answer("q", "planner", columns=("feature", "inference_cost"), rows=[("docs", 10.0)])
    record = {"run_at_label": "D", "questions": [{"question": "q", "answered": True, "headline": headline(ranked)}]}
    assert describe_change("q", replace(ranked, rows=[("docs", 12.0)]), record) == "Since the last run on D: docs: $10.00 → $12.00 (+20.0%)."
    assert describe_change("q", replace(ranked, rows=[("chat", 12.0)]), record) == "Since the last run on D: docs: $10.00 then, chat: $12.00 now."
    assert describe_change("other", ranked, record) == "New question since the last run on D."
    assert describe_change("q", ranked, None) is None


def test_markdown_to_html_is_safe():
    assert markdown_to_html('<img src=x onerror="alert(1)"> **a**') == '<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <strong>a</strong></p>'


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_example_notebooks_load(path):
    from ui.notebooks.runner import load_notebook

    assert len(load_notebook(path).questions) >= 5


# ---- the .ipynb, executed in a kernel --------------------------------------------------------------

@pytest.fixture(scope="module")
def executed(runs, home):
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    notebook = nbformat.read(runs["ipynb"].report, as_version=4)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FINOPS_HOME", str(home.home))
        env.delenv("FINOPS_CONFIG", raising=False)
        client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120,
                                         resources={"metadata": {"path": str(ROOT)}})
        client.execute()
    return notebook


def _question_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code" and "ask(" in cell.source]


@pytest.mark.parametrize("which", ["saved", "executed"])
def test_ipynb_shows_each_answer(runs, asked, executed, which):
    import nbformat

    notebook = executed if which == "executed" else nbformat.read(runs["ipynb"].report, as_version=4)
    assert notebook.nbformat == 4 and notebook.cells[0].source.startswith("# Tiny review")
    assert "load_settings()" in notebook.cells[1].source
    cells = _question_cells(notebook)
    assert len(cells) == len(asked)
    for cell, answer in zip(cells, asked):
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.outputs
        shown = [o.data for o in cell.outputs if o.output_type == "display_data"]
        markdown = "\n".join(d.get("text/markdown", "") for d in shown)
        bold = re.search(r"\*\*([^*]+)\*\*", answer.text).group(1)
        assert bold in markdown and answer.window.describe() in markdown and answer.read_as() in markdown
        assert any("text/html" in d for d in shown) == bool(answer.rows)  # the table, as a DataFrame
        if answer.chart:
            chart = next(d for d in shown if "image/png" in d)
            assert VEGA_LITE_MIME in chart and chart[VEGA_LITE_MIME]["data"] == answer.chart["data"]
        else:
            assert not any("image/png" in d for d in shown)
