"""Saved-question notebooks: YAML files of questions that can be asked again on fresh data.

A notebook is `title`, optional `as_of` and `scope`, `questions` (each a
string, or a mapping with `question` and an optional `note`), and optional
`alerts: true` (the report ends with the open alerts, `assistant.alerts.answer`), kept under
`FINOPS_HOME/notebooks` or any path. The chat page and Slack save questions
here; a save rewrites the file atomically (temporary file, then rename), so a
notebook is never half written.

`run_notebook` answers every question and writes one report (Markdown, HTML or
.ipynb; see `ui.notebooks.reports`), saying for each question what changed
since the last run. `notebook_command` is `finops notebook run`'s body.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from warehouse.errors import ErrorKind, FinopsError
from warehouse.files import write_atomically

FORMATS = ("md", "html", "ipynb")
NOTEBOOK_KEYS = ("title", "as_of", "scope", "questions", "alerts")
QUESTION_KEYS = ("question", "note")
# Columns that hold the figure an answer leads with, when its table has one.
HEADLINE_COLUMNS = ("projected_total", "spend", "impact_usd")


class NotebookError(FinopsError):
    kind = ErrorKind.NOTEBOOK


@dataclass(frozen=True)
class SavedQuestion:
    question: str
    note: str | None = None


@dataclass(frozen=True)
class Notebook:
    title: str
    questions: tuple[SavedQuestion, ...] = ()
    as_of: str | None = None
    scope: str | None = None
    path: Path | None = field(default=None, compare=False)
    alerts: bool = False  # end the report with the open alerts

    def to_yaml(self) -> str:
        data: dict = {"title": self.title}
        if self.as_of:
            data["as_of"] = self.as_of
        if self.scope:
            data["scope"] = self.scope
        data["questions"] = [q.question if q.note is None else {"question": q.question, "note": q.note} for q in self.questions]
        if self.alerts:
            data["alerts"] = True
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def notebooks_folder(home: Path) -> Path:
    return Path(home) / "notebooks"


def slug(title: str) -> str:
    """A file name for a title.

    >>> slug("Weekly AI cost review!")
    'weekly-ai-cost-review'
    """
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "notebook"


def load_notebook(path: Path) -> Notebook:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise NotebookError(f"No notebook at {path}.") from None
    except yaml.YAMLError as error:
        raise NotebookError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("title"), str) or not data["title"].strip():
        raise NotebookError(f"{path} needs a `title` and a list of `questions`.")
    unknown = sorted(str(key) for key in data if key not in NOTEBOOK_KEYS)
    if unknown:
        raise NotebookError(f"{path} has an unknown key `{unknown[0]}`; a notebook has {', '.join(NOTEBOOK_KEYS)}.")
    raw = data.get("questions") or []
    if not isinstance(raw, list):
        raise NotebookError(f"`questions` in {path} must be a list.")
    questions = []
    for number, item in enumerate(raw, 1):
        if isinstance(item, str) and item.strip():
            questions.append(SavedQuestion(item.strip()))
        elif (isinstance(item, dict) and isinstance(item.get("question"), str) and item["question"].strip()
              and all(key in QUESTION_KEYS for key in item)):
            note = item.get("note")
            questions.append(SavedQuestion(item["question"].strip(), str(note) if note is not None else None))
        else:
            raise NotebookError(f"Question {number} in {path} must be a string or a mapping with `question` (and an optional `note`).")
    as_of = data.get("as_of")
    scope = data.get("scope")
    alerts = data.get("alerts", False)
    if not isinstance(alerts, bool):
        raise NotebookError(f"`alerts` in {path} is true or false, not {alerts!r}.")
    return Notebook(data["title"].strip(), tuple(questions), str(as_of) if as_of else None,
                    str(scope) if scope else None, path, alerts)


def save_notebook(notebook: Notebook, path: Path) -> Path:
    """Write the notebook atomically."""
    return write_atomically(Path(path), notebook.to_yaml().encode())


def add_question(home: Path, question: str, title: str = "Saved questions", note: str | None = None) -> Path:
    """Append a question to the notebook of that title under FINOPS_HOME/notebooks (made if missing)."""
    path = notebooks_folder(home) / f"{slug(title)}.yaml"
    notebook = load_notebook(path) if path.exists() else Notebook(title)
    if any(q.question == question for q in notebook.questions):
        return path
    return save_notebook(Notebook(notebook.title, (*notebook.questions, SavedQuestion(question, note)),
                                  notebook.as_of, notebook.scope), path)


def list_notebooks(home: Path) -> list[Notebook]:
    """The notebooks under FINOPS_HOME/notebooks, by title (unreadable files are skipped)."""
    folder = notebooks_folder(home)
    found = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        try:
            found.append(load_notebook(path))
        except NotebookError:
            continue
    return sorted(found, key=lambda n: n.title.lower())


# ---- running a notebook ---------------------------------------------------------------------------

@dataclass(frozen=True)
class NotebookRun:
    """A finished run: the report written, each question's result, and the exit code (0, 1 or 2)."""

    notebook: Notebook
    report: Path
    results: tuple  # of notebook_reports.QuestionResult, in the notebook's order
    exit_code: int
    files: tuple[Path, ...] = ()  # everything written: the report, chart images, the last-run record

    @property
    def failed(self) -> list:
        return [result for result in self.results if not result.answer.answered]

    def summary(self) -> str:
        """'Wrote PATH: 3 answered, 1 not answered (#2 "question")'."""
        text = f"Wrote {self.report}: {len(self.results) - len(self.failed)} answered, {len(self.failed)} not answered"
        if self.failed:
            numbers = {id(r): n for n, r in enumerate(self.results, 1)}
            text += " (" + "; ".join(f'#{numbers[id(r)]} "{r.question}"' for r in self.failed) + ")"
        return text + "."


