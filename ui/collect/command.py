"""`finops collect [--host 127.0.0.1] [--port 4318] [--map COLUMN=FIELD ...]`: serve OTLP/HTTP until stopped.

The command, in order: read the settings and `--map`; refuse to listen off
loopback without FINOPS_COLLECT_TOKEN; take the spool (one collector per
FINOPS_HOME); bind the port (0 picks a free one, printed); commit what an earlier
run left in the spool; serve with uvicorn. SIGTERM or Ctrl-C stops it gracefully:
requests in flight finish, the shutdown hook commits the spool, exit 0.

Every refusal to start (bad settings or --map, no token off loopback, another
collector on the same FINOPS_HOME, a busy port) is one line on stderr and exit 2.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys

from warehouse.errors import FinopsError, SettingsError


def collect_command(host: str = "127.0.0.1", port: int = 4318, mapping: list[str] | None = None) -> None:
    """The whole command; raises SystemExit(2) on a refusal to start, returns (exit 0) after a graceful stop."""
    from ui.listen import is_loopback, listen
    from warehouse.formats import parse_mapping
    from warehouse.settings import load_settings

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(message)s")
    # SIGTERM/SIGINT before uvicorn takes them over (or after it gave them back) stop the server, if any, and nothing else.
    state: dict = {"stopping": False, "server": None}

    def stop_requested(number, frame) -> None:
        state["stopping"] = True
        if state["server"] is not None:
            state["server"].should_exit = True

    previous = {sig: signal.signal(sig, stop_requested) for sig in (signal.SIGTERM, signal.SIGINT)}
    spool = None
    listener = None
    try:
        try:
            settings = load_settings()
            fields = parse_mapping(mapping)
            if not 0 <= port <= 65535:
                raise FinopsError(f"--port takes 0 to 65535, not {port}.")
            if not settings.collect_token and not is_loopback(host):
                raise SettingsError(
                    f"Refusing to listen on {host} without FINOPS_COLLECT_TOKEN: anyone who reaches the port could write "
                    f"into the warehouse. Set FINOPS_COLLECT_TOKEN (senders pass `Authorization: Bearer <token>`), "
                    f"or listen on 127.0.0.1."
                )
            from warehouse.spool import Spool  # heavier imports once the cheap checks passed

            spool = Spool(settings.home)
            spool.open()
            listener = listen(host, port, backlog=512)
        except FinopsError as error:
            print(f"finops collect: {error.user_message}", file=sys.stderr)
            if spool is not None:
                spool.close()
            raise SystemExit(2) from None
        from ui.collect.server import Collector, build_app

        collector = Collector(settings, spool, fields, echo=_echo)
        collector.start()  # commits what an earlier run left
        bound = listener.getsockname()[1]
        url = f"http://{host if ':' not in host else f'[{host}]'}:{bound}/v1/traces"
        who = "bearer token required" if settings.collect_token else "no token, loopback only"
        _echo(f"finops collect: receiving OTLP/HTTP spans at {url} ({who}); committing every "
              f"{settings.collect_flush_s:g} s or {settings.collect_flush_rows:,} requests into {settings.home}. "
              f"SIGTERM or Ctrl-C stops it.")
        _serve(build_app(collector), listener, state)
        counters = collector.counters
        _echo(f"finops collect: stopped; {counters.spans_stored:,} GenAI span(s) acknowledged, {counters.spans_other:,} other span(s) "
              f"accepted, {counters.spans_rejected:,} rejected, {counters.rows_committed:,} request(s) committed.")
    finally:
        if listener is not None:
            listener.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _echo(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _serve(app, listener: socket.socket, state: dict) -> None:
    """uvicorn until SIGTERM/SIGINT; its shutdown hook (the app's lifespan) commits the spool.

    A signal that came before uvicorn took the handlers over makes it shut down as soon as it has started.
    uvicorn sends the signal it caught again once it has shut down; `collect_command`'s handler receives it
    and nothing more happens, so the process exits 0.
    """
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=30)
    server = uvicorn.Server(config)
    state["server"] = server
    if state["stopping"]:
        server.should_exit = True
    server.run(sockets=[listener])
