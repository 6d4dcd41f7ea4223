"""Every line `brand-monitor init` prints."""

from __future__ import annotations

EXISTS = "{path} already exists; nothing was written (pick another directory or move it away)"
CANNOT_WRITE = "cannot write {path} ({reason})"
WROTE = "wrote {path}"
NEXT = """
Next steps:
  1. Describe your brand: edit {brand} (and copy it for more brands).
  2. Check the rules and run their examples:
       {prog} rules check --config {config}
       {prog} rules test --config {config}
  3. Turn on sources in {config} and export their secrets (environment only), e.g.
       export SLACK_BOT_TOKEN=xoxb-…  X_BEARER_TOKEN=…
  4. Check the Slack app (deploy/SLACK.md sets it up):
       {prog} slack check --config {config}
  5. One round, then the daemon, and its health:
       {prog} run --config {config} --once
       {prog} run --config {config}
       {prog} status --config {config}"""
