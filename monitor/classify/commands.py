"""`brand-monitor model train|eval`: train the builtin classifier, measure any classifier."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import typer

from monitor.cliopts import CONFIG_HELP
from monitor.errors import MonitorError

logger = logging.getLogger(__name__)

app = typer.Typer(help="Train and evaluate the mention classifier.", no_args_is_help=True)

_CONFIG = typer.Option(None, "--config", "-c", help=CONFIG_HELP)


def _fail(err: MonitorError) -> typer.Exit:
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(1)


def _feedback(settings: Any) -> list[Any]:
    """Label corrections made in Slack, as training examples: the final label of each case,
    none that was changed back (see classify.feedback)."""
    from monitor.classify.feedback import corrections, latest_corrections

    try:
        from monitor.store import Store
    except ImportError as e:
        raise MonitorError(f"--include-feedback needs the store, which is unavailable ({e})") from e
    store = Store.from_settings(settings)
    try:
        return latest_corrections(corrections(store.iter_label_feedback()))
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()


@app.command()
def train(
    config: Path | None = _CONFIG,
    out: Path | None = typer.Option(None, "--out", help="artifact root (default <data_dir>/model)"),
    seed: int = typer.Option(13, "--seed", help="seeds split, initialisation and shuffling"),
    include_feedback: bool = typer.Option(False, "--include-feedback",
                                          help="add label corrections made in Slack"),
    data: list[Path] | None = typer.Option(None, "--data", help="JSONL training files "
                                           "(default: the data shipped in monitor/classify/data)"),
    epochs: int = typer.Option(4, "--epochs", min=1, help="passes over the training data"),
    layers: int = typer.Option(4, "--layers", min=0, max=6, help="top encoder layers to fine-tune"),
    threads: int = typer.Option(2, "--threads", min=1, help="CPU threads (results depend on it)"),
) -> None:
    """Train the builtin classifier and write a versioned artifact with its held-out metrics."""
    from monitor.classify.artifact import read_metadata, size_bytes
    from monitor.classify.dataset import default_data_files, load_files
    from monitor.classify.train import TrainConfig
    from monitor.classify.train import train as run_training
    from monitor.config import load_settings

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    try:
        settings = load_settings(config)
        files = list(data or default_data_files())
        if not files:
            raise MonitorError("no training data: pass --data FILE.jsonl")
        examples = load_files(files)
        extra = _feedback(settings) if include_feedback else []
        logger.info("training on %d examples (+%d feedback)", len(examples), len(extra))
        cfg = TrainConfig(seed=seed, epochs=epochs, trainable_layers=layers, threads=threads)
        path = run_training(examples, out_root=out or settings.data_dir / "model", config=cfg,
                            extra_train=extra, data_files=[f.name for f in files],
                            emit=lambda line: typer.echo(line, err=True))
    except MonitorError as err:
        raise _fail(err) from err
    meta = read_metadata(path)
    test = meta["metrics"].get("test")
    typer.echo(f"artifact {path} ({size_bytes(path) / 1e6:.1f} MB), version {meta['version']}")
    typer.echo(f"trained on {meta['n']['train']} examples in {meta['train_seconds']}s, "
               f"temperature {meta['temperature']:.3f}")
    if test:
        from monitor.classify.metrics import format_report

        typer.echo(f"held-out test split (seed {seed}):")
        typer.echo(format_report(test))
        typer.echo(f"ECE before calibration {test['ece_before']:.4f}, after "
                   f"{test['ece_after']:.4f}; macro-F1 without ratings "
                   f"{test['macro_f1_without_rating']:.4f}")
        cosine = meta["metrics"].get("retrieval_cosine_test")
        if cosine is not None:
            typer.echo(f"retrieval embedding vs the packaged encoder's: mean cosine {cosine:.3f}")


@app.command("eval")
def evaluate(
    data: Path = typer.Option(..., "--data",
                              help='JSONL lines {"text","label"}, optional "rating"'),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object, nothing else"),
    config: Path | None = _CONFIG,
    artifact: Path | None = typer.Option(None, "--artifact", help="trained model folder to use"),
    quantize: bool | None = typer.Option(None, "--quantize/--no-quantize",
                                         help="override classifier.quantize"),
) -> None:
    """Measure the configured classifier on a labeled file: per-class precision/recall/F1,
    macro-F1, confusion matrix, n and texts per second."""
    from monitor.classify import build_classifier
    from monitor.classify.base import ClassifierInput
    from monitor.classify.dataset import load_jsonl
    from monitor.classify.metrics import ece, format_report, report
    from monitor.config import load_settings
    from monitor.models import LABELS

    overrides: dict[str, Any] = {}
    if artifact is not None:
        overrides["artifact"] = str(artifact)
    if quantize is not None:
        overrides["quantize"] = quantize
    try:
        settings = load_settings(config, overrides={"classifier": overrides} if overrides else None)
        examples = load_jsonl(data)
        if not examples:
            raise MonitorError(f"{data}: no examples")
        clf = build_classifier(settings, explain=False)
        inputs = [ClassifierInput(text=ex.text, rating=ex.rating, source=ex.source)
                  for ex in examples]
        began = time.perf_counter()
        probs = _probabilities(clf, inputs)
        elapsed = time.perf_counter() - began
    except MonitorError as err:
        raise _fail(err) from err
    y_true = [LABELS.index(ex.label) for ex in examples]
    rep = report(y_true, probs.argmax(1).tolist())
    rep["texts_per_second"] = round(len(examples) / max(elapsed, 1e-9), 1)
    rep["ece"] = ece(probs, y_true)
    rep["model"] = clf.name
    if as_json:
        sys.stdout.write(json.dumps(rep) + "\n")
        return
    typer.echo(f"model {clf.name} on {data}")
    typer.echo(format_report(rep))
    typer.echo(f"ECE {rep['ece']:.4f}   {rep['texts_per_second']:.1f} texts/s")


def _probabilities(clf: Any, inputs: list[Any]) -> Any:
    """(n, 4) probabilities from any Classifier: its own batch method, else its scores."""
    import numpy as np

    from monitor.models import LABELS

    if hasattr(clf, "probabilities"):
        return clf.probabilities(inputs)
    return np.array([[c.scores.get(lab.value, 0.0) for lab in LABELS]
                     for c in clf.classify(inputs)])
