"""The Model Context Protocol channel: `finops mcp` serves the assistant's tools to Claude Desktop, Cursor and VS Code.

`server` builds the MCP server (tools, resources, the weekly-review prompt), `tokens`
reads `FINOPS_HOME/mcp.yaml` (bearer token hash -> row scope), `command` is the
command's body (`mcp_command`), also run by `python -m ui.mcp`.
"""
