"""Make untrusted public text safe for Slack mrkdwn: no pings, no disguised links."""

from __future__ import annotations

import re

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


def quote(text: str) -> str:
    """Render as a mrkdwn block quote (each line prefixed with '>' — after escaping, so a '>'
    from the public cannot open a quote of its own)."""
    return "\n".join(f">{line}" if line else ">" for line in text.split("\n"))


def link(url: str | None, label: str) -> str:
    """A link we build ourselves from a URL we trust to be the source's permalink."""
    if not url or not url.startswith(("https://", "http://")):
        return escape(label)
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")
    return f"<{safe_url}|{escape(label)}>"
