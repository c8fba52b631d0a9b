"""A notebook run as a report: Markdown (charts as PNG files beside it), one self-contained HTML file, or .ipynb.

Every report shows, per question: the answer's text (the figure first), how the
question was read ("Read as: inference cost · by feature · last week", also
under a question only partly understood), its window in words and dates, what
changed since the last run, the table (first rows, money formatted), the chart
and the notebook's note; then the SQL of every answer as an appendix. Text from
answers and the warehouse is escaped for HTML (and for the HTML a Markdown
viewer allows); the HTML loads nothing from outside. The .ipynb re-asks each
question through the library when executed (`show(answer)` below) and is saved
with the outputs `show` gives for this run.

>>> format_cell(1234.5, "inference_cost"), format_cell(0.125, "share")
('$1,234.50', '12.5%')
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from datetime import date, datetime

from assistant.answer import Answer
from assistant.present.chart_images import sized_spec
from assistant.present.numbers import figure
from assistant.present.units import unit_of

TABLE_ROWS = 20
VEGA_LITE_MIME = "application/vnd.vegalite.v5+json"
_TIME_COLUMNS = {"hour", "day", "week", "month", "quarter", "year"}


@dataclass(frozen=True)
class QuestionResult:
    """One question of a run: what was asked, its note, the answer, and what changed since the last run."""

    question: str
    note: str | None
    answer: Answer
    change: str | None = None


@dataclass(frozen=True)
class Report:
    title: str
    run_at: datetime
    results: tuple[QuestionResult, ...]
    as_of: str | None = None  # the notebook's own as_of, if it sets one
    data_as_of: date | None = None  # the date time words resolved against
    scope: str | None = None

    @property
    def failed(self) -> list[int]:
        """1-based numbers of the questions not answered."""
        return [n for n, r in enumerate(self.results, 1) if not r.answer.answered]

    def summary(self) -> str:
        answered = len(self.results) - len(self.failed)
        text = f"{answered} of {len(self.results)} questions answered"
        if self.failed:
            text += "; not answered: " + ", ".join(f"{n}" for n in self.failed)
        return text


# ---- values ---------------------------------------------------------------------------------------

def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def format_cell(value, column: str) -> str:
    """A table cell: money with two decimals, ratios as percentages, whole days without a time."""
    if value is None:
        return ""
    if is_number(value):
        unit = unit_of(column)
        if unit in ("usd", "ratio", "percent"):
            return figure(value, unit)
        if unit in ("tokens", "hours", "count", "call") or float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,.4f}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00", value):
        return value[:10]
    return str(value)


def is_time_column(column: str, value) -> bool:
    return column in _TIME_COLUMNS or isinstance(value, (date, datetime))


def window_line(answer: Answer) -> str:
    """'last week (2026-11-16 to 2026-11-22), compared with 2026-11-09 to 2026-11-15'."""
    return answer.window.describe(compared=True) if answer.window else ""


def chart_png_for(answer: Answer) -> bytes | None:
    from assistant.present.chart_images import chart_png

    return chart_png(answer.chart) if answer.chart else None


# ---- Markdown -------------------------------------------------------------------------------------

def _md_text(text: str) -> str:
    """Text for a Markdown file, with `<` escaped so a viewer shows a tag in it rather than runs it."""
    return text.replace("<", "&lt;")


def _md_cell(value, column: str) -> str:
    return _md_text(format_cell(value, column)).replace("|", "\\|").replace("\n", " ")


def _fence(code: str, language: str) -> str:
    ticks = "`" * max(3, max((len(run) for run in re.findall(r"`+", code)), default=0) + 1)
    return f"{ticks}{language}\n{code.strip()}\n{ticks}"


def markdown_table(answer: Answer, limit: int = TABLE_ROWS) -> str:
    if not answer.columns or not answer.rows:
        return ""
    lines = ["| " + " | ".join(_md_text(c) for c in answer.columns) + " |",
             "|" + "|".join("---:" if is_number(v) else "---" for v in answer.rows[0]) + "|"]
    for row in answer.rows[:limit]:
        lines.append("| " + " | ".join(_md_cell(v, c) for v, c in zip(row, answer.columns)) + " |")
    if len(answer.rows) > limit:
        lines.append(f"\n_First {limit} of {len(answer.rows)} rows._")
    return "\n".join(lines)


def render_markdown(report: Report, chart_name: str = "{slug}-{number:02d}.png", slug: str = "report") -> tuple[str, dict[str, bytes]]:
    """The Markdown report and its chart images, {file name: PNG}, to be written beside it."""
    files: dict[str, bytes] = {}
    out = [f"# {_md_text(report.title)}", "", _md_text(_run_line(report)), ""]
    for number, result in enumerate(report.results, 1):
        answer = result.answer
        out += [f"## {number}. {_md_text(result.question)}", ""]
        if result.note:
            out += [f"> {_md_text(result.note)}".replace("\n", "\n> "), ""]
        if not answer.answered:
            out += [f"**Not answered:** {_md_text(answer.error.message if answer.error else 'no answer')}", ""]
            if answer.read_as():
                out += [f"_{_md_text(answer.read_as())}_", ""]
            if answer.suggestions:
                out += ["Try: " + " · ".join(_md_text(s) for s in answer.suggestions), ""]
            continue
        out += [_md_text(answer.text.strip()), ""]
        if answer.read_as():
            out += [f"_{_md_text(answer.read_as())}_", ""]
        if answer.window:
            out += [f"_Window: {_md_text(window_line(answer))}_", ""]
        if result.change:
            out += [f"_{_md_text(result.change)}_", ""]
        table = markdown_table(answer)
        if table:
            out += [table, ""]
        png = chart_png_for(answer)
        if png:
            name = chart_name.format(slug=slug, number=number)
            files[name] = png
            out += [f"![Chart for question {number}]({name})", ""]
    out += _appendix(report, lambda text: _md_text(text), lambda sql: _fence(sql, "sql"))
    return "\n".join(out).rstrip() + "\n", files


def _run_line(report: Report) -> str:
    parts = [f"Run {report.run_at:%Y-%m-%d %H:%M %Z}".strip()]
    if report.data_as_of:
        parts.append(f"time words resolved against {report.data_as_of.isoformat()}")
    if report.scope:
        parts.append(f"scope {report.scope}")
    return " · ".join(parts) + f" · {report.summary()}."


def _appendix(report: Report, text, code) -> list[str]:
    out = ["## Appendix: SQL", ""]
    for number, result in enumerate(report.results, 1):
        sql = result.answer.sql
        out += [f"### {number}. {text(result.question)}", "", code(sql) if sql else "_No SQL: not answered._", ""]
    return out


# ---- HTML -----------------------------------------------------------------------------------------

def markdown_to_html(text: str) -> str:
    """The small Markdown of answers as safe HTML: paragraphs, line breaks, lists, bold, italics, code.

    Everything is escaped first, so no tag or attribute from the text survives.

    >>> markdown_to_html("Cost was **$5** <b>\\n- a_b\\n- _c_")
    '<p>Cost was <strong>$5</strong> &lt;b&gt;</p>\\n<ul><li>a_b</li><li><em>c</em></li></ul>'
    """
    blocks, paragraph, items = [], [], []

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>\n".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>")
            items.clear()

    for line in text.splitlines():
        bullet = re.match(r"\s*[-*]\s+(.*)", line)
        if bullet:
            if paragraph:
                flush()
            items.append(bullet.group(1))
        elif not line.strip():
            flush()
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    flush()
    return "\n".join(blocks)


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
    return re.sub(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)", r"<em>\1</em>", text)


def html_table(answer: Answer, limit: int = TABLE_ROWS) -> str:
    if not answer.columns or not answer.rows:
        return ""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in answer.columns)
    body = []
    for row in answer.rows[:limit]:
        cells = "".join(
            f'<td class="{"num" if is_number(v) else ""}">{html.escape(format_cell(v, c))}</td>'
            for v, c in zip(row, answer.columns)
        )
        body.append(f"<tr>{cells}</tr>")
    more = f'<p class="more">First {limit} of {len(answer.rows)} rows.</p>' if len(answer.rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


_STYLE = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-top:1px solid #d0d7de;padding-top:1rem}
.meta,.reading,.window,.change,.more{color:#57606a;font-size:.9rem}.note{border-left:3px solid #d0d7de;padding-left:.8rem;color:#57606a}
.failed{color:#a40e26}table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f8fa;padding:.8rem;overflow-x:auto;font-size:.85rem}.chart svg{max-width:100%;height:auto}
"""


