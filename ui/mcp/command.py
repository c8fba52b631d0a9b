"""`finops mcp`: serve the MCP server over stdio (a local client starts it) or streamable HTTP.

    finops mcp [--scope team=cx]                                  # stdio: Claude Desktop, Cursor, VS Code
    finops mcp --http [--host 127.0.0.1] [--port 8765] [--scope]  # http://HOST:PORT/mcp

Over stdio the local user's row scope is `--scope`. Over HTTP the bearer tokens of
`FINOPS_HOME/mcp.yaml` decide (`ui.mcp.tokens`): a missing or unknown token gets 401,
and each token reads under its own scope. Without tokens the server listens only on a
loopback address (then `--scope` applies to every caller). Every refusal to start
(bad settings, a malformed mcp.yaml, no tokens off loopback, a busy port) is one line
on stderr and exit 2; stdout is left to the stdio protocol.
"""

from __future__ import annotations

import logging
import socket
import sys

from ui.listen import is_loopback, listen
from warehouse.errors import FinopsError, SettingsError


def mcp_command(http: bool = False, host: str = "127.0.0.1", port: int = 8765, scope: str | None = None) -> None:
    """The whole command: settings, who sees what, the server, then serve until stopped (exit 2 on refusal)."""
    from warehouse.settings import load_settings

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(message)s")
    try:
        settings = load_settings()
        if http:
            _serve_http(settings, host, port, scope)
        else:
            _serve_stdio(settings, scope)
    except FinopsError as error:
        print(f"finops mcp: {error.user_message}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        pass


def _executor(settings):
    from warehouse.executor import Executor

    executor = Executor(settings)
    if not executor.lake.exists():
        print(f"finops mcp: no warehouse at {settings.home} yet; the tools will say so until data is loaded "
              "(`finops ingest PATH` or `make demo`).", file=sys.stderr)
    return executor


def _serve_stdio(settings, scope: str | None) -> None:
    from ui.mcp.server import build_server
    from warehouse.scope import Scope

    local = Scope.parse(scope) if scope else None
    executor = _executor(settings)
    try:
        build_server(settings, executor, lambda: local).run("stdio")
    finally:
        executor.close()


def _serve_http(settings, host: str, port: int, scope: str | None) -> None:
    from ui.mcp.server import build_server
    from ui.mcp.tokens import POLICY_FILE, PolicyVerifier, load_token_policy, scope_of_request
    from warehouse.scope import Scope

    if not 0 <= port <= 65535:
        raise FinopsError(f"--port takes 0 to 65535, not {port}.")
    policy = load_token_policy(settings.home)
    path = settings.home / POLICY_FILE
    if policy.tokens and scope:
        raise FinopsError(f"--scope is for stdio and for a loopback server without tokens; each token in {path} carries its own scope.")
    if not policy.tokens and not is_loopback(host):
        raise SettingsError(
            f"Refusing to serve on {host} without tokens: anyone who reaches the port could read the warehouse. "
            f"Add bearer tokens to {path} (tokens: {{<sha256 hex of a token>: team=cx}}), or listen on 127.0.0.1."
        )
    local = Scope.parse(scope) if scope else None
    listener = listen(host, port, backlog=128)
    executor = _executor(settings)
    bound = listener.getsockname()[1]
    url = f"http://{host if ':' not in host else f'[{host}]'}:{bound}"
    try:
        if policy.tokens:
            server = build_server(settings, executor, scope_of_request, token_verifier=PolicyVerifier(policy), base_url=url)
            who = f"{len(policy.tokens)} token(s) from {path}"
        else:
            server = build_server(settings, executor, lambda: local)
            who = f"no tokens, loopback only{f', scope {local}' if local else ''}"
        print(f"finops mcp: serving {url}/mcp ({who}); Ctrl-C stops it.", file=sys.stderr, flush=True)
        _run_uvicorn(server.streamable_http_app(host=host), listener)
    finally:
        executor.close()
        listener.close()


def _run_uvicorn(app, listener: socket.socket) -> None:
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")).run(sockets=[listener])
