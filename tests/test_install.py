"""The README's real-use path on a fresh, non-editable install: build the wheel, install it in a
new virtualenv, then init -> rules check/test -> db upgrade -> run --once -> status, against
loopback fakes. The new environment borrows the dependencies already installed here (a .pth
line to this interpreter's site-packages) so nothing is downloaded; the project itself comes
from the wheel only (no PYTHONPATH, no editable finder)."""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.clirun import REPO
from tests.connectors.fakes_rss import FeedFake
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a clean copy of what the package is made of (a build/ left in the checkout
    could carry stale files into the wheel)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for name in ("monitor", "connectors", "rules"):
        shutil.copytree(REPO / name, src / name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(out), str(src)], check=True, timeout=600,
                   capture_output=True)
    (built,) = out.glob("brand_monitor-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True,
                   timeout=300)
    python = root / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # the dependencies installed here, after the new environment's own site-packages
    (Path(purelib) / "borrowed-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--ignore-installed", str(wheel)], check=True, timeout=300,
                   capture_output=True)
    return root


def env_for(venv: Path, home: Path, **extra: str) -> dict[str, str]:
    return {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "200",
            "NO_PROXY": "127.0.0.1,localhost", **extra}


def test_wheel__carries_the_bundled_rules_knowledge_and_model(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for rules in sorted((REPO / "rules").rglob("*")):
        if rules.is_file():
            assert f"monitor/demo/rules/{rules.relative_to(REPO / 'rules')}" in names, rules
    assert "monitor/init/templates/config.yaml" in names
    assert any(n.startswith("monitor/classify/artifacts/") and n.endswith(".safetensors")
               for n in names)
    assert any(n.startswith("monitor/store/migrations/") for n in names)


def test_install__readme_path_from_init_to_run_once(venv: Path, tmp_path: Path) -> None:
    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(["brand-monitor", *args], capture_output=True, text=True,
                             cwd=tmp_path, env=env_for(venv, tmp_path, **extra), timeout=600)
        assert res.returncode == 0, f"{args}\n{res.stdout}\n{res.stderr}"
        assert "Traceback" not in res.stderr, res.stderr
        return res

    where = run_python(venv, tmp_path, "import monitor; print(monitor.__file__)")
    assert where.startswith(str(venv)), where  # the installed wheel, not this checkout
    assert run("--version").stdout.strip() == "brand-monitor 0.1.0"
    bundled = Path(where).parent / "demo" / "rules"
    assert "3 file(s), 3 brand(s): OK" in run("rules", "check", "--rules", str(bundled)).stdout

    with FakeServer() as server:
        slack = FakeSlack(server)
        feed = FeedFake.fixture(server, "/acme/feed.xml", "rss_rss2.xml")
        run("init", "site")
        cfg = tmp_path / "site" / "config.yaml"
        edit(tmp_path / "site" / "rules" / "acme.yaml",
             "      rss: []", f'      rss: ["{feed.url}"]')  # the brand's feed
        edit(cfg, "  rss:\n    enabled: false", "  rss:\n    enabled: true")
        secrets = {"SLACK_BOT_TOKEN": "xoxb-e2e-test",
                   "BRAND_MONITOR_SLACK__BASE_URL": slack.base_url}
        run("rules", "check", "--config", str(cfg))
        assert "5 passed, 0 failed" in run("rules", "test", "--config", str(cfg)).stdout
        run("db", "upgrade", "--config", str(cfg))
        once = run("run", "--config", str(cfg), "--once", **secrets)
        assert "polled 1 source(s)" in once.stdout
        stored = int(once.stdout.split("stored ")[1].split()[0])
        assert stored >= 2, once.stdout
        assert len(slack.posted(top_level=True)) >= 1
        assert feed.hits()
        status = run("status", "--config", str(cfg), **secrets)
        assert "healthy" in status.stdout and "unhealthy" not in status.stdout
    assert (tmp_path / "site" / "data" / "brand-monitor.sqlite").exists()  # next to the config


def run_python(venv: Path, home: Path, code: str) -> str:
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True,
                          text=True, check=True, cwd=home, env=env_for(venv, home),
                          timeout=120).stdout.strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))