def render_html(report: Report) -> str:
    """One self-contained HTML file: styles inline, charts as inline SVG, nothing fetched."""
    from assistant.present.chart_images import chart_svg

    esc = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{esc(report.title)}</title><style>{_STYLE}</style></head><body>",
           f"<h1>{esc(report.title)}</h1>", f'<p class="meta">{esc(_run_line(report))}</p>']
    for number, result in enumerate(report.results, 1):
        answer = result.answer
        out.append(f'<section id="q{number}"><h2>{number}. {esc(result.question)}</h2>')
        if result.note:
            out.append(f'<div class="note">{markdown_to_html(result.note)}</div>')
        if not answer.answered:
            message = answer.error.message if answer.error else "no answer"
            out.append(f'<p class="failed"><strong>Not answered:</strong> {esc(message)}</p>')
            if answer.read_as():
                out.append(f'<p class="reading">{esc(answer.read_as())}</p>')
            if answer.suggestions:
                out.append(f'<p class="meta">Try: {esc(" · ".join(answer.suggestions))}</p>')
            out.append("</section>")
            continue
        out.append(f'<div class="answer">{markdown_to_html(answer.text)}</div>')
        if answer.read_as():
            out.append(f'<p class="reading">{esc(answer.read_as())}</p>')
        if answer.window:
            out.append(f'<p class="window">Window: {esc(window_line(answer))}</p>')
        if result.change:
            out.append(f'<p class="change">{esc(result.change)}</p>')
        out.append(html_table(answer))
        if answer.chart:
            svg = chart_svg(answer.chart)
            out.append(f'<div class="chart" role="img" aria-label="Chart for question {number}">{_strip_xml_header(svg)}</div>')
        out.append("</section>")
    out.append('<section id="sql"><h2>Appendix: SQL</h2>')
    for number, result in enumerate(report.results, 1):
        sql = result.answer.sql
        out.append(f"<h3>{number}. {esc(result.question)}</h3>")
        out.append(f"<pre><code>{esc(sql)}</code></pre>" if sql else "<p><em>No SQL: not answered.</em></p>")
    out.append("</section></body></html>")
    return "\n".join(out) + "\n"


