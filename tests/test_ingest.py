"""Ingest: real FOCUS data, contract validation, atomicity, idempotency, pricing."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import FOCUS_SAMPLE
from tests.tiny_data import llm_rows, price_rows, request_cost, write_table
from warehouse import ingest as ingest_module
from warehouse.contract import TABLES, column_key
from warehouse.errors import IngestError, WarehouseError
from warehouse.executor import Executor
from warehouse.focus import ADDED as FOCUS_ADDED
from warehouse.info import focus_versions
from warehouse.ingest import ingest
from warehouse.lake import Lake

FOCUS_12 = FOCUS_SAMPLE.parent / "focus-1.2-columns.csv"
FOCUS_KEYS = {column_key(name) for name in TABLES["billing"].column_names}


def count(settings, table: str) -> int:
    with Executor(settings) as executor:
        return executor.query(f"SELECT count(*) FROM {table}").rows[0][0]


def snapshot(settings) -> tuple:
    """Row counts, ledger rows and lake files: what must not change when a load is refused."""
    lake = Lake(settings.home)
    files = sorted(str(p.relative_to(lake.root)) for p in lake.root.rglob("*") if p.is_file()) if lake.root.exists() else []
    with Executor(settings) as executor:
        counts = tuple(executor.query(f"SELECT count(*) FROM {t}").rows[0][0] for t in TABLES)
    with lake.catalog() as cat:
        loads = cat.execute("SELECT count(*) FROM _finops_loads").fetchall()[0][0]
    return counts, loads, tuple(files)


# --- the FOCUS sample -------------------------------------------------------------------------


def test_focus_sample_loads_every_row_with_nulls_and_tags_converted(settings):
    report = ingest([FOCUS_SAMPLE], settings)
    [result] = report.results
    assert (result.status, result.table, result.rows_loaded) == ("loaded", "billing", 1000)
    varchar_columns = [c.name for c in TABLES["billing"].columns if c.type == "VARCHAR"]
    literal_nulls = " + ".join(f"count(*) FILTER (WHERE \"{c}\" = 'NULL')" for c in varchar_columns)
    with Executor(settings) as executor:
        assert executor.query(f"SELECT {literal_nulls} FROM billing").rows[0][0] == 0
        types = dict(zip(*[executor.query("SELECT * FROM billing LIMIT 1").columns, executor.query("SELECT * FROM billing LIMIT 1").types]))
        assert types["Tags"] == "MAP(VARCHAR, VARCHAR)"
        assert types["BilledCost"] == "DOUBLE"
        assert types["ChargePeriodStart"] == "TIMESTAMP"
        tagged = executor.query("SELECT count(*) FROM billing WHERE Tags['environment'] = 'dev'").rows[0][0]
        null_class = executor.query("SELECT count(*) FROM billing WHERE ChargeClass IS NULL").rows[0][0]
        kept_extra = executor.query("SELECT count(DISTINCT x_Id) FROM billing").rows[0][0]
    source = duckdb.connect()
    expected_dev = source.execute(
        "SELECT count(*) FROM read_csv($1, all_varchar=true) WHERE Tags LIKE '%\"environment\": \"dev\"%'", [str(FOCUS_SAMPLE)]
    ).fetchall()[0][0]
    assert tagged == expected_dev > 0
    assert null_class == 1000
    assert kept_extra == 1000  # the non-standard Id column is kept as x_Id


@pytest.mark.parametrize("export", [FOCUS_SAMPLE, FOCUS_12], ids=["focus-1.0", "focus-1.2"])
def test_loading_the_same_file_again_adds_nothing(settings, tmp_path, export):
    ingest([export], settings)
    before = snapshot(settings)
    copy = tmp_path / "renamed-copy.csv"
    shutil.copy(export, copy)
    report = ingest([export, copy], settings)
    assert [r.status for r in report.results] == ["skipped", "skipped"]
    assert "already loaded" in report.results[0].message
    assert snapshot(settings) == before


def test_snake_case_focus_columns_and_utc_offsets_are_normalized(settings, tmp_path):
    con = duckdb.connect()
    path = tmp_path / "aws-style.csv"
    con.execute(
        f"""COPY (SELECT * REPLACE ('2024-09-18T22:00:00+02:00' AS ChargePeriodStart)
                 FROM (SELECT * FROM read_csv('{FOCUS_SAMPLE}', all_varchar=true) LIMIT 5)
                 ) TO '{path}' (HEADER)"""
    )
    # rename columns to snake_case as some exports write them
    rows = path.read_text().splitlines()
    import re

    header = ",".join(re.sub(r"(?<!^)(?=[A-Z])", "_", name.strip('"')).lower() for name in rows[0].split(","))
    path.write_text("\n".join([header] + rows[1:]) + "\n")
    report = ingest([path], settings, fmt="focus")
    assert report.results[0].status == "loaded", report.results[0].message
    with Executor(settings) as executor:
        starts = {r[0] for r in executor.query("SELECT ChargePeriodStart FROM billing").rows}
    assert datetime(2024, 9, 18, 20, 0) in starts


# --- every FOCUS 1.0-1.2 column under its own name ---------------------------------------------------

# export -> (columns that are not FOCUS columns, as kept; the FOCUS version `finops info` reports)
FOCUS_EXPORTS = {
    "focus-1.0-sample": (FOCUS_SAMPLE, {"x_Id"}, "1.0"),
    "focus-1.2-columns": (FOCUS_12, {"x_CostCenter", "x_BillingProfileId"}, "1.2"),
}


@pytest.mark.parametrize("name", FOCUS_EXPORTS)
def test_focus_columns_keep_their_names_and_others_get_x(settings, name):
    export, extras, version = FOCUS_EXPORTS[name]
    [result] = ingest([export], settings).results
    assert result.status == "loaded", result.message
    source = duckdb.connect()
    read = f"read_csv('{export}', all_varchar=true, nullstr=['NULL', ''])"
    header = [row[0] for row in source.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()]
    with Executor(settings) as executor:
        columns = list(executor.schema()["billing"])
        assert {c for c in columns if c.startswith("x_")} == extras
        assert not [c for c in columns if c.startswith("x_") and column_key(c[2:]) in FOCUS_KEYS]
        for column in header:  # each FOCUS column of the export holds its values under its own name
            if column_key(column) in FOCUS_KEYS:
                kept = executor.query(f'SELECT count("{column}") FROM billing').rows[0][0]
                assert kept == source.execute(f'SELECT count("{column}") FROM {read}').fetchall()[0][0], column
        assert focus_versions(executor) == (version,)


def test_focus_1_2_columns_are_typed(settings):
    ingest([FOCUS_12], settings)
    with Executor(settings) as executor:
        result = executor.query(
            "SELECT SkuPriceDetails, sum(PricingCurrencyEffectiveCost) OVER (), CommitmentDiscountQuantity, "
            "json_extract(SkuPriceDetails, '$.F_CoreCount')::INTEGER, BillingAccountType, Tags['team'] "
            "FROM billing ORDER BY BilledCost DESC LIMIT 1"
        )
    types = dict(zip(result.columns, result.types))
    assert types["SkuPriceDetails"] == "VARCHAR"  # JSON text as the export wrote it
    details, pricing_effective, quantity, cores, account_type, team = result.rows[0]
    assert details.startswith('{"F_CoreCount": 4')
    assert (pricing_effective, quantity, cores, account_type, team) == (pytest.approx(13.5), 24.0, 4, "Billing Profile", "platform")


def test_sku_price_details_read_as_an_object_become_json_text(settings, tmp_path):
    path = tmp_path / "billing.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE ({{'F_CoreCount': 4, 'F_Series': 'Dv5'}} AS SkuPriceDetails) FROM read_csv('{FOCUS_12}')) TO '{path}'"
    )
    assert ingest([path], settings).results[0].status == "loaded"
    with Executor(settings) as executor:
        details = {row[0] for row in executor.query("SELECT DISTINCT SkuPriceDetails FROM billing").rows}
    assert details == {'{"F_CoreCount":4,"F_Series":"Dv5"}'}


def _variant(tmp_path: Path, name: str, select: str) -> Path:
    """A copy of a fixture changed by one SELECT over it (`src`)."""
    path = tmp_path / f"{name}.csv"
    con = duckdb.connect()
    con.execute(f"CREATE VIEW src AS SELECT * FROM read_csv('{FOCUS_12}', all_varchar=true)")
    con.execute(f"CREATE VIEW sample AS SELECT * FROM read_csv('{FOCUS_SAMPLE}', all_varchar=true) LIMIT 5")
    con.execute(f"COPY ({select}) TO '{path}' (HEADER)")
    return path


VERSION_CASES = {
    # files -> versions `finops info` lists
    "1.0 only": (["1.0"], ("1.0",)),
    "1.1 columns, none of 1.2": (["1.1"], ("1.1",)),
    "1.0 and 1.2": (["1.0", "1.2"], ("1.0", "1.2")),
    "a version column wins over the columns": (["stated"], ("1.2",)),
}


@pytest.mark.parametrize("case", VERSION_CASES)
def test_focus_versions_seen(settings, tmp_path, case):
    files, expected = VERSION_CASES[case]
    made = {
        "1.0": lambda: FOCUS_SAMPLE,
        "1.2": lambda: FOCUS_12,
        "1.1": lambda: _variant(tmp_path, "focus-1.1", f"SELECT * EXCLUDE ({', '.join(FOCUS_ADDED['1.2'])}) FROM src"),
        "stated": lambda: _variant(tmp_path, "stated", "SELECT *, '1.2' AS FocusVersion FROM sample"),
    }
    report = ingest([made[name]() for name in files], settings)
    assert all(r.status == "loaded" for r in report.results), report.results
    with Executor(settings) as executor:
        assert focus_versions(executor) == expected


def test_lake_files_written_before_the_full_focus_list_still_load(settings):
    """An old lake file (10 FOCUS 1.1/1.2 columns kept as x_..., no version in its footer) unions by name with new ones."""
    new_in_contract = ("BillingAccountType", "SubAccountType", "SkuPriceDetails", "PricingCurrency",
                       "PricingCurrencyListUnitPrice", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
                       "CommitmentDiscountQuantity", "CommitmentDiscountUnit", "CapacityReservationStatus")
    ingest([FOCUS_12], settings)
    [old_file] = Lake(settings.home).manifest().files["billing"]
    table = pq.read_table(old_file)
    for name in new_in_contract:
        index = table.column_names.index(name)
        table = table.remove_column(index).append_column(f"x_{name}", table.column(name).cast(pa.string()))
    pq.write_table(table.replace_schema_metadata(None), old_file)

    [result] = ingest([FOCUS_SAMPLE], settings).results
    assert result.status == "loaded", result.message
    with Executor(settings) as executor:
        old_rows, new_rows, old_extra, new_extra, cores = executor.query(
            "SELECT count(*) FILTER (WHERE x_CostCenter IS NOT NULL), count(*) FILTER (WHERE x_Id IS NOT NULL), "
            "count(x_SkuPriceDetails), count(SkuPriceDetails), count(PricingCurrencyEffectiveCost) FROM billing"
        ).rows[0]
        assert (old_rows, new_rows, old_extra, new_extra, cores) == (3, 1000, 2, 0, 0)
        assert focus_versions(executor) == ("1.0", "1.2")  # the old file's from its footer: x_SkuPriceDetails, InvoiceId
    assert [r.status for r in ingest([FOCUS_12, FOCUS_SAMPLE], settings).results] == ["skipped", "skipped"]


# --- refusals leave everything unchanged ----------------------------------------------------------


def test_corrupt_parquet_is_refused_and_tables_are_unchanged(settings, tmp_path):
    ingest([FOCUS_SAMPLE], settings)
    before = snapshot(settings)
    good = write_table(llm_rows()[:10], tmp_path / "llm_requests.parquet")
    corrupt = tmp_path / "corrupt.parquet"
    data = good.read_bytes()
    corrupt.write_bytes(data[: len(data) // 2])
    report = ingest([corrupt], settings)
    [result] = report.results
    assert result.status == "refused"
    assert "corrupt.parquet" in result.message and "Parquet" in result.message.replace("parquet", "Parquet")
    assert snapshot(settings) == before


def test_missing_required_column_is_refused_naming_it(settings, tmp_path):
    rows = [{k: v for k, v in row.items() if k != "model"} for row in llm_rows()[:10]]
    path = write_table(rows, tmp_path / "llm_requests" / "no-model.parquet")
    ingest([FOCUS_SAMPLE], settings)
    before = snapshot(settings)
    [result] = ingest([path], settings).results
    assert result.status == "refused"
    assert "'model'" in result.message and "llm_requests" in result.message and "no-model.parquet" in result.message
    assert snapshot(settings) == before


def test_value_of_the_wrong_type_is_refused_naming_column_and_value(settings, tmp_path):
    path = tmp_path / "requests.csv"
    rows = llm_rows()[:5]
    lines = [",".join(rows[0])]
    for index, row in enumerate(rows):
        values = {**row, "input_tokens": "lots" if index == 3 else row["input_tokens"]}
        lines.append(",".join("" if v is None else str(v) for v in values.values()))
    path.write_text("\n".join(lines) + "\n")
    [result] = ingest([path], settings).results
    assert result.status == "refused"
    assert "'input_tokens'" in result.message and "'lots'" in result.message and "BIGINT" in result.message
    assert count(settings, "llm_requests") == 0


def test_file_matching_no_table_is_refused_with_the_closest_table(settings, tmp_path):
    path = write_table([{"colour": "red", "size": 3}], tmp_path / "misc.parquet")
    [result] = ingest([path], settings).results
    assert result.status == "refused"
    assert "matches no table" in result.message and "--table" in result.message


def test_rows_without_key_or_time_are_refused(settings, tmp_path):
    rows = llm_rows()[:5]
    rows[2]["request_id"] = None
    path = write_table(rows, tmp_path / "llm_requests.parquet")
    [result] = ingest([path], settings).results
    assert result.status == "refused" and "request_id" in result.message


def test_missing_path_and_unknown_format_raise(settings, tmp_path):
    with pytest.raises(IngestError, match="does not exist"):
        ingest([tmp_path / "nope.parquet"], settings)
    with pytest.raises(IngestError, match="Unknown format"):
        ingest([FOCUS_SAMPLE], settings, fmt="xlsx")
    with pytest.raises(IngestError, match="Unknown table"):
        ingest([FOCUS_SAMPLE], settings, table="invoices")


def test_partial_failure_in_a_folder_loads_the_good_files_only(settings, tmp_path):
    folder = tmp_path / "drop"
    write_table(llm_rows()[:40], folder / "llm_requests" / "a.parquet")
    bad = folder / "llm_requests" / "b.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    write_table(price_rows(), folder / "model_prices" / "p.parquet")
    report = ingest([folder], settings)
    statuses = {Path(r.path).name: r.status for r in report.results}
    assert statuses == {"a.parquet": "loaded", "b.parquet": "refused", "p.parquet": "loaded"}
    assert count(settings, "llm_requests") == 40
    assert count(settings, "model_prices") == len(price_rows())


# --- duplicates -------------------------------------------------------------------------------------


def test_request_ids_are_never_duplicated(settings, tmp_path):
    rows = llm_rows()
    first = write_table(rows[:100], tmp_path / "one" / "llm_requests.parquet")
    # overlaps the first file by 50 ids and repeats 10 of its own rows
    second_rows = rows[50:150] + rows[140:150]
    second = write_table(second_rows, tmp_path / "two" / "llm_requests.parquet")
    one = ingest([first], settings).results[0]
    two = ingest([second], settings).results[0]
    assert (one.rows_loaded, one.rows_duplicate) == (100, 0)
    assert (two.rows_read, two.rows_loaded, two.rows_duplicate) == (110, 50, 60)
    with Executor(settings) as executor:
        total, distinct = executor.query("SELECT count(*), count(DISTINCT request_id) FROM llm_requests").rows[0]
    assert total == distinct == 150


MONTHS = {"oct": datetime(2026, 10, 20), "nov": datetime(2026, 11, 20), "dec": datetime(2026, 12, 20)}


def month_rows(ids: range, month: str, cost: float) -> list[dict]:
    return [row | {"request_id": f"r{i}", "ts": MONTHS[month], "cost_usd": cost} for i, row in zip(ids, llm_rows())]


# first file, second file, (second's loaded, duplicate), months whose lake files the second load reads
ACROSS_MONTHS = {
    "same ids, same months": ([(range(0, 50), "oct"), (range(50, 100), "nov")], [(range(0, 50), "oct"), (range(50, 100), "nov")],
                              (0, 100), {"2026-10", "2026-11"}),
    "overlap in one of two months": ([(range(0, 50), "oct"), (range(50, 100), "nov")], [(range(50, 100), "nov"), (range(100, 150), "dec")],
                                     (50, 50), {"2026-11", "2026-12"}),
    "a new month only": ([(range(0, 50), "oct")], [(range(50, 80), "dec")], (30, 0), {"2026-12"}),
    "repeats inside the file too": ([(range(0, 50), "nov")], [(range(40, 60), "nov"), (range(55, 60), "nov")], (10, 15), {"2026-11"}),
}


@pytest.mark.parametrize("case", sorted(ACROSS_MONTHS))
def test_request_ids_are_never_duplicated_across_files_and_months(settings, tmp_path, monkeypatch, case):
    """A load looks its keys up in the month partitions its rows fall in, and never adds a key twice."""
    first, second, (loaded, duplicate), months = ACROSS_MONTHS[case]
    rows_one = [row for ids, month in first for row in month_rows(ids, month, 0.01)]
    rows_two = [row for ids, month in second for row in month_rows(ids, month, 0.02)]  # not the same file
    ingest([write_table(rows_one, tmp_path / "one" / "llm_requests.parquet")], settings)
    asked = []
    real = Lake.month_files
    monkeypatch.setattr(Lake, "month_files", lambda lake, table, wanted: asked.append(set(wanted)) or real(lake, table, wanted))
    [result] = ingest([write_table(rows_two, tmp_path / "two" / "llm_requests.parquet")], settings).results
    assert (result.rows_loaded, result.rows_duplicate) == (loaded, duplicate)
    assert asked == [months]
    with Executor(settings) as executor:
        total, distinct = executor.query("SELECT count(*), count(DISTINCT request_id) FROM llm_requests").rows[0]
    assert total == distinct == len({r["request_id"] for r in rows_one + rows_two})


# --- pricing ----------------------------------------------------------------------------------------


def test_requests_without_cost_are_priced_at_the_price_valid_then(settings, tmp_path):
    rows = llm_rows()
    for row in rows:
        row["cost_usd"] = None
    ingest([write_table(price_rows(), tmp_path / "model_prices.parquet")], settings)
    [result] = ingest([write_table(rows, tmp_path / "llm_requests.parquet")], settings).results
    assert result.rows_priced == len(rows) and result.rows_unpriced == 0
    with Executor(settings) as executor:
        priced = dict(executor.query("SELECT request_id, cost_usd FROM llm_requests").rows)
    for row in rows:
        expected = request_cost(row["provider"], row["model"], row["ts"], row["input_tokens"], row["cached_input_tokens"], row["output_tokens"])
        assert priced[row["request_id"]] == pytest.approx(expected, rel=1e-9)


def test_unpriceable_requests_are_reported(settings, tmp_path):
    rows = llm_rows()[:20]
    for row in rows[:3]:
        row.update(cost_usd=None, model="gpt-9-preview")
    ingest([write_table(price_rows(), tmp_path / "model_prices.parquet")], settings)
    [result] = ingest([write_table(rows, tmp_path / "llm_requests.parquet")], settings).results
    assert result.status == "loaded"
    assert result.rows_unpriced == 3
    assert "openai/gpt-9-preview" in result.message


def test_prices_in_the_same_load_price_requests(settings, tiny_dir):
    """A folder with both prices and requests loads the prices first."""
    report = ingest([tiny_dir], settings)
    requests = next(r for r in report.results if r.table == "llm_requests")
    assert requests.rows_priced == sum(1 for row in llm_rows() if row["cost_usd"] is None) > 0


# --- atomicity --------------------------------------------------------------------------------------


def test_load_interrupted_before_commit_leaves_nothing(settings, tmp_path, monkeypatch):
    ingest([FOCUS_SAMPLE], settings)
    before = snapshot(settings)

    def die(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_module, "_commit", die)
    with pytest.raises(KeyboardInterrupt):
        ingest([write_table(llm_rows(), tmp_path / "llm_requests.parquet")], settings)
    assert snapshot(settings) == before


def test_files_of_a_load_that_died_are_invisible_and_cleaned_up(settings, tmp_path):
    ingest([FOCUS_SAMPLE], settings)
    lake = Lake(settings.home)
    orphan = lake.root / "llm_requests" / "month=2026-10" / "dead_0.parquet"
    orphan.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(llm_rows()[:5]), orphan)
    assert count(settings, "llm_requests") == 0
    ingest([write_table(price_rows(), tmp_path / "model_prices.parquet")], settings)
    assert not orphan.exists()


def test_a_second_ingest_waits_its_turn(settings):
    lake = Lake(settings.home)
    with lake.ingest_lock():
        with pytest.raises(WarehouseError, match="Another ingest"):
            ingest([FOCUS_SAMPLE], settings)


def test_lake_is_partitioned_by_table_and_month(warehouse_settings):
    lake = Lake(warehouse_settings.home)
    months = sorted(p.name for p in (lake.root / "llm_requests").iterdir())
    assert months == ["month=2026-10"]
    assert (lake.root / "budgets").is_dir()
    with lake.catalog() as cat:
        loads = cat.execute("SELECT table_name, rows_loaded, source FROM _finops_loads ORDER BY table_name").fetchall()
    assert [row[0] for row in loads] == sorted(TABLES)
    assert all(Path(row[2]).is_absolute() for row in loads)


def test_json_lines_requests_load(settings, tmp_path):
    import json

    path = tmp_path / "spend-logs.jsonl"
    with path.open("w") as handle:
        for row in llm_rows()[:12]:
            handle.write(json.dumps({**row, "ts": row["ts"].isoformat() + "Z"}) + "\n")
    [result] = ingest([path], settings).results
    assert (result.status, result.table, result.rows_loaded) == ("loaded", "llm_requests", 12)
