"""The Slack bot: row scopes and rate limits per channel and person, the bot, rendering to Block Kit, Bolt.

- `policy`: `FINOPS_HOME/slack.yaml`, who sees which rows;
- `ratelimit`: at most N questions per person a minute;
- `bot`: what the bot does with mentions, DMs, `/finops`, thread replies and buttons;
- `render`: an Answer as Slack mrkdwn and Block Kit (no Slack calls);
- `bolt`: the Bolt app, its settings and listeners;
- `serve`: `serve_slack`, Socket Mode or the HTTP endpoint `/slack/events`.
"""
