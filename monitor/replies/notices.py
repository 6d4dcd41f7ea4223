"""What the reply worker tells the case's Slack thread: one notice per outcome of an attempt."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.readmodels import CaseView


class Outcome(enum.StrEnum):
    REPLIED = "replied"
    FAILED = "failed"
    RATE_LIMITED = "rate_limited"


# Why a reply was not posted: the platform's PublishRejected reasons, and ours.
AUTH = "auth"  # the account's credentials were refused or lack write access
NOT_SET_UP = "not_set_up"  # no publisher for the source in this process
UNCONFIRMED = "unconfirmed"  # the platform never confirmed; we stopped asking


@dataclass(frozen=True, slots=True)
class Notice:
    """One outcome of one attempt. `message` is the platform's own words (untrusted: escape
    it), `reason` a code (PublishRejected.REASONS or the constants above)."""

    outcome: Outcome
    case_id: int
    attempt: int
    source: str
    drafted_by: str | None = None
    url: str | None = None
    reason: str | None = None
    message: str | None = None
    retry_at: datetime | None = None
    reconciled: bool = False


# Renders a notice as the outbox row that posts it in the case's thread (None: no thread).
Notify = Callable[[CaseView, Notice], "dict[str, Any] | None"]


def no_notices(view: CaseView, notice: Notice) -> dict[str, Any] | None:
    """For a worker without Slack (tests of the worker logic, the terminal)."""
    return None