def default_out_dir(home: Path, notebook: Notebook) -> Path:
    return Path(home) / "reports" / slug(notebook.title)


def run_notebook(path: Path | str, settings, fmt: str = "md", out_dir: Path | str | None = None,
                 executor=None, now: datetime | None = None) -> NotebookRun:
    """Answer every question of the notebook at `path` and write one report.

    The report is `OUT/<slug>.md|.html|.ipynb`, where OUT is `out_dir` or, by
    default, `FINOPS_HOME/reports/<slug>/` and slug comes from the title. A
    Markdown report has its charts beside it as `<slug>-NN.png` (NN the
    question's number); HTML and .ipynb are single files. `OUT/<slug>.last.json`
    keeps this run's answers, so the next run can say what changed.
    Each file is written to a temporary name and renamed, so a failed run never
    leaves half a report.

    Exit code: 0 all answered, 2 some not answered (the report says which),
    1 one failed on our side. A malformed notebook, an unknown format or a bad
    `as_of`/`scope` raise `NotebookError` before anything is asked or written.
    """
    from assistant.answer import AskContext
    from assistant.ask import ask
    from assistant.understand.planners import resolve_as_of
    from ui.notebooks.reports import QuestionResult, Report
    from warehouse.executor import Executor

    if fmt not in FORMATS:
        raise NotebookError(f"A report is written as {', '.join(FORMATS)}; not {fmt!r}.")
    notebook = load_notebook(Path(path))
    if not notebook.questions and not notebook.alerts:
        raise NotebookError(f"{notebook.path} has no questions to run.")
    as_of, scope = _notebook_as_of(notebook), _notebook_scope(notebook)
    name = slug(notebook.title)
    out = Path(out_dir) if out_dir is not None else default_out_dir(settings.home, notebook)
    run_at = now or datetime.now(UTC)

    own_executor = executor is None
    executor = executor or Executor(settings)
    try:
        context = AskContext(settings=settings, as_of=as_of, scope=scope, executor=executor, channel="notebook")
        answers = [ask(saved.question, context) for saved in notebook.questions]
        try:
            data_as_of = resolve_as_of(executor, settings, as_of)
        except FinopsError:
            data_as_of = None
        saved_questions = list(notebook.questions)
        if notebook.alerts and data_as_of is not None:
            from assistant.alerts.answer import QUESTION, alerts_answer

            answers.append(alerts_answer(executor, settings, as_of=data_as_of, scope=scope))
            saved_questions.append(SavedQuestion(QUESTION, "What `finops alerts run` would find open (nothing is posted)."))
    finally:
        if own_executor:
            executor.close()

    record_path = out / f"{name}.last.json"
    previous = _read_record(record_path)
    results = tuple(
        QuestionResult(saved.question, saved.note, answer, describe_change(saved.question, answer, previous))
        for saved, answer in zip(saved_questions, answers)
    )
    report = Report(notebook.title, run_at, results, notebook.as_of, data_as_of, notebook.scope)
    written = _write_report(report, fmt, out, name)
    report_path = written[-1]
    written.append(write_atomically(record_path, json.dumps(_record(report), ensure_ascii=False).encode()))
    failed = [r.answer for r in results if not r.answer.answered]
    code = 1 if any(a.error is not None and a.error.kind == "internal" for a in failed) else 2 if failed else 0
    return NotebookRun(notebook, report_path, results, code, tuple(written))


