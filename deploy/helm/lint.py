"""Lint the chart with Helm's own linter, offline, under several values (see README.md).

Needs helm-sdkpy (PyPI; it ships libhelm, so no helm binary is needed) in a throwaway venv:
  python3 -m venv /tmp/helmvenv && /tmp/helmvenv/bin/pip install pyyaml cffi \
      && /tmp/helmvenv/bin/pip install --no-deps --ignore-requires-python helm-sdkpy==0.1.32
  /tmp/helmvenv/bin/python deploy/helm/lint.py deploy/helm/brand-monitor
"""

import asyncio
import pathlib
import shutil
import sys
import tempfile

import helm_sdkpy as helm
import yaml

SEVERITY = {1: "INFO", 2: "WARNING", 3: "ERROR"}
VARIANTS = {
    "defaults": {},
    "external-url": {"database": {"url": "postgresql://u:p@db:5432/bm"}},
    "existing-secrets": {"existingSecret": "bm-secrets", "database": {"existingSecret": "bm-db"}},
    "bundled-postgres": {"postgresql": {"enabled": True}},
    "rules-and-sources": {
        "database": {"url": "postgresql://u:p@db/bm"},
        "rules": {"acme.yaml": "brands:\n  - id: acme\n    query: acme\n"},
        "secrets": {"SLACK_BOT_TOKEN": "xoxb-1"},
        "config": {"sources": {"rss": {"enabled": True, "feeds": [
            {"url": "https://x.example/feed", "brand": "acme"}]}}}},
}


def merge(a: dict, b: dict) -> dict:
    for k, v in b.items():
        a[k] = merge(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
    return a


def main(chart: pathlib.Path) -> int:
    config = helm.Configuration(namespace="default", kubeconfig="/dev/null")
    errors = 0
    for name, values in VARIANTS.items():
        tmp = pathlib.Path(tempfile.mkdtemp()) / chart.name
        shutil.copytree(chart, tmp)
        merged = merge(yaml.safe_load((tmp / "values.yaml").read_text()), values)
        (tmp / "values.yaml").write_text(yaml.safe_dump(merged))
        result = asyncio.run(helm.Lint(config).run(str(tmp)))
        found = [(SEVERITY.get(m["Severity"], m["Severity"]), m["Path"].replace(str(tmp), "."))
                 for m in result.get("Messages") or []]
        errors += sum(1 for sev, _ in found if sev == "ERROR")
        print(f"{name}: {found or 'clean'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
