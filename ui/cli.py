"""The `finops` command (CLI.md): parse, call the library, print, exit 0/1/2.

Errors a user can act on print one or two sentences to stderr and exit 2;
anything else is our bug: exit 1 with a request id (traceback with --debug).
Heavy modules are imported inside the commands that use them.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, date
from pathlib import Path
from typing import Annotated

import typer

from warehouse.errors import FinopsError, new_request_id

app = typer.Typer(
    name="finops",
    help="A conversational FinOps assistant for AI costs: ask about your billing, LLM and GPU data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_state = {"debug": False}


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False) -> None:
    _state["debug"] = debug


# --engine on the commands that query: the FINOPS_ENGINE of this run.
EngineOption = Annotated[str | None, typer.Option("--engine", help="Where queries run: duckdb or spark (default FINOPS_ENGINE).")]


def _settings(**overrides):
    from warehouse.settings import load_settings

    return load_settings(**overrides)


def _fail(error: BaseException) -> None:
    if isinstance(error, FinopsError):
        typer.echo(f"finops: {error.user_message}", err=True)
        raise typer.Exit(error.exit_code)
    import traceback

    request_id = new_request_id()
    details = "".join(traceback.format_exception(error))
    where = _log_internal_error(request_id, details)
    if _state["debug"]:
        typer.echo(details, err=True)
    typer.echo(
        f"finops: internal error (request {request_id}): {type(error).__name__}. "
        f"This is a bug; the details are in {where} (or rerun with --debug). Please report it.",
        err=True,
    )
    raise typer.Exit(1)


def _log_internal_error(request_id: str, details: str) -> str:
    """Append the traceback to FINOPS_HOME/logs/errors.log (or the temp folder); returns the path."""
    import tempfile
    from datetime import datetime

    try:
        folder = _settings().home / "logs"
    except Exception:  # noqa: BLE001 - settings may be what is broken
        folder = Path(tempfile.gettempdir())
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "errors.log"
        with path.open("a") as handle:
            handle.write(f"--- {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} request {request_id}\n{details}\n")
        return str(path)
    except OSError:
        return "standard error with --debug"


def _guarded(fn):
    """Run a command body, mapping errors to messages and exit codes."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            typer.echo("finops: interrupted.", err=True)
            raise typer.Exit(130) from None
        except Exception as error:  # noqa: BLE001 - the one place errors become exit codes
            _fail(error)

    return wrapper


@app.command("demo-data")
@_guarded
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (must not exist or be empty).")],
    days: Annotated[int, typer.Option(help="Days of history.")] = 90,
    rows: Annotated[int, typer.Option(help="Approximate llm_requests rows (10k to 100M).")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same arguments give the same data.")] = 7,
    end: Annotated[str | None, typer.Option(help="Day after the last day of data, YYYY-MM-DD.")] = None,
) -> None:
    """Write a realistic synthetic AI-company data set as contract Parquet files."""
    from ui.progress import demo_progress
    from warehouse.demo import generate_demo
    from warehouse.errors import FinopsError as _Error

    end_day = _parse_date(end, "--end") if end else None
    kwargs = {"end": end_day} if end_day else {}
    try:
        with demo_progress() as progress:
            summary = generate_demo(out, days=days, rows=rows, seed=seed, progress=progress, **kwargs)
    except ValueError as error:
        raise _Error(str(error)) from None
    counts = ", ".join(f"{table} {count:,}" for table, count in summary.rows.items())
    typer.echo(f"Wrote {out}: {counts}; {len(summary.incidents)} incidents in {out / 'incidents.json'}.")


