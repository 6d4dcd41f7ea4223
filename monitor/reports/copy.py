"""Every user-facing line of the reports: CLI errors and tables, the chart, Slack digest, alerts."""

from __future__ import annotations

# -- command line ---------------------------------------------------------------------------
BAD_PNG = "cannot write the chart to {path} ({reason})"
NO_DATABASE = ("no database at {path}: pass the config the daemon runs with (--config or "
               "BRAND_MONITOR_CONFIG)")
NO_DATABASE_DEMO = "; for the demo's data: --config {demo}"
UNKNOWN_BRAND = "unknown brand {brand!r}; the rules files know: {known}"
WROTE_PNG = "chart written to {path}"
HELP_SINCE = "Period to report on, ending now: 24h, 7d, 2w …"
HELP_BRAND = "Only this brand: its id or its name in the rules files (lumo or Lumo)."
HELP_JSON = ("Print JSON for scripts (nothing else goes to stdout); by_day lists only days "
             "with mentions or responses.")
HELP_PNG = "Also draw a PNG chart of daily volume by label and response time."
TABLE_TITLE = "Mentions {start} → {end} UTC{brand}"
TABLE_HEAD = "[bold]{mentions}[/] mentions · praise {praise} (previous period {previous}{change})"
TABLE_BY = {"brand": "by brand", "label": "by label", "source": "by source"}
TABLE_RESPONSE = "Response (complaints and questions)"
TABLE_FIRST_RESPONSE = "first response"
TABLE_RESOLUTION = "resolution (handled)"
TABLE_TARGETS = "Answered within target"
TABLE_DAYS = "Per day"
TABLE_DAY_RESPONSE = "median first response"
TABLE_AUTHORS = "Most active authors"
TABLE_SUMMARY = ("{answered} of {cases} cases answered · within target {within} · "
                 "resolved at first contact {fcr} of {handled} handled")
TABLE_PUBLIC = "Public replies and handling (complaints and questions)"
TABLE_PUBLIC_ROWS = {"posted": "first public response (posted → our reply)",
                     "fetched": "  … from our fetch (fetched → our reply)",
                     "handle": "handle time (claim → handled)"}
TABLE_PUBLIC_SUMMARY = ("{replied} of {cases} cases answered publicly · within target {within} · "
                        "reopened {rate} ({reopened} of {closed} closed)")
TABLE_PUBLIC_TARGETS = "Answered publicly within target"
TABLE_AGENTS = "Agents"
TABLE_AGENT_COLUMNS = ("agent", "claimed", "handled", "replied", "approved",
                       "median public response", "median handle time")
TABLE_BACKLOG = "Open backlog by age ({n} open now)"
TABLE_BACKLOG_COLUMNS = ("age", "cases", "by priority")
NO_VALUE = "–"
TABLE_FOLLOW_UP = "Follow-through (complaints and questions answered publicly)"
FOLLOW_UP_SUMMARY = ("customer answered {followed} of {answered} replied ({rate}) · CSAT proxy "
                     "{csat} ({positive} positive, {negative} negative, {neutral} neutral) · "
                     "reopened after our reply {reopen} ({reopened})")
FOLLOW_UP_RATINGS = ("reviews re-rated after our reply: {n} · average change {change} "
                     "({up} up, {down} down)")

# -- chart ------------------------------------------------------------------------------------
CHART_TITLE = "Mentions per day by label{brand}"
CHART_SUBTITLE = "{start} – {end} UTC · {total} mentions"
CHART_Y_LEFT = "mentions per day"
CHART_Y_RIGHT = "median first response ({unit})"
CHART_X = "day (UTC)"
CHART_RESPONSE = "median first response"
CHART_NO_RESPONSE = "no responses recorded yet"
CHART_EMPTY = "no mentions in this period"

# -- weekly digest (Slack mrkdwn; public text is escaped where it is inserted) -------------------
DIGEST_TITLE = "*Weekly brand mentions · {start} – {end}*"
DIGEST_TOTAL = "*{n}* mentions {change}"
DIGEST_LABEL_PART = "{title} *{n}* {change}"
DIGEST_RESPONSE = ("First response (median) *{median}*{change} · p90 {p90} · "
                   "answered within target *{share}*")
DIGEST_NO_RESPONSE = "No complaint or question was claimed or handled this week."
DIGEST_FCR = "Resolved at first contact: *{share}* of {n} handled"
DIGEST_PUBLIC = ("Public replies *{n}* · first public response (median) *{median}* "
                 "(from our fetch {fetched}) · within target *{share}*")
DIGEST_TEAM = "Handle time (median) *{handle}* · reopened {rate} · open now *{backlog}*{oldest}"
DIGEST_OLDEST = " ({n} older than a day)"
DIGEST_FOLLOW_UP = "Follow-through: {line}"
DIGEST_BRANDS = "By brand: {parts}"
DIGEST_QUOTES = "*Best praise this week*"
DIGEST_NO_QUOTES = "_No praise this week._"
QUOTE_BY = "— {author} · {link}"
DIGEST_CHART_TITLE = "Mentions and response time, {week}"
CHANGE = "({arrow} {pct} vs {previous})"
CHANGE_NEW = "(▲ from 0)"
CHANGE_FLAT = "(same as the week before)"
FOLLOWERS = " ({n} followers)"

# -- spike alert --------------------------------------------------------------------------------
SPIKE_HEADER = "🚨 Complaint spike: {brand}"
SPIKE_FALLBACK = "Complaint spike: {brand}, {count} complaints in the last hour"
SPIKE_BODY = ("*{count} complaints* about *{brand}* in the last hour ({start}–{end} UTC). "
              "Usually {mean:.1f} ± {std:.1f} at this hour (last {days} days).")
SPIKE_PING = "{group} please take a look."
SPIKE_EXAMPLES = "*Top examples*"

LABEL_TITLE = {"complaint": "Complaints", "question": "Questions", "praise": "Praise",
               "other": "Other"}


def duration(seconds: float | None) -> str:
    """12s, 14m, 2h 05m, 3d 4h: short enough for a table cell and a Slack line."""
    if seconds is None:
        return NO_VALUE
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def percent(share: float) -> str:
    return f"{100 * share:.0f}%"
