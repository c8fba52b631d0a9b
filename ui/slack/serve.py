"""Running the bot: Socket Mode, or Slack's HTTP endpoint `/slack/events`.

`serve_slack` runs Socket Mode when SLACK_APP_TOKEN is set, else an HTTP server
with Slack's `/slack/events` endpoint whose requests Bolt verifies (bad or stale
signatures get 401; see `bolt.py`). Each HTTP request runs in its own thread;
`GET /healthz` answers "ok", any other path 404. When alerts.yaml sets
`schedule_minutes`, the alerts run on that schedule beside the bot (`ui/alerts/schedule.py`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from slack_bolt import App

from ui.alerts.schedule import start_alert_schedule
from ui.slack.bolt import build_app, check_slack_settings

log = logging.getLogger("finops")
EVENTS_PATH = "/slack/events"


class EventsServer(ThreadingHTTPServer):
    """Slack's HTTP endpoint for a Bolt app: POST /slack/events, each request in its own thread."""

    daemon_threads = True

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        super().__init__((host, port), _EventsHandler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{EVENTS_PATH}"

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), name="slack-events", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join()


class _EventsHandler(BaseHTTPRequestHandler):
    server: EventsServer
    server_version = "finops-slack/1"

    def do_POST(self):
        from slack_bolt.request import BoltRequest

        path, _, query = self.path.partition("?")
        if path.rstrip("/") != EVENTS_PATH:
            self._send(404, {}, "not found")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        response = self.server.app.dispatch(BoltRequest(body=body, query=query, headers=headers))
        self._send(response.status, response.headers, response.body)

    def do_GET(self):
        self._send(404 if self.path.rstrip("/") != "/healthz" else 200, {}, "ok")

    def _send(self, status: int, headers: dict, body: Any) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        for name, values in headers.items():
            if name.lower() == "content-length":
                continue
            for value in values if isinstance(values, (list, tuple)) else [values]:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        log.debug("slack http: " + format, *args)


def serve_slack(settings, port: int = 3000, host: str = "0.0.0.0", echo: Callable[[str], None] | None = None) -> None:
    """Run the bot until interrupted: Socket Mode with SLACK_APP_TOKEN, else HTTP on host:port/slack/events.

    `echo` (the CLI's `typer.echo`, say) is told where it listens; without it that goes to the log.
    """
    from warehouse.executor import Executor

    echo = echo or log.info
    check_slack_settings(settings)
    with Executor(settings) as executor:
        app = build_app(settings, executor)
        schedule = start_alert_schedule(settings, app.client, echo)  # alerts.yaml's schedule_minutes, if any
        try:
            if settings.slack_app_token:
                from slack_bolt.adapter.socket_mode import SocketModeHandler

                echo("finops slack: connecting to Slack in Socket Mode; Ctrl+C stops it.")
                SocketModeHandler(app, settings.slack_app_token).start()
                return
            server = EventsServer(app, host, port)
            echo(f"finops slack: listening on http://{host}:{server.server_address[1]}{EVENTS_PATH}; Ctrl+C stops it.")
            try:
                server.serve_forever(0.5)
            except KeyboardInterrupt:
                pass
            finally:
                server.server_close()
        finally:
            if schedule is not None:
                schedule.stop()