def _strip_xml_header(svg: str) -> str:
    return re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", svg)


# ---- .ipynb ---------------------------------------------------------------------------------------

def answer_frame(answer: Answer):
    """The answer's table as a pandas DataFrame."""
    import pandas as pd

    return pd.DataFrame([list(row) for row in answer.rows], columns=list(answer.columns))


def display_bundles(answer: Answer) -> list[dict]:
    """What `show(answer)` displays, as MIME bundles: the text, the table, the chart (Vega-Lite and PNG)."""
    if not answer.answered:
        message = answer.error.message if answer.error else "no answer"
        text = f"**Not answered:** {message}"
        if answer.read_as():
            text += f"\n\n_{answer.read_as()}_"
        if answer.suggestions:
            text += "\n\nTry: " + " · ".join(answer.suggestions)
        return [{"text/markdown": text, "text/plain": text}]
    text = answer.text.strip()
    if answer.read_as():
        text += f"\n\n_{answer.read_as()}_"
    if answer.window:
        text += f"\n\n_Window: {window_line(answer)}_"
    bundles = [{"text/markdown": text, "text/plain": text}]
    if answer.columns and answer.rows:
        frame = answer_frame(answer)
        bundles.append({"text/html": frame._repr_html_(), "text/plain": repr(frame)})
    if answer.chart:
        png = chart_png_for(answer)
        bundles.append({
            VEGA_LITE_MIME: sized_spec(answer.chart),
            "image/png": base64.b64encode(png).decode("ascii"),
            "text/plain": f"<chart: {answer.chart.get('mark', 'chart') if isinstance(answer.chart.get('mark'), str) else 'chart'}>",
        })
    return bundles


def show(answer: Answer) -> None:
    """Display an answer in Jupyter: text (Markdown), table (DataFrame), chart (Vega-Lite with a PNG fallback)."""
    from IPython.display import display

    for bundle in display_bundles(answer):
        display(bundle, raw=True)


def _setup_source(report: Report) -> str:
    as_of = f"date.fromisoformat({report.as_of!r})" if report.as_of else "None"
    scope = f"Scope.parse({report.scope!r})" if report.scope else "None"
    return "\n".join([
        "# The warehouse is the one FINOPS_HOME (or finops.toml) points at, as for the `finops` command.",
        "from datetime import date",
        "",
        "from assistant.answer import AskContext",
        "from assistant.ask import ask",
        "from ui.notebooks.reports import answer_frame, show",
        "from warehouse.scope import Scope",
        "from warehouse.settings import load_settings",
        "",
        "settings = load_settings()",
        f"context = AskContext(settings=settings, as_of={as_of}, scope={scope}, channel=\"notebook\")",
    ])


def render_ipynb(report: Report) -> str:
    """An nbformat 4 notebook that re-asks every question, saved with this run's outputs."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    cells = [new_markdown_cell(f"# {_md_text(report.title)}\n\n{_md_text(_run_line(report))}"),
             new_code_cell(_setup_source(report), execution_count=1)]
    for number, result in enumerate(report.results, 1):
        intro = f"## {number}. {_md_text(result.question)}"
        if result.note:
            intro += "\n\n> " + _md_text(result.note).replace("\n", "\n> ")
        if result.change:
            intro += f"\n\n_{_md_text(result.change)}_"
        cells.append(new_markdown_cell(intro))
        source = f"answer = ask({result.question!r}, context)\nshow(answer)  # the table as a DataFrame: answer_frame(answer)"
        outputs = [new_output("display_data", data=bundle, metadata={}) for bundle in display_bundles(result.answer)]
        cells.append(new_code_cell(source, execution_count=number + 1, outputs=outputs))
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "finops": {"title": report.title, "run_at": report.run_at.isoformat(), "summary": report.summary()},
    })
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"
