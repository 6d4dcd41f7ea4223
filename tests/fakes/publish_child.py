"""Child process for the crash test: post one reply through the real publisher, then record it.

`python -m tests.fakes.publish_child SPEC.json` — SPEC holds source, options, env, target, text
and `record` (a file written only after the platform answered). The test kills this process
while the platform holds its answer, so nothing is ever recorded."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from connectors import registry
from connectors.replies.base import ReplyTarget


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    cls = registry.load_publisher(spec["source"])
    assert cls is not None
    publisher = cls.from_settings(spec["options"], environ=spec["env"])
    posted = publisher.publish(ReplyTarget(**spec["target"]), spec["text"])
    Path(spec["record"]).write_text(posted.platform_id)  # "our commit"


if __name__ == "__main__":
    main(sys.argv[1])
