"""What every command line shares: the --config option's one wording, and how we were invoked."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated

import platformdirs
import typer

PROG = "brand-monitor"
CONFIG_HELP = ("YAML config file (default: $BRAND_MONITOR_CONFIG); BRAND_MONITOR_* variables "
               "override it.")
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help=CONFIG_HELP)]


def default_data_dir() -> Path:
    """The data directory when none is configured (the user's data directory)."""
    return Path(platformdirs.user_data_dir(PROG))


def demo_config_path(data_dir: Path | None = None) -> Path:
    """Where `brand-monitor demo` writes the config its printed commands use."""
    return (data_dir or default_data_dir() / "demo") / "config.yaml"


def invocation() -> str:
    """The command to print for the user to run next, as this process was started: the
    `brand-monitor` on PATH, else the script's own path, else `<python> -m monitor`."""
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name == PROG:
        found = shutil.which(PROG)
        if found and Path(found).resolve() == Path(argv0).resolve():
            return PROG
        return shlex.quote(argv0)
    return f"{shlex.quote(sys.executable)} -m monitor"
