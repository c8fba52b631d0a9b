"""The Slack bot: Bolt app, rendering to Block Kit, row scopes and rate limits per channel and person."""
