"""Classifier quality per class and per writing style on labeled JSONL (prints, no asserts).

    .venv/bin/python benchmarks/eval_by_style.py monitor/classify/dev/real_style.jsonl \
        [--artifact DIR] [--json] [--errors 20]

Lines are those `model eval` reads, plus an optional "style" (support_tweet, app_review, ...);
lines without one are grouped under their "source", else "-". Prints the overall report (what
`model eval --json` gives) and then macro-F1, accuracy and per-class F1 for each style. The
`--errors` option lists that many misread lines per true-to-predicted pair, for error analysis.
The model is the configured default (the packaged one) unless --artifact names another.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any


def _styles(path: Path) -> list[str]:
    """Each non-blank line's style, in the order load_jsonl reads the examples."""
    out = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(str(row.get("style") or row.get("source") or "-"))
    return out


def evaluate(paths: list[Path], *, artifact: Path | None) -> dict[str, Any]:
    from monitor.classify import build_classifier
    from monitor.classify.base import ClassifierInput
    from monitor.classify.dataset import load_jsonl
    from monitor.classify.metrics import report
    from monitor.config import load_settings
    from monitor.models import LABELS

    overrides = {"classifier": {"artifact": str(artifact)}} if artifact else None
    clf = build_classifier(load_settings(None, overrides=overrides), explain=False)
    examples = [ex for p in paths for ex in load_jsonl(p)]
    styles = [s for p in paths for s in _styles(p)]
    inputs = [ClassifierInput(text=ex.text, rating=ex.rating, source=ex.source)
              for ex in examples]
    if hasattr(clf, "probabilities"):
        predicted = clf.probabilities(inputs).argmax(1).tolist()
    else:
        predicted = [LABELS.index(c.label) for c in clf.classify(inputs)]
    truth = [LABELS.index(ex.label) for ex in examples]
    by_style: dict[str, list[int]] = defaultdict(list)
    for i, style in enumerate(styles):
        by_style[style].append(i)
    errors: dict[str, list[str]] = defaultdict(list)
    for i, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        if t != p:
            rating = f" [{examples[i].rating}*]" if examples[i].rating else ""
            errors[f"{LABELS[t].value}->{LABELS[p].value}"].append(
                f"{styles[i]}{rating}: {examples[i].text!r}")
    return {
        "model": clf.name,
        "overall": report(truth, predicted),
        "styles": {s: report([truth[i] for i in idx], [predicted[i] for i in idx])
                   for s, idx in sorted(by_style.items())},
        "errors": dict(sorted(errors.items(), key=lambda kv: -len(kv[1]))),
    }


def _row(name: str, rep: dict[str, Any]) -> str:
    f1 = " ".join(f"{rep['per_class'][lab]['f1']:>9.3f}" if rep["per_class"][lab]["support"]
                  else f"{'-':>9}" for lab in rep["labels"])
    return f"{name:<16} {rep['n']:>5} {rep['macro_f1']:>8.3f} {rep['accuracy']:>8.3f} {f1}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+", type=Path, help="labeled JSONL file(s)")
    parser.add_argument("--artifact", type=Path, help="trained model folder (default: packaged)")
    parser.add_argument("--json", action="store_true", help="one JSON object, nothing else")
    parser.add_argument("--errors", type=int, default=0, metavar="N",
                        help="list up to N misread lines per true->predicted pair")
    args = parser.parse_args(argv)
    result = evaluate(args.data, artifact=args.artifact)
    if args.json:
        result["errors"] = {k: v[: args.errors] for k, v in result["errors"].items()}
        sys.stdout.write(json.dumps(result) + "\n")
        return
    from monitor.classify.metrics import format_report

    print(f"model {result['model']} on {', '.join(map(str, args.data))}")
    print(format_report(result["overall"]))
    labels = result["overall"]["labels"]
    print()
    print(f"{'style':<16} {'n':>5} {'macro-F1':>8} {'accuracy':>8} "
          + " ".join(f"{lab[:9]:>9}" for lab in labels))
    for style, rep in result["styles"].items():
        print(_row(style, rep))
    for pair, lines in result["errors"].items() if args.errors else ():
        print(f"\n{pair} ({len(lines)})")
        for line in lines[: args.errors]:
            print(f"  {line}")


if __name__ == "__main__":
    main()
