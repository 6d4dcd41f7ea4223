"""What `brand-monitor accounts check` says, in one place."""

from __future__ import annotations

STATE = {
    "ok": "can post replies",
    "cannot_write": "CANNOT post replies",
    "not_configured": "not configured",
    "cannot_answer": "cannot be answered here (the Reply button links the original)",
}
LINE = "{title}: {state}"
DETAIL = "  - {detail}"
SUMMARY_FAIL = "{count} configured account(s) cannot post replies; see deploy/ACCOUNTS.md"
SUMMARY_OK = "every configured account can post replies"
SUMMARY_NONE = ("no account is configured for replies: set the variables in deploy/ACCOUNTS.md "
                "to post replies from Slack")
