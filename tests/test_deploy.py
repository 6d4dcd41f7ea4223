"""deploy/: the compose file runs with the config `init` writes, the systemd unit is hardened
and writes only its state directory."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from monitor.config import load_settings
from monitor.init.write import init_site
from monitor.rules.loader import load_rules
from tests.clirun import REPO

DEPLOY = REPO / "deploy"


def dockerfile_env() -> dict[str, str]:
    """The ENV of the Dockerfile's final stage."""
    text = (DEPLOY / "Dockerfile").read_text().split("\nFROM ")[-1].replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return env


def compose_env(environment: dict[str, str], dotenv: dict[str, str]) -> dict[str, str]:
    """The service's environment as compose interpolates it: ${VAR:-default} takes the
    default when deploy/.env does not set VAR; any other unset ${VAR} reads "x"."""
    def value(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        return dotenv.get(name, default if default is not None else "x")

    return {k: re.sub(r"\$\{(\w+)(?::[-?]([^}]*))?\}", value, str(v))
            for k, v in environment.items()}


def test_compose__sources_are_turned_on_from_the_env_file(tmp_path: Path) -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    environment = compose["services"]["monitor"]["environment"]
    site = tmp_path / "site"
    init_site(site)
    env = {**compose_env(environment, {"RSS_ENABLED": "true", "POSTGRES_PASSWORD": "pw"}),
           "BRAND_MONITOR_CONFIG": str(site / "config.yaml")}
    assert load_settings(None, environ=env).enabled_sources() == ["rss"]
    env = {**compose_env(environment, {"POSTGRES_PASSWORD": "pw"}),
           "BRAND_MONITOR_CONFIG": str(site / "config.yaml")}
    assert load_settings(None, environ=env).enabled_sources() == []  # nothing on by default


def test_dockerfile__healthcheck_reads_readyz_on_the_metrics_port() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    check = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK"))
    env = dockerfile_env()
    assert f"127.0.0.1:{env['BRAND_MONITOR_METRICS_PORT']}/readyz" in check
    assert env["BRAND_MONITOR_METRICS_ADDRESS"] == "0.0.0.0"  # Prometheus scrapes from outside
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv", "deploy/.env"} <= set(ignored)


def test_compose__monitor_runs_with_the_site_init_writes(tmp_path: Path) -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    monitor = compose["services"]["monitor"]
    mounts = dict(v.split(":")[:2] for v in monitor["volumes"] if v.startswith("./"))
    site = tmp_path / "site"
    init_site(site)
    assert mounts == {"./site": "/etc/brand-monitor"}

    def host(path: str) -> str:  # what the container sees at `path`, on this machine
        for target in mounts.values():
            if path.startswith(target):
                return str(site) + path[len(target):]
        return path

    env = {**dockerfile_env(), **compose_env(monitor["environment"], {})}
    env = {k: host(v) for k, v in env.items()}
    settings = load_settings(None, environ=env)
    assert settings.rules_dir == site / "rules"
    assert len(load_rules(settings.rules_dir)) == 1
    assert settings.data_dir == Path("/var/lib/brand-monitor")  # the image's volume
    assert settings.db_url.startswith("postgresql://brandmon:x@db/")


def unit() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (DEPLOY / "brand-monitor.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            out.setdefault(key, []).append(value)
    return out


def test_systemd_unit__data_dir_is_its_state_directory_the_only_place_it_writes() -> None:
    u = unit()
    assert u["StateDirectory"] == ["brand-monitor"]
    env = " ".join(u["Environment"])
    assert "BRAND_MONITOR_DATA_DIR=/var/lib/brand-monitor" in env  # %S/brand-monitor
    assert "BRAND_MONITOR_CONFIG=/etc/brand-monitor/config.yaml" in env
    assert u["ProtectSystem"] == ["strict"] and u["ProtectHome"] == ["yes"]
    assert "ReadWritePaths" not in u  # the state (and cache) directory only


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_unit__security_exposure_is_ok(tmp_path: Path) -> None:
    copy = tmp_path / "brand-monitor.service"
    shutil.copyfile(DEPLOY / "brand-monitor.service", copy)
    res = subprocess.run(["systemd-analyze", "security", "--offline=true", str(copy)],
                         capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", res.stdout)
    assert found, res.stdout + res.stderr
    print(f"\nsystemd-analyze security: {found.group(1)} {found.group(2)}")
    assert float(found.group(1)) <= 2.0, res.stdout
