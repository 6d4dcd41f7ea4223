"""Trained-model artifacts: a versioned folder with the changed weights and a metadata JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from monitor.classify.engine import GRAPH
from monitor.errors import ModelError

logger = logging.getLogger(__name__)

FORMAT = 2  # 2: + the encoder graph and the retrieval projection; 1 still loads (no projection)
FORMATS = (1, 2)
WEIGHTS = "weights.safetensors"
METADATA = "metadata.json"
CURRENT = "current.json"  # {"version": "<folder>"} in a folder holding several versions
PACKAGED_DIR = Path(__file__).resolve().parent / "artifacts"


def save_artifact(state: Mapping[str, np.ndarray], *, root: Path, metadata: dict[str, Any],
                  graph: bytes | None = None) -> Path:
    """Write `root/<version>/` (weights, metadata, the encoder graph) and point
    `root/current.json` at it.

    `state` holds the tensors training changed, named like the torch model's parameters.
    Encoder layers are stored in fp16 (halves the size; the round trip is part of what
    `model train` evaluates), the head, rating bias and retrieval projection in fp32.
    """
    version = str(metadata["version"])
    out = root / version
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: np.ascontiguousarray(v, dtype=np.float16 if _half(k) else np.float32)
               for k, v in state.items()}
    save_file(tensors, str(out / WEIGHTS))
    (out / WEIGHTS).chmod(0o644)
    if graph is not None:
        (out / GRAPH).write_bytes(graph)
        (out / GRAPH).chmod(0o644)
    meta = {"format": FORMAT, **metadata}
    (out / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (root / CURRENT).write_text(json.dumps({"version": version}) + "\n", encoding="utf-8")
    logger.info("wrote model artifact %s", out)
    return out


def _half(name: str) -> bool:
    """Fully fine-tuned encoder weights are stored in fp16; adapters and head in fp32."""
    return name.startswith("encoder.") and ".lora_" not in name


def find_artifact(path: Path) -> Path | None:
    """The artifact folder `path` designates: itself, the one its current.json names, or the
    newest versioned folder inside it; None when there is none."""
    if (path / METADATA).is_file():
        return path
    current = path / CURRENT
    if current.is_file():
        try:
            version = json.loads(current.read_text(encoding="utf-8"))["version"]
        except (ValueError, KeyError, TypeError) as e:
            raise ModelError(f"{current} is not valid: {e}") from e
        if (path / version / METADATA).is_file():
            return path / version
    if not path.is_dir():
        return None
    found = [p for p in path.iterdir() if (p / METADATA).is_file()]
    return max(found, key=lambda p: (p / METADATA).stat().st_mtime) if found else None


def read_metadata(path: Path) -> dict[str, Any]:
    try:
        meta: dict[str, Any] = json.loads((path / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read {path / METADATA}: {e}") from e
    if meta.get("format") not in FORMATS:
        raise ModelError(f"{path}: artifact format {meta.get('format')!r}, expected one of "
                         f"{', '.join(map(str, FORMATS))}")
    return meta


def load_tensors(path: Path) -> tuple[Path, dict[str, Any], dict[str, np.ndarray]]:
    """(artifact folder, metadata, the head's tensors in fp32) for an artifact folder or a root
    holding one. Names are the torch model's (`head.weight`, `rating.weight`…); the encoder
    layers (`encoder.encoder.layer.N…`) are checked, not returned."""
    found = find_artifact(path)
    if found is None:
        raise ModelError(f"no trained model in {path} (run `brand-monitor model train`)")
    meta = read_metadata(found)
    try:
        state = load_file(str(found / WEIGHTS))
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read {found / WEIGHTS}: {e}") from e
    if not {"head.weight", "head.bias", "rating.weight"} <= set(state):
        raise ModelError(f"{found}: weights do not match the model (artifact damaged?)")
    if any(".lora_" in k for k in state):
        raise ModelError(f"{found}: LoRA artifacts need merging; retrain without --lora")
    # the encoder layers are read again, tensor by tensor, when the encoder loads (engine.py)
    return found, meta, {k: v.astype(np.float32) for k, v in state.items()
                         if not k.startswith("encoder.")}


def graph_path(found: Path) -> Path:
    """The artifact's encoder graph; a format-1 artifact has none and uses the packaged one
    (the architecture is the same)."""
    own = found / GRAPH
    if own.is_file():
        return own
    packaged = find_artifact(PACKAGED_DIR)
    if packaged is None or not (packaged / GRAPH).is_file():
        raise ModelError(f"{found} has no {GRAPH} and the packaged model is missing")
    return packaged / GRAPH


def size_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
