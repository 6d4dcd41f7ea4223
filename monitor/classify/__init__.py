"""The mention classifier: complaint, question, praise or other, with confidence and reasons."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.classify.base import Classifier, ClassifierInput
from monitor.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from monitor.config import Settings

logger = logging.getLogger(__name__)

__all__ = ["Classifier", "ClassifierInput", "build_classifier", "resolve_artifact"]


def resolve_artifact(settings: Settings) -> Path:
    """Where the builtin model's trained artifact is, by precedence:
    1. `classifier.artifact` when set (it must hold one),
    2. the newest model trained into `<data_dir>/model` by `brand-monitor model train`,
    3. the default artifact packaged in monitor/classify/artifacts.
    """
    from monitor.classify.artifact import PACKAGED_DIR, find_artifact

    configured = settings.classifier.artifact
    if configured is not None:
        found = find_artifact(Path(configured))
        if found is None:
            raise ModelError(f"classifier.artifact: no trained model in {configured}")
        return found
    for candidate in (settings.data_dir / "model", PACKAGED_DIR):
        found = find_artifact(candidate)
        if found is not None:
            return found
    raise ModelError("no trained classifier: run `brand-monitor model train`")


def build_classifier(settings: Settings, *, explain: bool = True) -> Classifier:
    """The classifier the settings configure; the builtin model loads on first use and never
    touches the network. `explain=False` skips the reasons (for evaluation)."""
    cfg = settings.classifier
    options: dict[str, Any] = {"batch_size": cfg.batch_size, "uncertain_below": cfg.uncertain_below,
                               "explain": explain}
    if cfg.kind == "head":
        if cfg.model != "builtin":
            raise ConfigError(
                "kind 'head' runs the builtin model only; for a Hugging Face model id set "
                "classifier.kind to 'sequence-classification' or 'zero-shot'",
                key="classifier.model",
            )
        from monitor.classify.builtin import BuiltinClassifier

        if cfg.quantize:
            logger.warning("classifier.quantize is ignored: the builtin model runs in fp32 on "
                           "ONNX Runtime (int8 lost accuracy; see monitor/classify/MODEL.md)")
        return BuiltinClassifier.from_artifact(resolve_artifact(settings), **options)
    if cfg.model == "builtin":
        raise ConfigError(f"kind {cfg.kind!r} needs a Hugging Face model id or a local model "
                          "folder", key="classifier.model")
    from monitor.classify.hub import SequenceClassifier, ZeroShotClassifier

    if cfg.kind == "sequence-classification":
        return SequenceClassifier(cfg.model, **options)
    return ZeroShotClassifier(cfg.model, **options)
