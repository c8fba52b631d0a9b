"""The MCP server: the assistant's tools, resources and prompt for Claude Desktop, Cursor and VS Code.

`build_server(settings, executor, caller_scope)` returns an `MCPServer` (mcp 2.x)
whose tools are thin calls into the library, all read-only:

| tool | library call |
|---|---|
| `ask(question, as_of=None)` | `assistant.ask.ask` (route auto: planner, then the model when one is configured) |
| `run_sql(sql)` | `Executor.run_sql` (the guard, the caller's row scope, FINOPS_MAX_ROWS) |
| `describe()` | `warehouse.info.warehouse_info` and `assistant.semantic.load_semantic_model` |
| `anomalies(days=30, as_of=None)` | `find_anomalies`, as `finops anomalies --json` |
| `savings(as_of=None)` | `find_savings`, as "where are we wasting money?" |
| `explain_change(question)` | `ask` on the planner route, kept only for "why did X change" questions |

Every result is a JSON object, sent as structured content and as the same JSON
in a text block (for clients that read only text). Rows sent to a client stop at
`CLIENT_ROWS`, with `truncated: true` when some were left out. A refusal or bad
input (unsafe SQL, an unknown date, a question the planner cannot place) is an
`isError` result whose text is the one-line message of the guard or planner; any
other failure is logged with a request id and reported as an internal error with
that id, never as a traceback. Every call reads under `caller_scope()`: the
`--scope` of stdio, or the scope of the bearer token over HTTP.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import AnyHttpUrl

from assistant.answer import Answer, AskContext
from assistant.ask import ask as ask_question
from assistant.present.jsonable import jsonable
from assistant.semantic import load_semantic_model
from assistant.understand.planners import resolve_as_of
from warehouse.contract import TABLES
from warehouse.errors import FinopsError, internal_error_message, log_internal_error
from warehouse.executor import Executor
from warehouse.info import warehouse_info
from warehouse.scope import Scope

log = logging.getLogger("finops")
CLIENT_ROWS = 200  # rows of one result sent to an MCP client; a model reads them all, so keep it short
MAX_DAYS = 366
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
REPO_DOCS = Path(__file__).resolve().parents[2] / "docs"
DATA_CONTRACT = REPO_DOCS / "DATA-CONTRACT.md"
WEEKLY_REVIEW = "weekly-ai-cost-review.yaml"
INSTRUCTIONS = (
    "A FinOps assistant for AI and cloud costs over a local warehouse of billing (FOCUS), LLM request, "
    "GPU, price and budget data. Prefer `ask` for questions in plain English: it answers with the figure, "
    "the window, the SQL it ran and a chart. Use `describe` to see the tables, metrics and dates, "
    "`run_sql` for one read-only DuckDB SELECT, `anomalies`, `savings` and `explain_change` for analysis. "
    "Relative dates (last week, this month) resolve against `as_of`."
)


@dataclass(frozen=True)
class Finops:
    """What every tool reads with: settings, the shared executor, and who is asking."""

    settings: Any
    executor: Executor
    caller_scope: Callable[[], Scope | None]

    def as_of(self, text: str | None) -> date:
        """The requested date, else FINOPS_AS_OF, else the day after the latest data (as `finops anomalies`)."""
        if text:
            try:
                return date.fromisoformat(text.strip())
            except ValueError:
                raise FinopsError(f"as_of takes a date as YYYY-MM-DD, not {text!r}.") from None
        return resolve_as_of(self.executor, self.settings)

    def context(self, as_of: str | None, route: str = "auto") -> AskContext:
        return AskContext(
            settings=self.settings, as_of=self.as_of(as_of) if as_of else None, scope=self.caller_scope(),
            route=route, executor=self.executor, channel="mcp",
        )


# --- results -------------------------------------------------------------------------------------


def result(payload: dict) -> CallToolResult:
    """A JSON object as structured content, and the same JSON as text."""
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(payload))], structured_content=payload)


def refusal(message: str, payload: dict | None = None) -> CallToolResult:
    """An isError result whose text is the one-line message a person (or a model) can act on."""
    return CallToolResult(content=[TextContent(type="text", text=message)], structured_content=payload, is_error=True)


def respond(tool: str, work: Callable[[], CallToolResult]) -> CallToolResult:
    """Run a tool body: user errors become refusals, anything else an internal error with a request id."""
    try:
        return work()
    except FinopsError as error:
        return refusal(error.user_message)
    except Exception:  # our bug: logged with an id, reported plainly
        request_id = log_internal_error(log, "in MCP tool %s", tool)
        return refusal(internal_error_message(request_id, "the server's log"))


def capped(columns, rows: list, truncated: bool) -> dict:
    """Columns and at most CLIENT_ROWS rows as JSON, saying whether any were left out."""
    return {
        "columns": list(columns),
        "rows": jsonable(list(rows[:CLIENT_ROWS])),
        "truncated": bool(truncated or len(rows) > CLIENT_ROWS),
    }


def answer_json(answer: Answer) -> dict:
    """The answer contract's JSON (`Answer.to_json()`), rows capped for the client, with `truncated`.

    A chart whose inlined data holds more than CLIENT_ROWS points is left out (`chart: null`), as the
    contract allows where a table says it better: cut, it would draw a different picture.
    """
    data = {**answer.to_json(), **capped(answer.columns, answer.rows, answer.truncated)}
    if data["chart"] and len((data["chart"].get("data") or {}).get("values") or ()) > CLIENT_ROWS:
        data["chart"] = None
    return data


def answered(answer: Answer) -> CallToolResult:
    if answer.error is not None:
        return refusal(answer.error.message, answer_json(answer))
    return result(answer_json(answer))


# --- tools ---------------------------------------------------------------------------------------


def ask_tool(finops: Finops, question: str, as_of: str | None) -> CallToolResult:
    return answered(ask_question(question, finops.context(as_of)))


def run_sql_tool(finops: Finops, sql: str) -> CallToolResult:
    found = finops.executor.run_sql(sql, scope=finops.caller_scope())
    return result({"sql": found.sql, **capped(found.columns, found.rows, found.truncated)})


def describe_tool(finops: Finops) -> CallToolResult:
    scope = finops.caller_scope()
    facts = warehouse_info(finops.executor)
    model = load_semantic_model()
    tables = []
    for table in facts.tables:
        rows, first, last = (table.rows, table.first, table.last) if scope is None else _scoped_facts(finops, table.name, scope)
        contract = TABLES[table.name]
        tables.append({
            "name": table.name, "description": contract.description, "rows": rows, "first": jsonable(first),
            "last": jsonable(last), "time_column": contract.time_column, "columns": [c.name for c in contract.columns],
            "metrics": model.metrics_of(table.name), "dimensions": model.dimensions_of(table.name),
        })
    return result({
        "as_of": jsonable(facts.as_of), "as_of_source": facts.as_of_source, "last_load": jsonable(facts.last_load),
        "scope": str(scope) if scope else None, "tables": tables,
        "metrics": [{"name": m.name, "label": m.label, "table": m.table, "unit": m.unit, "definition": m.definition,
                     "sql": m.sql, "words": list(m.synonyms[:6])} for m in model.metrics.values()],
        "dimensions": [{"name": d.name, "label": d.label, "columns": dict(d.sql), "words": list(d.synonyms[:6])}
                       for d in model.dimensions.values()],
    })


def _scoped_facts(finops: Finops, table: str, scope: Scope) -> tuple:
    """Rows, first and last time of `table` as the scope sees it (the same guarded, scoped path as run_sql)."""
    column = TABLES[table].time_column
    aggregates: list[exp.Expression] = [exp.Count(this=exp.Star())]
    if column:
        aggregates += [exp.Min(this=exp.column(column, quoted=True)), exp.Max(this=exp.column(column, quoted=True))]
    row = finops.executor.run_sql(exp.select(*aggregates).from_(table).sql("duckdb"), scope=scope).rows[0]
    return (row[0], row[1], row[2]) if column else (row[0], None, None)


def anomalies_tool(finops: Finops, days: int, as_of: str | None) -> CallToolResult:
    from assistant.analysis.anomalies import anomalies_json, find_anomalies, narrate_anomalies

    if not 1 <= days <= MAX_DAYS:
        raise FinopsError(f"days takes 1 to {MAX_DAYS}, not {days}.")
    day = finops.as_of(as_of)
    found = find_anomalies(finops.executor, finops.settings, as_of=day, days=days, scope=finops.caller_scope())
    return result(jsonable({**anomalies_json(found, day), "days": days, "text": narrate_anomalies(found, day, days)}))


def savings_tool(finops: Finops, as_of: str | None) -> CallToolResult:
    from assistant.analysis.savings import ATTRIBUTION_KINDS, find_savings, narrate_savings

    day = finops.as_of(as_of)
    found = find_savings(finops.executor, finops.settings, as_of=day, scope=finops.caller_scope())
    return result(jsonable({
        "as_of": day.isoformat(),
        "total_monthly_usd": round(sum(s.monthly_usd for s in found if s.kind not in ATTRIBUTION_KINDS), 2),
        "savings": [asdict(s) for s in found],
        "text": narrate_savings(found),
    }))


def explain_change_tool(finops: Finops, question: str) -> CallToolResult:
    answer = ask_question(question, finops.context(None, route="planner"))
    if answer.error is None and (answer.plan is None or answer.plan.intent != "why_changed"):
        return refusal(
            "explain_change explains why a cost changed, as in 'why did inference cost jump last week?'; "
            f"this question reads as {answer.plan.describe() if answer.plan else 'something else'}. Ask it with the ask tool.",
        )
    return answered(answer)


# --- resources and the prompt --------------------------------------------------------------------


def data_contract() -> str:
    if DATA_CONTRACT.is_file():
        return DATA_CONTRACT.read_text()
    return (
        "# Data contract\n\nThe data contract is not installed with this copy of the FinOps assistant "
        f"(looked for {DATA_CONTRACT}). It is `docs/DATA-CONTRACT.md` in the repository. Meanwhile the "
        "`describe` tool lists the tables, their row counts and dates, and every metric with its definition.\n"
    )


def semantic_reference() -> str:
    from assistant.semantic.reference import REFERENCE_PATH, render_reference

    return REFERENCE_PATH.read_text() if REFERENCE_PATH.is_file() else render_reference(load_semantic_model())


def notebooks_index(home: Path) -> str:
    from ui.notebooks.runner import list_notebooks

    listed = [{"name": n.path.stem, "title": n.title, "questions": len(n.questions), "uri": f"finops://notebooks/{n.path.stem}"}
              for n in list_notebooks(home) if n.path is not None]
    return json.dumps({"notebooks": listed})


def notebook_text(home: Path, name: str) -> str:
    from ui.notebooks.runner import list_notebooks

    for notebook in list_notebooks(home):  # only files that load as notebooks, and only by their stem
        if notebook.path is not None and notebook.path.stem == name:
            return notebook.path.read_text()
    raise ResourceError(f"No saved notebook named {name!r}; finops://notebooks lists them.")


def weekly_review_questions() -> list[str]:
    import ui.notebooks.examples as examples
    from ui.notebooks.runner import load_notebook

    notebook = load_notebook(Path(examples.__file__).with_name(WEEKLY_REVIEW))
    return [q.question for q in notebook.questions]


def weekly_review_prompt(as_of: str | None) -> str:
    when = f" with as_of={as_of}" if as_of else ""
    questions = "\n".join(f"{n}. {q}" for n, q in enumerate(weekly_review_questions(), 1))
    return (
        f"Run the weekly AI cost review. Ask each of these questions with the `ask` tool{when}, one call per question:\n\n"
        f"{questions}\n\n"
        "Then write the review for an engineering lead: the week's inference cost and its change first, what drove it "
        "(features, models, retries), budget status and the month-end forecast, then any anomalies, each with its dollar "
        "impact. Quote figures exactly as the answers give them and name the window each one covers. When a question was "
        "not answered, say so and why, in one line; do not estimate it."
    )


# --- the server ----------------------------------------------------------------------------------


def build_server(settings, executor: Executor, caller_scope: Callable[[], Scope | None],
                 token_verifier=None, base_url: str | None = None) -> MCPServer:
    """The server with its tools, resources and prompt; with `token_verifier`, HTTP requests need a bearer token."""
    finops = Finops(settings, executor, caller_scope)
    # Static bearer tokens, not OAuth: no authorization server and no metadata routes (resource_server_url None);
    # issuer_url is a required field that nothing reads in that case.
    auth = AuthSettings(issuer_url=AnyHttpUrl(base_url or "http://127.0.0.1"), resource_server_url=None) if token_verifier else None
    server = MCPServer("finops", title="FinOps assistant", instructions=INSTRUCTIONS, log_level="WARNING",
                       token_verifier=token_verifier, auth=auth)

    @server.tool(annotations=READ_ONLY)
    def ask(question: str, as_of: str | None = None) -> CallToolResult:
        """Answer a plain-English question about AI and cloud cost ("why did inference cost jump last week?",
        "top 5 features by inference cost this month", "are we over budget?"). Returns the answer contract's JSON:
        `text` (the figure first, then why), `window`, `sql` as run, `columns`/`rows` (at most 200), `chart`
        (Vega-Lite), `drivers`, `anomalies`, `suggestions`. `as_of` (YYYY-MM-DD) anchors relative dates; default:
        the day after the latest data."""
        return respond("ask", lambda: ask_tool(finops, question, as_of))

    @server.tool(annotations=READ_ONLY)
    def run_sql(sql: str) -> CallToolResult:
        """Run one read-only DuckDB SELECT (or WITH/UNION) over the warehouse tables billing (FOCUS columns),
        llm_requests, gpu_usage, model_prices, budgets. Anything else is refused with the reason. Returns
        {"columns", "rows" (at most 200), "truncated"}. Call `describe` first for the tables and metrics."""
        return respond("run_sql", lambda: run_sql_tool(finops, sql))

    @server.tool(annotations=READ_ONLY)
    def describe() -> CallToolResult:
        """The warehouse: each table with its row count, first and last time, metrics and dimensions; `as_of`;
        every metric with its definition and SQL, every dimension with its columns."""
        return respond("describe", lambda: describe_tool(finops))

    @server.tool(annotations=READ_ONLY)
    def anomalies(days: int = 30, as_of: str | None = None) -> CallToolResult:
        """Cost anomalies (spikes, level shifts, creep, new cost) in the `days` (1-366) before `as_of`, each with
        expected and actual values, impact in USD and %, and root causes; `text` summarizes them."""
        return respond("anomalies", lambda: anomalies_tool(finops, days, as_of))

    @server.tool(annotations=READ_ONLY)
    def savings(as_of: str | None = None) -> CallToolResult:
        """Where money leaks in the 30 days before `as_of`: model routing, prompt caching, retry waste, idle GPUs,
        unit-cost ceilings, untagged spend; each with an estimated monthly saving and a recommendation."""
        return respond("savings", lambda: savings_tool(finops, as_of))

    @server.tool(annotations=READ_ONLY)
    def explain_change(question: str) -> CallToolResult:
        """Why a cost changed, split exactly into drivers (volume, model mix, prompt size, output size, cache share,
        price) by feature, model and team: ask it as "why did inference cost jump last week?". Returns the answer
        contract's JSON with `drivers`."""
        return respond("explain_change", lambda: explain_change_tool(finops, question))

    server.resource("finops://docs/data-contract", name="data-contract", title="Data contract",
                    description="The five tables and their columns, time rules and as_of.",
                    mime_type="text/markdown")(data_contract)
    server.resource("finops://docs/semantic-reference", name="semantic-reference", title="Semantic model reference",
                    description="Every metric and dimension, its definition and SQL, and the words that name it.",
                    mime_type="text/markdown")(semantic_reference)

    @server.resource("finops://notebooks", name="notebooks", title="Saved notebooks", mime_type="application/json",
                     description="The saved-question notebooks in FINOPS_HOME/notebooks.")
    def notebooks() -> str:
        return notebooks_index(settings.home)

    @server.resource("finops://notebooks/{name}", name="notebook", title="A saved notebook", mime_type="application/yaml",
                     description="One saved notebook's YAML: its title and questions.")
    def notebook(name: str) -> str:
        return notebook_text(settings.home, name)

    @server.prompt(name="weekly_ai_cost_review", title="Weekly AI cost review")
    def weekly_ai_cost_review(as_of: str | None = None) -> str:
        """The weekly AI cost review: ask its ten questions, then write the review."""
        return weekly_review_prompt(as_of)

    return server
