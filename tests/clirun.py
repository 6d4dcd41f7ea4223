"""Run the command line as a user does: `python -m monitor …` in a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL_SLEEP = time.sleep  # captured before the autouse fixture makes sleep instant


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


class Daemon:
    """`python -m monitor run --config CFG` in a child process, its output in `log`, until the
    test kills (-9) or stops (SIGTERM) it."""

    def __init__(self, cfg: Path, log: Path, *, slack_token: str) -> None:
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "HOME": str(cfg.parent),
               "HF_HUB_OFFLINE": "1", "SLACK_BOT_TOKEN": slack_token,
               "NO_PROXY": "127.0.0.1", "OMP_NUM_THREADS": "1"}
        self.log = log
        self._out = log.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config",
                                      str(cfg)], stdout=self._out, stderr=subprocess.STDOUT,
                                     env=env)

    def running(self, timeout: float, *, every: float = 0.1) -> bool:
        """Wait until the daemon's scheduler runs (the model is loaded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if "brand-monitor running" in self.log.read_text():
                return True
            REAL_SLEEP(every)
        return False

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._out.close()

    def stop(self, *, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._out.close()
        return code
