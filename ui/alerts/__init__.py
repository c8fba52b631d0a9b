"""Alerts in Slack: the message of an incident, posting it once and updating its thread, and `finops alerts run`."""
