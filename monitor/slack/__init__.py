"""Slack: Block Kit rendering, outbox delivery and the interactive triage app."""