def notebook_command(file: Path | str, fmt: str = "md", out: Path | str | None = None, settings=None) -> int:
    """`finops notebook run FILE [--format md|html|ipynb] [--out DIR]`: run, print one line, return the exit code.

    Prints the summary line to stdout; a notebook that cannot be run prints one
    plain sentence to stderr and returns 2. Faults in the program are raised for
    the CLI to report (exit 1).
    """
    try:
        if settings is None:
            from warehouse.settings import load_settings

            settings = load_settings()
        run = run_notebook(file, settings, fmt, out)
    except FinopsError as error:
        print(f"finops: {error.user_message}", file=sys.stderr)
        return error.exit_code
    print(run.summary())
    return run.exit_code


def _notebook_as_of(notebook: Notebook) -> date | None:
    if not notebook.as_of:
        return None
    try:
        return date.fromisoformat(notebook.as_of)
    except ValueError:
        raise NotebookError(f"`as_of` in {notebook.path} must be a date, YYYY-MM-DD; got {notebook.as_of!r}.") from None


def _notebook_scope(notebook: Notebook):
    from warehouse.scope import Scope

    if not notebook.scope:
        return None
    try:
        return Scope.parse(notebook.scope)
    except FinopsError as error:
        raise NotebookError(f"`scope` in {notebook.path}: {error.user_message}") from None


def _write_report(report, fmt: str, out: Path, name: str) -> list[Path]:
    """Render first (nothing is written if rendering fails), then the images, then the report itself."""
    from ui.notebooks import reports as notebook_reports

    if fmt == "md":
        text, images = notebook_reports.render_markdown(report, slug=name)
        written = [write_atomically(out / image, png) for image, png in images.items()]
    elif fmt == "html":
        text, written = notebook_reports.render_html(report), []
    else:
        text, written = notebook_reports.render_ipynb(report), []
    written.append(write_atomically(out / f"{name}.{fmt}", text.encode()))
    return written


# ---- what changed since the last run --------------------------------------------------------------

