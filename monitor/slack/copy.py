"""Every piece of Slack copy, in one place, written for the agent reading it."""

from __future__ import annotations

LABEL_TITLE = {
    "complaint": "Complaint",
    "question": "Question",
    "praise": "Praise",
    "other": "Other",
}
LABEL_EMOJI = {"complaint": "🔴", "question": "🔵", "praise": "🟢", "other": "⚪"}
PRIORITY_TITLE = {0: "low", 1: "normal", 2: "high", 3: "URGENT"}
STATUS_LINE = {  # {who} is "<@U…>" (or "someone"), {when} a Slack date
    "new": "New — nobody has claimed this yet",
    "claimed": "Claimed by {who} {when}",
    "handled_in": "Handled by {who} in {minutes} min",
    "handled": "Handled by {who}",
    "not_relevant": "Marked not relevant by {who}",
    "ignored": "Stored as other — not triaged",
}
REOPENED_NOTE = " (reopened ×{n})"
BUTTON_CLAIM = "Claim"
BUTTON_HANDLED = "Mark handled"
BUTTON_NOT_RELEVANT = "Not relevant"
BUTTON_REOPEN = "Reopen"
BUTTON_REPLY = "Reply…"
CHANGE_LABEL = "Change label"
KB_SOURCE = "From the knowledge base: {link}"
UNCERTAIN = "⚠️ low confidence — please check the label"
# The mention's language when it is not English; {how} is LANGUAGE_DETECTED or _TAGGED.
LANGUAGE_LINE = "🌐 {language} ({how})"
LANGUAGE_DETECTED = "detected"
LANGUAGE_TAGGED = "tagged by {platform}"
CUT_NOTICE = "… (cut; read the whole post at the link)"
HISTORY_TITLE = "*Earlier mentions by {author} (last {days} days)*"
HISTORY_NONE = "No earlier mentions by {author} in the last {days} days."
HISTORY_OUTCOME = {
    "new": "open, unclaimed",
    "claimed": "being handled",
    "handled": "handled",
    "not_relevant": "not relevant",
    "ignored": "not posted (other)",
}
HISTORY_REPLY = "_our reply:_ {reply}"
HISTORY_MORE = "… and {n} more"
HISTORY_REPLIED = "replied publicly"
HISTORY_REOPENED = "reopened ×{n}"
HISTORY_THREAD = "thread"
HISTORY_ANSWERED = "customer answered {emoji}"

# The customer's answer after our public reply (monitor.followup): a line on the case message
# and a message in its thread. {platform} "X" …; {when} a Slack date; {label} "Complaint" …;
# {text} the customer's words (escaped, quoted); {link} a link to the answer.
FOLLOW_UP_EMOJI = {"satisfaction": "😊", "dissatisfaction": "😞"}
FOLLOW_UP_LABEL_EMOJI = {"complaint": "😞", "question": "❓", "praise": "😊", "other": "💬"}
FOLLOW_UP_LINE = "Customer answered {when}: {emoji} {label}"
FOLLOW_UP_STARS = " · ★{before} → ★{after}"
FOLLOW_UP_COUNT = " · {n} answers"
FOLLOW_UP_TITLE = {
    "reply": "💬 *The customer answered* on {platform} · {link}",
    "review_update": "💬 *The customer updated their review* on {platform} · {link}",
}
FOLLOW_UP_LINK = "open"
FOLLOW_UP_CLASSIFIED = "{emoji} {label} {confidence:.0%}"
FOLLOW_UP_SIGNAL = {
    "praise": "😊 Satisfaction signal: they say thanks.",
    "rating_up": "😊 Satisfaction signal: the rating went up, ★{before} → ★{after}.",
    "rating_down": "😞 Dissatisfaction signal: the rating went down, ★{before} → ★{after}.",
    "complaint": "😞 Dissatisfaction signal: still a complaint.",
}
FOLLOW_UP_REOPENED = "↩️ *Reopened:* the case is back in the queue for the team."

# Ephemeral lines for the agent whose click did nothing, by triage.Refusal; {owner} is a user id.
FEEDBACK = {
    "claimed": "Already claimed by <@{owner}>.",
    "handled": "Already handled by <@{owner}>.",
    "not_relevant": "Already marked not relevant by <@{owner}>.",
    "ignored": "This mention is stored as 'other' and is not triaged in Slack.",
    "missing": "This case no longer exists in brand-monitor.",
    "stale": "This message was out of date; it now shows the case as it is.",
    "bad_label": "'{label}' is not a label brand-monitor knows.",
    "failed": "Sorry, that did not work ({error}). Please try again.",
}
# Public replies: the case message's reply section, its Send button, approval and thread lines.
# {platform} is "X", "App Store" …; {who} a "<@U…>" mention; {when} a Slack date; {group} a
# "<!subteam^S…>" mention; {message} the platform's own words (escaped).
BUTTON_SEND = "Send suggested reply"
BUTTON_ANSWER_ON = "Answer on {platform} ↗"
SEND_CONFIRM_TITLE = "Post this reply?"
SEND_CONFIRM_TEXT = ("Goes out publicly on {platform} as the brand's account (after approval "
                     "where your team asks for one):\n\n{text}")
