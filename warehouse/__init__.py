"""The data: table contracts, the Parquet lake and its DuckDB catalog, ingest,
demo data and the locked-down executor. The only package that imports duckdb."""
