"""`finops collect`: an OTLP/HTTP receiver that stores OpenTelemetry GenAI spans as llm_requests rows.

`otlp` decodes request bodies and encodes the answers the OTLP specification
asks for; `server` is the ASGI app and the committing thread; `command` checks
the settings, binds and serves until SIGTERM. The mapping is
`warehouse.formats.otel.map_request` (the same as `finops ingest --format otel`)
and durability is `warehouse.spool`.
"""