@app.command()
@_guarded
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load.")],
    table: Annotated[str | None, typer.Option(help="Load into this table instead of detecting it.")] = None,
    fmt: Annotated[str, typer.Option("--format", help=(
        "auto (from the content), parquet, csv, json, focus, litellm, langfuse, otel, helicone, "
        "openai-usage, openai-costs, anthropic-usage or anthropic-costs."))] = "auto",
    mapping: Annotated[list[str] | None, typer.Option("--map", help=(
        "COLUMN=FIELD: where team, feature, environment or user come from (a source column, "
        "a dotted path into a JSON column, or key: in a list of tags). Repeatable."))] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Load files into the warehouse: FOCUS billing, contract tables, LLM gateway and observability logs, provider reports."""
    from ui.progress import IngestBar
    from warehouse.formats import parse_mapping
    from warehouse.ingest import ingest as run_ingest

    settings = _settings()
    fields = parse_mapping(mapping)
    with IngestBar(enabled=not json_out) as bar:
        report = run_ingest(paths, settings, table=table, fmt=fmt, mapping=fields, progress=bar)
    if json_out:
        typer.echo(json.dumps({"results": [r.__dict__ for r in report.results], "rows_loaded": report.rows_loaded}, indent=2))
    else:
        for result in report.results:
            typer.echo(_describe_result(result), err=result.status == "refused")
    if report.refused:
        raise typer.Exit(2)


def _describe_result(result) -> str:
    if result.status == "loaded":
        line = f"loaded   {result.path} -> {result.table}: {result.rows_loaded:,} rows"
        if result.rows_duplicate:
            line += f", {result.rows_duplicate:,} duplicate(s) skipped"
        catalog = sum(rows for _, _, rows in result.priced_from_catalog)
        if result.rows_priced - catalog > 0:
            line += f", {result.rows_priced - catalog:,} priced from model_prices"
        for model, price, rows in result.priced_from_catalog:
            line += f", {rows:,} {model} priced from {price}"
        if result.message:
            line += f". {result.message}"
        return line
    if result.status == "skipped":
        return f"skipped  {result.path}: {result.message}"
    return f"refused  {result.message}"


@app.command()
@_guarded
def prices(json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """The price each model of llm_requests gets and where it comes from (model_prices, else the catalog)."""
    from warehouse.pricing import price_list

    listed = price_list(_settings())
    if json_out:
        typer.echo(json.dumps([item.to_json() for item in listed], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    view = Table("provider", "model", "requests", "unpriced", "input $/1M", "cached $/1M", "output $/1M", "price from")
    for item in listed:
        view.add_row(item.provider or "", item.model or "", f"{item.requests:,}", f"{item.unpriced:,}",
                     *("" if v is None else f"{v:,.4g}" for v in (item.input_usd_per_mtok, item.cached_input_usd_per_mtok,
                                                                   item.output_usd_per_mtok)),
                     item.source)
    Console().print(view)


@app.command()
def mcp(
    http: Annotated[bool, typer.Option("--http", help="Serve the streamable HTTP transport instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="With --http: the address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --http: the port (0 picks a free one and prints it).")] = 8765,
    scope: Annotated[str | None, typer.Option(help="Only rows of this scope, e.g. team=cx (stdio, or HTTP without tokens).")] = None,
) -> None:
    """The Model Context Protocol server: the assistant inside Claude, Cursor or VS Code (docs/MCP.md)."""
    from ui.mcp.command import mcp_command

    mcp_command(http=http, host=host, port=port, scope=scope)


@app.command()
@_guarded
def collect(
    host: Annotated[str, typer.Option(help="Address to listen on; off loopback only with FINOPS_COLLECT_TOKEN set.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (4318 is OTLP/HTTP's; 0 picks a free one and prints it).")] = 4318,
    mapping: Annotated[list[str] | None, typer.Option("--map", help=(
        "COLUMN=ATTRIBUTE: the span or resource attribute team, feature, environment or user come from. Repeatable."))] = None,
) -> None:
    """Receive OpenTelemetry GenAI spans over OTLP/HTTP (POST /v1/traces) into llm_requests; acknowledged = durable."""
    from ui.collect.command import collect_command

    collect_command(host=host, port=port, mapping=mapping)


@app.command()
@_guarded
def info(json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """Tables, row counts, date ranges, freshness, as_of, the FOCUS versions of the billing data, and last month's
    tracked LLM spend against billed when both are loaded."""
    from warehouse.executor import Executor
    from warehouse.info import warehouse_info

    # The lake as DuckDB wrote it: its files' footers (FOCUS versions) are read with DuckDB whatever FINOPS_ENGINE says.
    settings = _settings(engine="duckdb")
    with Executor(settings) as executor:
        facts = warehouse_info(executor)
        reconciled = _reconciliation(executor, settings, facts.as_of)
    if json_out:
        payload = facts.to_json()
        if reconciled is not None:
            payload["reconciliation"] = reconciled.summary_json()
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    view = Table(title=f"Warehouse {facts.home}")
    for name in ("table", "rows", "first", "last", "files"):
        view.add_column(name, justify="right" if name in ("rows", "files") else "left")
    for t in facts.tables:
        view.add_row(t.name, f"{t.rows:,}", _day(t.first), _day(t.last), str(t.files))
    console = Console()
    console.print(view)
    console.print(
        f"as_of {facts.as_of or '-'} ({'from the data' if facts.as_of_source == 'data' else 'FINOPS_AS_OF'}); "
        f"{facts.loads} loads, last {facts.last_load:%Y-%m-%d %H:%M} UTC" if facts.last_load else "no loads yet"
    )
    if facts.focus_versions:
        console.print(f"billing: FOCUS {', '.join(facts.focus_versions)}", highlight=False)
    if reconciled is not None:
        from assistant.analysis.reconciliation import summarize_reconciliation

        console.print(summarize_reconciliation(reconciled), highlight=False)


def _reconciliation(executor, settings, as_of: date | None):
    """Last month's tracked LLM spend against billed, when both sides have data; else None."""
    if as_of is None:
        return None
    from assistant.analysis.reconciliation import last_month, reconcile

    try:
        result = reconcile(executor, settings, last_month(as_of))
    except FinopsError:  # a warehouse the queries cannot read leaves the rest of `info` as it is
        return None
    return result if result.summary_json() is not None else None


