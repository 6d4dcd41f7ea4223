"""The outbox vocabulary: what a row asks for (its kind), its states, and its idempotency keys."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime


class OutboxKind(enum.StrEnum):
    """What delivering a row means. The worker renders `post`, `history` and `update` rows from
    the case when they go out (so Slack shows the newest state); `raw` rows carry their message
    in the payload; `upload` rows carry a file."""

    POST = "post"  # the case's message
    HISTORY = "history"  # the author-history thread reply under it
    UPDATE = "update"  # chat.update of the case's message to its current state
    RAW = "raw"  # a message given in the payload (reminders, spike alerts)
    UPLOAD = "upload"  # a file share (the weekly digest chart)
    REPLY = "reply"  # our public reply on the platform (monitor.replies.sender, not Slack)


# What each worker leases: the Slack outbox worker never takes a platform reply, and the reply
# worker never takes a Slack call.
SLACK_KINDS = (OutboxKind.POST, OutboxKind.HISTORY, OutboxKind.UPDATE, OutboxKind.RAW,
               OutboxKind.UPLOAD)
REPLY_KINDS = (OutboxKind.REPLY,)


class OutboxStatus(enum.StrEnum):
    """pending -> sending -> sent | pending (retry) | dead. A row left in `sending` by a crash
    becomes `unknown`: the write may or may not have happened, so it is looked up before
    anything is sent again."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    UNKNOWN = "unknown"


# Idempotency keys: one per external write, so a retry can never make it twice.

def post_key(case_id: int) -> str:
    return f"post:{case_id}"


def history_key(case_id: int) -> str:
    return f"history:{case_id}"


def update_key(case_id: int, version: int) -> str:
    """One update per case version: a click queues the update of the state it produced."""
    return f"update:{case_id}:{version}"


def reminder_key(case_id: int, stage: str, *, reopened: int = 0,
                 claimed_at: datetime | None = None) -> str:
    """One reminder per stage: unclaimed once per (re)opening, claimed once per claim."""
    if stage == "claimed" and claimed_at is not None:
        return f"remind:{case_id}:claimed:{claimed_at.isoformat()}"
    return f"remind:{case_id}:{stage}" + (f":r{reopened}" if reopened else "")


def reply_key(case_id: int, attempt: int) -> str:
    """One public reply per send attempt: a resend after a failure is a new attempt."""
    return f"reply:{case_id}:{attempt}"


def approval_key(case_id: int, attempt: int) -> str:
    """The thread message asking the approver group to approve one attempt."""
    return f"approval:{case_id}:{attempt}"


def reply_notice_key(case_id: int, attempt: int, outcome: str) -> str:
    """The thread message saying how one attempt went (sent, failed, rate limited): once each."""
    return f"reply-notice:{case_id}:{attempt}:{outcome}"


def follow_up_key(case_id: int, source: str, external_id: str, revision: str = "") -> str:
    """The thread message telling one answer of the customer (a review: one per version)."""
    ident = hashlib.sha256(f"{source}\x1f{external_id}\x1f{revision}".encode(
        "utf-8", "surrogatepass")).hexdigest()[:20]
    return f"follow-up:{case_id}:{ident}"


def digest_key(week: str) -> str:
    return f"digest:{week}"


def spike_key(brand: str, hour: datetime) -> str:
    return f"spike:{brand}:{hour.strftime('%Y-%m-%dT%H')}"


# Named state in the kv table, written by the daemon and read by `status` in another process.
RULES_STATUS_KEY = "rules.status"
SOCKET_STATUS_KEY = "slack.socket_mode"  # connected | reconnecting | stopped, since, error
# Slack delivery's state (ok / failing / paused on a rejected token), kept by the outbox worker.
SLACK_DELIVERY_KEY = "slack.delivery"
