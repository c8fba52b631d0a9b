"""`python -m ui.mcp [--http] [--host 127.0.0.1] [--port 8765] [--scope team=cx]`: the same as `finops mcp`."""

from __future__ import annotations

import argparse

from ui.mcp.command import mcp_command


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="finops mcp", description="The FinOps assistant as a Model Context Protocol server.")
    parser.add_argument("--http", action="store_true", help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio.")
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on with --http (off loopback, mcp.yaml must hold tokens).")
    parser.add_argument("--port", type=int, default=8765, help="Port with --http (0 picks a free one and prints it).")
    parser.add_argument("--scope", default=None, help="Only rows of this scope, e.g. team=cx (stdio, or HTTP without tokens).")
    args = parser.parse_args(argv)
    mcp_command(http=args.http, host=args.host, port=args.port, scope=args.scope)


if __name__ == "__main__":
    main()
