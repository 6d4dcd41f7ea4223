"""Run the command line as a user does: `python -m monitor …` in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cli_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment: this tree on PYTHONPATH, HOME (and so the default data directory)
    inside the test's folder, no secrets, offline model."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO),
           "HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "NO_PROXY": "127.0.0.1,localhost", "COLUMNS": "200", "XDG_DATA_HOME": "",
           "LANG": "C.UTF-8"}
    env.pop("XDG_DATA_HOME")
    env.update(extra or {})
    return env


def run_cli(*args: str, cwd: Path, env: Mapping[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout,
                          env=cli_env(cwd, env))
