"""Write a starter installation: config.yaml, rules/ with one example brand, and what next."""

from __future__ import annotations

import shlex
from importlib import resources
from pathlib import Path

import typer

from monitor.cliopts import invocation
from monitor.errors import ConfigError
from monitor.init import copy

CONFIG = "config.yaml"
BRAND = Path("rules") / "acme.yaml"
GITIGNORE = ".gitignore"
# file in the site -> its template in monitor/init/templates
FILES = {Path(CONFIG): "config.yaml", BRAND: "brand.yaml"}


def template(name: str) -> str:
    return resources.files("monitor.init").joinpath("templates", name).read_text("utf-8")


def init_site(directory: Path) -> list[Path]:
    """Write the starter files into `directory`; refuse (ConfigError) if any of them exists,
    before writing anything. Returns the files written."""
    root = directory.expanduser()
    targets = [root / rel for rel in FILES]
    for path in targets:
        if path.exists():
            raise ConfigError(copy.EXISTS.format(path=path))
    written = []
    try:
        for rel, name in FILES.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template(name), encoding="utf-8")
            written.append(path)
        ignore = root / GITIGNORE
        if not ignore.exists():  # the data directory holds the database: not for git
            ignore.write_text("data/\n", encoding="utf-8")
            written.append(ignore)
    except OSError as e:
        raise ConfigError(copy.CANNOT_WRITE.format(path=e.filename or root,
                                                   reason=e.strerror or e)) from e
    for path in written:
        typer.echo(copy.WROTE.format(path=path))
    config = shlex.quote(str(root / CONFIG))
    typer.echo(copy.NEXT.format(prog=invocation(), config=config,
                                brand=shlex.quote(str(root / BRAND))))
    return written
