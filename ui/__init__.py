"""Channels: the CLI, the chat page, Slack, notebooks and MCP. Each parses input, calls `ask()`, renders the `Answer`.

The core (`assistant/`, `warehouse/`) never imports from here.
"""
