"""Every piece of reply copy in one place: default templates and the Reply… modal's text."""

from __future__ import annotations

# Default reply templates, used when a brand's rules file has none for the key. Keys are
# "<label>" (no knowledge-base entry claimed) and "<label>.kb" (an entry was claimed; a brand may
# also define "<label>.<topic>" for one topic). Variables: see rules/knowledge/README.md.
# `{% if not short %}…{% endif %}` marks the optional sentence dropped first on tight platforms.
DEFAULT_TEMPLATES: dict[str, str] = {
    "complaint": (
        "Hi {{ author }}, we're sorry about this - it's not the experience we want you to have. "
        "Please send us a DM with your account email or order number and we'll look into it "
        "right away.{% if not short %} - {{ brand }}{% endif %}"
    ),
    "complaint.kb": (
        "Hi {{ author }}, we're sorry about this. {{ kb_answer | sentence }} {{ kb_url }}"
        "{% if not short %} If that doesn't sort it, DM us and we'll help straight away."
        "{% endif %}"
    ),
    "question": (
        "Hi {{ author }}, thanks for asking! Could you DM us a few more details (your order "
        "number or what you're trying to do) so we can give you the right answer?"
        "{% if not short %} - {{ brand }}{% endif %}"
    ),
    "question.kb": (
        "Hi {{ author }}! {{ kb_answer | sentence }} {{ kb_url }}"
        "{% if not short %} Anything else, just DM us.{% endif %}"
    ),
    "praise": (
        "Thank you so much, {{ author }}!{% if not short %} We've shared this with the team - "
        "it really made our day.{% endif %} - {{ brand }}"
    ),
}

# The Reply… modal in Slack (monitor/slack/reply_modal.py).
MODAL_TITLE = "Edit reply"  # Slack allows 24 characters
MODAL_SUBMIT = "Save reply"
MODAL_SEND = "Send"  # Slack allows 24 characters
MODAL_SEND_APPROVAL = "Ask for approval"
MODAL_CLOSE = "Cancel"
MODAL_LABEL = "Reply on {platform} (max {limit} characters)"
MODAL_HINT = "Saved with the case and shown in the message; post it on {platform} yourself."
MODAL_SEND_HINT = "Posted publicly on {platform} as the brand's own account when you press Send."
MODAL_APPROVAL_HINT = ("Goes out on {platform} once someone in {group} other than you approves "
                       "it in the thread.")
MODAL_FOLLOW_UP = "Already answered on {platform}: sending posts another public reply."
MODAL_SAVE_ONLY = "Only save it, don't send yet"
ERROR_BUSY = {
    "awaiting": "An earlier draft is waiting for approval in the thread; approve or reject it "
                "first.",
    "sending": "A reply is being posted right now; wait for the result in the thread.",
    "replied": "This case was already answered; an edit can only be sent as a follow-up.",
    "ignored": "This mention is not triaged in Slack.",
    "missing": "This case no longer exists.",
    "decided": "The case changed while you were editing; close this and try again.",
    "own_draft": "You drafted this reply; someone else must approve it.",
}

# Where a reply cannot be sent from Slack ({platform}: "X", "Feed" …).
CANNOT_ANSWER = "{platform} replies cannot be posted from here; answer on the site itself."
NOT_SET_UP = "Replies on {platform} are not set up ({reason})."
NOT_SET_UP_DEFAULT = "the source is not enabled in this process"
MODAL_KB = "From the knowledge base: {entry}"
MODAL_CASE_GONE = "This case no longer exists."
ERROR_EMPTY = "The reply is empty."
ERROR_TOO_LONG = "{platform} allows {limit} characters; this reply counts {length}. Shorten it."
ERROR_MENTIONS = "Only the author may be @-mentioned; remove {handles}."
ERROR_NOT_SAVED = "The case changed while you were editing; close this and try again."
