"""Trained-model artifacts: a versioned folder with the changed weights and a metadata JSON."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from monitor.classify.model import MentionModel, encoder_dir, load_pretrained
from monitor.errors import ModelError

logger = logging.getLogger(__name__)

FORMAT = 1
WEIGHTS = "weights.safetensors"
METADATA = "metadata.json"
CURRENT = "current.json"  # {"version": "<folder>"} in a folder holding several versions
PACKAGED_DIR = Path(__file__).resolve().parent / "artifacts"


def save_artifact(model: MentionModel, *, root: Path, metadata: dict[str, Any]) -> Path:
    """Write `root/<version>/` (weights + metadata) and point `root/current.json` at it.

    Encoder layers are stored in fp16 (halves the size; the round trip is part of what
    `model train` evaluates), the head and rating bias in fp32.
    """
    version = str(metadata["version"])
    out = root / version
    out.mkdir(parents=True, exist_ok=True)
    state = {
        k: (v.to(torch.float16) if _half(k) else v.float()).contiguous()
        for k, v in model.trained_state().items()
    }
    save_file(state, str(out / WEIGHTS))
    (out / WEIGHTS).chmod(0o644)
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
    if meta.get("format") != FORMAT:
        raise ModelError(f"{path}: artifact format {meta.get('format')!r}, expected {FORMAT}")
    return meta


def load_artifact(path: Path) -> tuple[Any, MentionModel, dict[str, Any]]:
    """(tokenizer, model in eval mode, metadata) for an artifact folder."""
    found = find_artifact(path)
    if found is None:
        raise ModelError(f"no trained model in {path} (run `brand-monitor model train`)")
    meta = read_metadata(found)
    tokenizer, encoder = load_pretrained(encoder_dir())
    model = MentionModel(encoder, trainable_layers=int(meta["trainable_layers"]),
                         lora_rank=int(meta.get("lora_rank", 0)),
                         lora_alpha=float(meta.get("lora_alpha", 16.0)))
    try:
        state = load_file(str(found / WEIGHTS))
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read {found / WEIGHTS}: {e}") from e
    expected = set(model.trained_state())
    if set(state) != expected:
        raise ModelError(f"{found}: weights do not match the model (artifact damaged?)")
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    model.merge_adapters()
    model.eval()
    return tokenizer, model, meta


def size_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