def _day(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@app.command()
@_guarded
def sql(
    query: Annotated[str, typer.Argument(help="One read-only SELECT.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    scope: Annotated[str | None, typer.Option(help="Only rows of this scope, e.g. team=cx.")] = None,
    engine: EngineOption = None,
) -> None:
    """Run one guarded read-only query."""
    from assistant.present.jsonable import jsonable
    from warehouse.executor import Executor
    from warehouse.scope import Scope

    row_scope = Scope.parse(scope) if scope else None
    with Executor(_settings(engine=engine)) as executor:
        result = executor.run_sql(query, scope=row_scope)
    if json_out:
        payload = {
            "sql": result.sql,
            "columns": list(result.columns),
            "rows": jsonable(result.rows),
            "truncated": result.truncated,
            "elapsed_ms": round(result.elapsed_ms, 2),
        }
        typer.echo(json.dumps(payload))
        return
    from rich.console import Console
    from rich.table import Table

    view = Table()
    for column in result.columns:
        view.add_column(column)
    for row in result.rows:
        view.add_row(*("" if v is None else str(v) for v in row))
    console = Console()
    console.print(view)
    note = f"{len(result.rows):,} row(s) in {result.elapsed_ms:.0f} ms"
    if result.truncated:
        note += f"; truncated at FINOPS_MAX_ROWS={len(result.rows):,}"
    console.print(note, style="dim")


@app.command()
@_guarded
def ask(
    question: Annotated[str, typer.Argument(help="A question about your costs, in plain English.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON (ANSWER-CONTRACT.md).")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Resolve time words against this date, YYYY-MM-DD.")] = None,
    scope: Annotated[str | None, typer.Option(help="Only rows of this scope, e.g. team=cx.")] = None,
    route: Annotated[str, typer.Option(help="auto, planner or llm.")] = "auto",
    explain_only: Annotated[bool, typer.Option("--explain", help="Show the plan and SQL without running it.")] = False,
    dialect: Annotated[str, typer.Option(help="With --explain: the SQL dialect (duckdb, spark, trino, bigquery, snowflake).")] = "duckdb",
    engine: EngineOption = None,
) -> None:
    """Answer a question: the figure, the reason, a chart and the SQL."""
    from assistant.answer import AskContext
    from assistant.ask import ask as run_ask
    from warehouse.scope import Scope

    if route not in ("auto", "planner", "llm"):
        raise FinopsError(f"--route takes auto, planner or llm, not {route!r}.")
    context = AskContext(
        settings=_settings(engine=engine),
        as_of=_parse_date(as_of, "--as-of") if as_of else None,
        scope=Scope.parse(scope) if scope else None,
        route=route,
    )
    if explain_only:
        from assistant.ask import explain
        from assistant.query.plan import Clarification

        plan, sql = explain(question, context, dialect=dialect)
        if isinstance(plan, Clarification):
            raise FinopsError(plan.message)
        if json_out:
            typer.echo(json.dumps({"plan": plan.describe(), "sql": sql}))
        else:
            typer.echo(f"plan: {plan.describe()}\nsql:  {sql}")
        return
    answer = run_ask(question, context)
    if json_out:
        typer.echo(json.dumps(answer.to_json()))
    else:
        _print_answer(answer)
    if answer.error is not None:
        if answer.error.kind == "internal":
            raise typer.Exit(1)
        if not json_out:
            typer.echo(f"finops: {answer.error.message}", err=True)
        raise typer.Exit(2)


@app.command()
@_guarded
def feedback(
    verdict: Annotated[str, typer.Argument(help="good (teach this answer as an example) or bad.")],
    question: Annotated[str, typer.Argument(help="The question the verdict is about.")],
    sql_text: Annotated[str | None, typer.Option("--sql", help="The right SQL for the question (checked by the guard and run).")] = None,
    note: Annotated[str | None, typer.Option(help="Why, in a few words.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="The date the question's time words meant, YYYY-MM-DD.")] = None,
    scope: Annotated[str | None, typer.Option(help="The scope it was asked in, e.g. team=cx.")] = None,
) -> None:
    """Confirm (good) or reject (bad) an answer. Only confirmed answers become examples."""
    from assistant.answer import Answer, AskContext
    from assistant.ask import ask as run_ask
    from assistant.quality.feedback import VERDICTS, record_feedback
    from assistant.understand.planners import resolve_as_of
    from warehouse.executor import Executor
    from warehouse.scope import Scope

    if verdict not in VERDICTS:
        raise FinopsError(f"The verdict is good or bad, not {verdict!r}.")
    settings = _settings()
    row_scope = Scope.parse(scope) if scope else None
    with Executor(settings) as executor:
        # Examples remember the date their time words meant.
        day = resolve_as_of(executor, settings, _parse_date(as_of, "--as-of") if as_of else None)
        if sql_text:
            result = executor.run_sql(sql_text, scope=row_scope)  # refused or failing SQL is never learned
            answer = Answer(question, "planner", sql=result.sql, columns=result.columns, rows=result.rows)
        elif verdict == "good":
            # The answer as the assistant gives it now: a stored model answer is reused, not paid for again.
            answer = run_ask(question, AskContext(settings=settings, as_of=day, scope=row_scope, executor=executor))
            if not answer.answered:
                raise FinopsError(f"There is no answer to confirm: {answer.error.message if answer.error else 'not answered'} Give the right SQL with --sql.")
        else:
            answer = Answer(question, "none")
    result = record_feedback(answer, verdict, settings, as_of=day, note=note, channel="cli", scope=row_scope)
    typer.echo(result.message)
    if result.learned:
        typer.echo(f"  {question}  →  {result.sql}")


def _print_answer(answer) -> None:
    """The answer as text, then how the question was read (dim; also for one only partly understood)."""
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.markup import escape
    from rich.table import Table

    from assistant.present.jsonable import jsonable

    console = Console()
    if answer.error is None:
        console.print(Markdown(answer.text))
    if answer.read_as():  # under the text, before a long table and SQL; the reason for an error goes to stderr
        console.print(f"[dim]{escape(answer.read_as())}[/dim]")
    if answer.error is None:
        if answer.rows and len(answer.rows) > 1 or len(answer.columns) > 1:
            view = Table(show_edge=False)
            for column in answer.columns:
                view.add_column(column)
            for row in answer.rows[:50]:
                view.add_row(*(_cell(v) for v in jsonable(list(row))))
            console.print(view)
        console.print(f"[dim]{answer.route} · {answer.elapsed_ms:.0f} ms · {answer.sql}[/dim]")
    if answer.suggestions:
        console.print("[dim]Try: " + " · ".join(answer.suggestions) + "[/dim]")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


@app.command()
@_guarded
def anomalies(
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Look back from this date, YYYY-MM-DD.")] = None,
    days: Annotated[int, typer.Option(help="How many days back to report anomalies for.")] = 30,
    scope: Annotated[str | None, typer.Option(help="Only rows of this scope, e.g. team=cx.")] = None,
) -> None:
    """List anomalies with their impact and root cause."""
    from assistant.analysis.anomalies import anomalies_json, find_anomalies, narrate_anomalies
    from assistant.understand.planners import resolve_as_of
    from warehouse.executor import Executor
    from warehouse.scope import Scope

    if not 1 <= days <= 366:
        raise FinopsError(f"--days takes 1 to 366, not {days}.")
    settings = _settings()
    with Executor(settings) as executor:
        day = resolve_as_of(executor, settings, _parse_date(as_of, "--as-of") if as_of else None)
        found = find_anomalies(executor, settings, as_of=day, days=days, scope=Scope.parse(scope) if scope else None)
    if json_out:
        typer.echo(json.dumps(anomalies_json(found, day), default=str))
    else:
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(narrate_anomalies(found, day, days)))


@app.command("eval")
@_guarded
def evaluate(
    set_name: Annotated[str, typer.Option("--set", help="A question set: a name under evals/sets or a path.")] = "core",
    route: Annotated[str, typer.Option(help="planner, llm or auto.")] = "planner",
    split: Annotated[str | None, typer.Option(help="Only this split: tuning or validation.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    min_accuracy: Annotated[float | None, typer.Option(help="Exit 2 when overall accuracy is below this (0..1).")] = None,
    engine: EngineOption = None,
) -> None:
    """Score a question set: execution accuracy, latency, model tokens and cost."""
    from assistant.quality.evaluation import format_report, load_set, run_eval

    if route not in ("auto", "planner", "llm"):
        raise FinopsError(f"--route takes auto, planner or llm, not {route!r}.")
    settings = _settings(engine=engine)
    if route == "llm" and not settings.model_configured:
        raise FinopsError("--route llm needs a language model: set OPENAI_API_KEY (and OPENAI_BASE_URL for another endpoint).")
    cases = load_set(set_name)
    report = run_eval(cases, settings, route=route, split=split, name=set_name)
    summary = report.summary()
    typer.echo(json.dumps(summary, indent=2, default=str) if json_out else format_report(report))
    accuracy = summary["accuracy"]["overall"]
    if min_accuracy is not None and accuracy < min_accuracy:
        typer.echo(f"finops: accuracy {accuracy:.1%} is below the floor {min_accuracy:.1%}.", err=True)
        raise typer.Exit(2)


@app.command()
@_guarded
def slack(
    port: Annotated[int, typer.Option(help="Port of the /slack/events endpoint (HTTP mode).")] = 3000,
    host: Annotated[str, typer.Option(help="Address to listen on (HTTP mode); Slack must reach it.")] = "0.0.0.0",
) -> None:
    """The Slack bot: Socket Mode with SLACK_APP_TOKEN, else HTTP on --port with signature checks."""
    from ui.slack.serve import serve_slack

    serve_slack(_settings(), port=port, host=host, echo=typer.echo)


alerts_app = typer.Typer(help="Alerts to Slack: anomalies, budgets, ceilings, idle GPUs, billing gaps.",
                         no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("run")
@_guarded
def alerts_run(
    as_of: Annotated[str | None, typer.Option("--as-of", help="What is open as of this date, YYYY-MM-DD.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be sent; post and record nothing.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Post new incidents to the channels of FINOPS_HOME/alerts.yaml once, updating grown ones in their threads."""
    from ui.alerts.run import describe_run, run_alerts

    run = run_alerts(_settings(), as_of=_parse_date(as_of, "--as-of") if as_of else None, dry_run=dry_run)
    typer.echo(json.dumps(run.to_json(), default=str) if json_out else describe_run(run))
    if run.result is not None and run.result.failed:
        channel, incident, reason = run.result.failed[0]
        raise FinopsError(f"Slack refused {len(run.result.failed)} alert(s), e.g. {incident} in {channel} ({reason}); "
                          "they are posted on the next run. Check SLACK_BOT_TOKEN and the channels in alerts.yaml.")


notebook_app = typer.Typer(help="Saved-question notebooks: run them into reports.", no_args_is_help=True)
app.add_typer(notebook_app, name="notebook")


@notebook_app.command("run")
@_guarded
def notebook_run(
    file: Annotated[Path, typer.Argument(help="The notebook YAML file.")],
    fmt: Annotated[str, typer.Option("--format", help="md, html or ipynb.")] = "md",
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the report (default FINOPS_HOME/reports/<notebook>).")] = None,
) -> None:
    """Answer every question of a notebook and write one report; exit 2 if any was not answered."""
    from ui.notebooks.runner import notebook_command

    raise typer.Exit(notebook_command(file, fmt, out, _settings()))


@app.command()
@_guarded
def ui(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "localhost",
) -> None:
    """Open the Streamlit chat page."""
    from ui.launch import launch_ui

    launch_ui(_settings(), port=port, host=host)


@app.command()
@_guarded
def demo(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "localhost",
) -> None:
    """Build the demo warehouse if it is missing, then open the chat page."""
    from ui.launch import ensure_demo_warehouse, launch_ui

    settings = _settings()
    ensure_demo_warehouse(settings, echo=typer.echo)
    launch_ui(settings, port=port, host=host)


def _parse_date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FinopsError(f"{flag} takes a date as YYYY-MM-DD, not {text!r}.") from None


def run() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(message)s")
    app()


if __name__ == "__main__":
    run()