SEND_CONFIRM_YES = "Send"
SEND_CONFIRM_NO = "Not yet"
REPLY_HEADER = {
    "suggested": "*Suggested reply*",
    "edited": "*Reply (edited in Slack)*",
    "awaiting_approval": "*Reply waiting for approval* · drafted by {who}",
    "queued": "*Sending the reply on {platform}…* · by {who}",
    "replied": "*Replied by {who}* {when} · {link}",
    "failed": "*Reply not posted* · {error}",
    "declined": "*Reply not approved* · edit it with Reply… and send again",
}
REPLY_LINK = "view the reply on {platform}"
APPROVAL_ASK = "{group} {who} wants to post this reply on {platform} as the brand:"
APPROVAL_ASK_FALLBACK = "Approval needed: a reply on {platform} drafted by {who}"
BUTTON_APPROVE = "Approve & send"
BUTTON_REJECT = "Reject"
APPROVED = "✅ Approved by {who} {when}; sending it on {platform}."
REJECTED = "✋ Rejected by {who} {when}; nothing was posted."
NOT_APPROVER = "Only members of {group} can approve or reject this reply."
APPROVERS_UNKNOWN = ("Could not check who may approve ({error}); the app needs the "
                     "usergroups:read scope.")
SENT_FOR_APPROVAL = "Asked {group} to approve your reply in the thread."
NOTICE_REPLIED = "✅ Replied on {platform} by {who}: {link}"
NOTICE_RECONCILED = " (found on {platform} after an interruption; not posted twice)"
NOTICE_FAILED = "⚠️ The reply was not posted. {why}"
NOTICE_WHY = {
    "duplicate": "{platform} refused it as a duplicate of a reply already there; change the "
                 "wording and send again.",
    "target_deleted": "The post was deleted on {platform}; there is nothing to reply to.",
    "locked": "The thread is locked on {platform}; nobody can reply there.",
    "review_removed": "The review was removed from {platform}; there is nothing to reply to.",
    "too_long": "{platform} says it is too long; shorten it with Reply… and send again.",
    "auth": "{platform} refused our account ({message}). An admin must fix its write access "
            "(deploy/SLACK.md); then send again.",
    "not_set_up": "{message}",
    "unconfirmed": "{platform} never confirmed it ({message}). Check {original}; sending again "
                   "looks for it first, so it cannot be posted twice.",
    "other": "{platform} refused it: {message}",
}
NOTICE_RATE_LIMITED = ("⏳ {platform} asked us to slow down; the reply goes out by itself "
                       "{when}.")

# Reminder thread replies; {ping} is the on-call group or owner mention, {label} lower case.
REMIND_UNCLAIMED = "{ping} :bell: This {label} has waited {minutes} min and nobody has claimed it."
REMIND_UNCLAIMED_NO_GROUP = (":bell: This {label} has waited {minutes} min and nobody has "
                             "claimed it. (Set slack.oncall_group to ping the on-call group.)")
REMIND_CLAIMED = ("{ping} :bell: You claimed this {label} {minutes} min ago and it is not "
                  "marked handled yet.")

# `brand-monitor slack check` and `slack serve` lines (the operator reads these).
CHECK = {
    "auth_failed": "the bot token was rejected ({error}); set SLACK_BOT_TOKEN to the app's "
                   "Bot User OAuth Token (xoxb-…)",
    "auth_ok": "token ok: bot @{user} in workspace {team}",
    "unreachable": "cannot reach Slack at {url} ({error}); check slack.base_url, the network "
                   "and HTTPS_PROXY",
    "scope_missing": "scope {scope} is missing ({why}); add it in the app's OAuth & "
                     "Permissions (or from deploy/slack-app-manifest.yaml) and reinstall",
    "scope_optional": "optional scope {scope} not granted ({why})",
    "list_failed": "cannot list channels ({error})",
    "channel_missing": "{channel}: not found — create it, fix the name in the config/rules "
                       "routing, or /invite @brand-monitor if it is private",
    "channel_ok": "{channel}: the bot can post here",
    "channel_join": "{channel}: public; the bot will join it on its first post",
    "channel_invite": "{channel}: the bot is not a member — /invite @brand-monitor there",
    "group_ok": "on-call group {group} (@{handle}) will be pinged by reminders",
    "group_use_id": "slack.oncall_group is {group}; use the group id {id} instead",
    "group_missing": "slack.oncall_group {group} is not a user group of this workspace",
    "group_unchecked": "on-call group {group} not checked ({error})",
    "approval_scope": "scope usergroups:read is missing: replies.approval needs it to check "
                      "who may approve; add it and reinstall",
    "approvers_ok": "reply approvers {group}: {n} member(s) can approve",
    "approvers_empty": "reply approvers {group} has no members: replies needing approval "
                       "would wait forever",
    "approvers_missing": "reply approvers {group}: not usable ({error}); use the id of an "
                         "existing user group",
    "socket_mode": "buttons: Socket Mode (SLACK_APP_TOKEN set) — `brand-monitor run` handles "
                   "them",
    "http_mode": "buttons: HTTP mode — run `brand-monitor slack serve` behind your public "
                 "Request URL",
    "no_interactivity": "buttons: nothing handles them — set SLACK_APP_TOKEN (Socket Mode) or "
                        "SLACK_SIGNING_SECRET and run `brand-monitor slack serve`",
    "need_env": "{names} not set; export {names} from the app's settings (never in a file)",
    "serving": "listening on http://{host}:{port}{path} (Slack Request URL for "
               "Interactivity); Ctrl-C stops",
}

# The line under a message that carries a file (the weekly digest's chart); {link} is a link.
FILE_LINK = "📈 {link}"

# `brand-monitor outbox …` lines (the operator reads these).
OUTBOX = {
    "choose": "say what to retry: --dead (every dead message) and/or --key KEY "
              "(see `brand-monitor outbox list --status dead`)",
    "queued": "queued again: {key}",
    "skipped": "left alone: {key} is {status}",
    "missing": "no outbox message has the key {key}",
    "summary": "{n} message(s) queued again; the running daemon delivers them within "
               "outbox.interval (or run `brand-monitor run --once`). One that may already be "
               "in Slack is looked up there first.",
    "empty": "no outbox messages{status}",
}
