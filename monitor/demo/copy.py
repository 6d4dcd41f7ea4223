"""Every line the demo prints for people: the header, the summary, and where to look next."""

from __future__ import annotations

TITLE = "brand-monitor demo"
HEADER = "database: {database}\nrules: {rules}\nmessages go to: {where}"
TO_SLACK = "Slack at {url}"
TO_TERMINAL = "the terminal (no SLACK_BOT_TOKEN set)"
LOADING = "loading the classifier …"
LOADED = "classifier {name} loaded in {seconds:.1f}s"
ROUND = "polling round {n}: {fetched} item(s) fetched"
ROUND_DONE = "{summary}; {sent} Slack call(s) delivered"
TABLE_TITLE = "mentions in the database, by brand and label"
TOTALS = ("fetched {fetched}, new {new}, queued for Slack {queued}, dropped: {dropped}; "
          "{seconds:.1f}s")
DELIVERED_ALL = "every Slack message is delivered"
AGREEMENT = ("the classifier agrees with the sample's human label on {agree} of {judged} "
             "stored mentions ({share:.0%})")
NOTHING_NEW = ("Nothing new: every sample was already stored and posted by an earlier run, so "
               "nothing was posted twice. Use --reset to start over.")
FOLLOWING = "following (Ctrl-C to stop) …"
NEXT = "Look further (the demo's settings are in {config}):"
NEXT_COMMANDS = (
    ("report", "numbers by brand, label, source and day"),
    ("status", "health: sources, Slack outbox, rules"),
    ("rules backtest --since 7d", "what an edit of the rules files would change"),
)
RESET_URL = ("--reset deletes the demo's SQLite file; with database_url set, empty that "
             "database yourself")
RULES_MISSING = "rules directory {path} not found; pass --rules DIR"
CONFIG_HEADER = ("# Written by `brand-monitor demo`: the settings the demo ran with, so that the\n"
                 "# commands it printed (report, status, rules backtest) read the demo's data.\n")
