"""Make untrusted public text safe for Slack mrkdwn: no pings, no disguised links."""

from __future__ import annotations

import re
from collections.abc import Callable

# Slack's limits on the pieces of a message (Block Kit); longer is invalid_blocks
SECTION_TEXT = 3000
HEADER_TEXT = 150
CONTEXT_TEXT = 300  # ours: a context line is a glance, well under Slack's 3000
MAX_URL = 1000  # a longer link is shown as its label: it would crowd out the message

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape(text: str) -> str:
    """Escape the three characters Slack gives meaning to (&, <, >). With them escaped,
    `<!channel>`, `<@U123>` and `<https://evil|bank.com>` are shown literally, never parsed."""
    text = _CONTROL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """Cut at a word boundary under `limit` characters; True if anything was cut."""
    if len(text) <= limit:
        return text, False
    cut = text[: max(0, limit - 1)]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…", True


def fit(text: str, limit: int, *, render: Callable[[str], str] = escape) -> tuple[str, bool]:
    """`text` rendered (escaped, by default) in at most `limit` characters, and whether it was
    cut. The raw text is cut first (at a word, with '…') and rendered after, so an entity such
    as `&amp;` is never split and the rendered text always fits."""
    rendered = render(text)
    if len(rendered) <= limit:
        return rendered, False
    budget = limit
    while budget > 1:
        cut, _ = truncate(text, budget)
        rendered = render(cut)
        if len(rendered) <= limit:
            return rendered, True
        # shrink by how much rendering grew it (five times for '&' → '&amp;')
        budget = min(budget - 1, budget * limit // len(rendered))
    return render("…"), True


def quote(text: str) -> str:
    """Render as a mrkdwn block quote (each line prefixed with '>' — after escaping, so a '>'
    from the public cannot open a quote of its own)."""
    return "\n".join(f">{line}" if line else ">" for line in text.split("\n"))


def link(url: str | None, label: str) -> str:
    """A link we build ourselves from a URL we trust to be the source's permalink."""
    if not url or not url.startswith(("https://", "http://")):
        return escape(label)
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")
    if len(safe_url) > MAX_URL:
        return escape(label)  # cutting a URL would break it
    return f"<{safe_url}|{escape(label)}>"
