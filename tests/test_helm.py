"""The Helm chart's values are documented: every key of values.yaml in its README, with its
default, and nothing documented that values.yaml lacks."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tests.clirun import REPO

CHART = REPO / "deploy" / "helm" / "brand-monitor"


def leaves(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and path not in ("config",):
            out.update(leaves(value, path + "."))
        else:
            out[path] = value
    return out


def documented() -> dict[str, str]:
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]*) \|", (CHART / "README.md").read_text(), re.M)
    return {key: default.strip() for key, default in rows}


def test_chart_readme__documents_every_value_with_its_default() -> None:
    values = leaves(yaml.safe_load((CHART / "values.yaml").read_text()))
    table = documented()
    assert set(table) == set(values)
    for key, value in values.items():
        if key == "config":
            continue  # a whole config.yaml: described, not repeated
        shown = table[key].strip("`")
        expected = value if isinstance(value, str) else json.dumps(value)
        assert shown in (expected, f'"{expected}"', str(value).replace("'", "")), key


def test_chart__templates_name_only_values_that_exist() -> None:
    values = leaves(yaml.safe_load((CHART / "values.yaml").read_text()))
    known = set(values) | {k.rsplit(".", 1)[0] for k in values} | {"config"}
    for template in (CHART / "templates").glob("*"):
        for ref in re.findall(r"\.Values\.([A-Za-z0-9_.]+)", template.read_text()):
            assert any(k == ref or k.startswith(ref + ".") for k in known), \
                f"{template.name}: .Values.{ref} is not in values.yaml"