def headline(answer) -> dict | None:
    """The answer's headline figure: {'column', 'label', 'value'}, or None without a number.

    The first numeric column of the first row (or the figure the answer leads
    with when its table has one: a forecast's projection, a budget's spend, an
    anomaly's impact), labelled by that row's other cells ('document-analysis'); for a time series, the total of an additive
    metric over the window ('in all') or else the latest period's value.
    """
    from assistant.present.units import unit_of
    from ui.notebooks.reports import is_number, is_time_column

    if not answer.answered or not answer.rows or not answer.columns:
        return None
    first = answer.rows[0]
    numeric = [i for i, value in enumerate(first) if is_number(value) and _finite(value)]
    if not numeric:
        return None
    preferred = [i for i in numeric if answer.columns[i] in HEADLINE_COLUMNS]
    at = min(preferred, key=lambda i: HEADLINE_COLUMNS.index(answer.columns[i])) if preferred else numeric[0]
    column = answer.columns[at]
    if len(answer.rows) > 1 and is_time_column(answer.columns[0], first[0]):
        values = [row[at] for row in answer.rows if is_number(row[at]) and _finite(row[at])]
        if unit_of(column) in ("usd", "count", "tokens", "hours", "call"):
            return {"column": column, "label": "in all", "value": float(sum(values))}
        return {"column": column, "label": "latest", "value": float(values[-1])}
    label = " / ".join(str(value) for value in first[:at] if value is not None and not is_number(value))
    return {"column": column, "label": label, "value": float(first[at])}


def _finite(value) -> bool:
    return math.isfinite(float(value))


def describe_change(question: str, answer, previous: dict | None) -> str | None:
    """'Since the last run on 2026-11-23 06:00 UTC: $2,962.27 → $3,970.25 (+34.0%).', 'unchanged', or 'new question'."""
    if previous is None or not answer.answered:
        return None
    when = previous.get("run_at_label") or previous.get("run_at", "?")
    before = next((q for q in previous.get("questions", []) if q.get("question") == question), None)
    if before is None:
        return f"New question since the last run on {when}."
    if not before.get("answered"):
        return f"Not answered in the last run on {when}."
    now, then = headline(answer), before.get("headline")
    if now is None or not then:
        return f"No figure to compare with the last run on {when}."
    if then.get("column") != now["column"]:
        return f"Since the last run on {when}: the figure is now {_figure(now)} (then {_figure(then)})."
    if then.get("label") != now["label"]:
        return f"Since the last run on {when}: {_labelled(then)} then, {_labelled(now)} now."
    if math.isclose(then["value"], now["value"], rel_tol=1e-9, abs_tol=1e-9):
        return f"Unchanged since the last run on {when} ({_labelled(now)})."
    label = now["label"]
    prefix = f"{label}: " if label and label not in ("in all", "latest") else ""
    suffix = f" {label}" if label == "in all" else " (latest)" if label == "latest" else ""
    return f"Since the last run on {when}: {prefix}{_figure(then)} → {_figure(now)}{suffix} ({_delta(then, now)})."


def _figure(head: dict) -> str:
    from assistant.present.numbers import figure
    from assistant.present.units import unit_of
    from ui.notebooks.reports import format_cell

    unit = unit_of(head["column"])
    return figure(head["value"], unit) if unit else format_cell(head["value"], head["column"])


def _labelled(head: dict) -> str:
    if head["label"] in ("in all", "latest"):
        return f"{_figure(head)} {'in all' if head['label'] == 'in all' else '(latest)'}"
    return f"{head['label']}: {_figure(head)}" if head["label"] else _figure(head)


def _delta(then: dict, now: dict) -> str:
    from assistant.present.units import unit_of

    unit = unit_of(now["column"])
    if unit in ("ratio", "percent"):
        points = (now["value"] - then["value"]) * (100 if unit == "ratio" else 1)
        return f"{points:+.1f} points"
    if not then["value"]:
        return "from zero"
    return f"{(now['value'] - then['value']) / abs(then['value']) * 100:+.1f}%"


def _record(report) -> dict:
    return {
        "title": report.title,
        "run_at": report.run_at.isoformat(),
        "run_at_label": f"{report.run_at:%Y-%m-%d %H:%M} {report.run_at.tzname() or ''}".strip(),
        "data_as_of": report.data_as_of.isoformat() if report.data_as_of else None,
        "questions": [
            {"question": r.question, "answered": r.answer.answered, "headline": headline(r.answer), "answer": r.answer.to_json()}
            for r in report.results
        ],
    }


def _read_record(path: Path) -> dict | None:
    """The last run's record, or None when there is none (or it cannot be read: the next run starts afresh)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("questions"), list) else None
