"""The planner for a warehouse as it is now, and the day its time words resolve against.

A planner reads the dimension values stored in the warehouse, so it is rebuilt
when a load changes the data (the lake's version); one is kept at a time.
`resolve_as_of` is the one place the as_of rule lives (DATA-CONTRACT.md, time words).
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlglot import exp

from assistant.semantic import load_semantic_model
from assistant.semantic.tags import with_tag_dimensions
from assistant.understand.planner import Planner
from assistant.understand.values import ValueIndex
from warehouse.errors import WarehouseError
from warehouse.executor import Executor
from warehouse.info import AS_OF_TABLES
from warehouse.settings import Settings

EMPTY_WAREHOUSE = "The warehouse is empty. Load data with `finops ingest PATH` (or build the demo with `make demo`)."
_planners: dict[tuple[int, float], tuple[Planner, date | None]] = {}
_lock = threading.Lock()


def planner_for(executor: Executor) -> tuple[Planner, date | None]:
    """The planner and the data's as_of for the warehouse as it is now (rebuilt after a load)."""
    version = executor.lake.version()
    key = (id(executor), version)
    with _lock:
        if key not in _planners:
            model = with_tag_dimensions(load_semantic_model(), billing_tag_keys(executor))
            values = ValueIndex.build(executor, model)
            _planners.clear()
            _planners[key] = (Planner(model, values), _data_as_of(executor))
        return _planners[key]


def resolve_as_of(executor: Executor, settings: Settings, asked: date | None = None) -> date:
    """The day time words resolve against: as asked, else FINOPS_AS_OF, else the day after the latest data.

    An empty warehouse has none: a `WarehouseError` that says how to load data.
    """
    as_of = asked or settings.as_of or planner_for(executor)[1]
    if as_of is None:
        raise WarehouseError(EMPTY_WAREHOUSE)
    return as_of


def billing_tag_keys(executor: Executor) -> list[str]:
    """The tag keys found in `billing.Tags`, cached for this data version (none without a billing table)."""
    cached = executor.lake.read_cache("tag-keys")
    if isinstance(cached, dict) and isinstance(cached.get("keys"), list):
        return [str(key) for key in cached["keys"]]
    key = exp.column("key")
    keys_of_rows = exp.select(exp.alias_(exp.Explode(this=exp.func("map_keys", exp.column("Tags"))), "key")).from_("billing")
    query = exp.select(key).from_(keys_of_rows.subquery("k")).where(key.is_(exp.null()).not_()).group_by(key).order_by(key)
    try:
        keys = [row[0] for row in executor.run_sql(query.sql("duckdb")).rows]
    except WarehouseError:
        keys = []
    executor.lake.write_cache("tag-keys", {"keys": keys})
    return keys


def _data_as_of(executor: Executor) -> date | None:
    """The day after the latest day with data, cached beside the value index for this data version."""
    cached = executor.lake.read_cache("as_of")
    if isinstance(cached, dict) and "as_of" in cached:
        return date.fromisoformat(cached["as_of"]) if cached["as_of"] else None
    found = _latest_day(executor)
    executor.lake.write_cache("as_of", {"as_of": found.isoformat() if found else None})
    return found


def _latest_day(executor: Executor) -> date | None:
    model = load_semantic_model()
    latest = []
    for table in AS_OF_TABLES:
        column = model.timed_column(table)
        value = executor.run_sql(exp.select(exp.Max(this=exp.column(column))).from_(table).sql("duckdb")).rows[0][0]
        if value is not None:
            latest.append(value.date() if hasattr(value, "date") else value)
    return max(latest) + timedelta(days=1) if latest else None
