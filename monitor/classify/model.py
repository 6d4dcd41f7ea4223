"""The builtin network: the packaged MiniLM encoder, its top layers fine-tuned, and a small head."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from monitor.classify.engine import encoder_dir
from monitor.classify.lora import add_lora, merge_lora
from monitor.errors import ModelError
from monitor.models import LABELS

logger = logging.getLogger(__name__)

ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
N_RATINGS = 6  # 0 = no rating, 1..5 stars


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
        """Hidden states entering the first trained layer (what training caches once): the
        embeddings and the frozen layers only, not the whole encoder."""
        hidden = self.encoder.embeddings(input_ids=input_ids)
        ext = additive_mask(attention_mask, hidden.dtype)
        for layer in self.encoder.encoder.layer[: self.first_adapted]:
            out = layer(hidden, attention_mask=ext)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    @torch.no_grad()
    def lexical(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled output of the embedding layer (words and positions, no context): what
        the cue head reads (see train.py)."""
        return mean_pool(self.encoder.embeddings(input_ids=input_ids), attention_mask)

    def upper_packed(self, hidden: Sequence[torch.Tensor]) -> torch.Tensor:
        """Mean-pooled output of the trained layers from `lower`'s states, given unpadded as
        (tokens, hidden) per example: the padding is never computed (see packed.py)."""
        from monitor.classify.packed import pooled

        return pooled(self.encoder.encoder.layer[self.first_adapted:], hidden)

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



def load_model(path: Path) -> tuple[Any, MentionModel, dict[str, Any]]:
    """(tokenizer, torch model in eval mode, metadata) for an artifact: what training
    evaluated, for checking the inference engine against it."""
    from safetensors.torch import load_file

    from monitor.classify.artifact import WEIGHTS, load_tensors

    found, meta, _ = load_tensors(path)
    tokenizer, encoder = load_pretrained(encoder_dir())
    model = MentionModel(encoder, trainable_layers=int(meta["trainable_layers"]))
    state = load_file(str(found / WEIGHTS))
    own = {k: v.float() for k, v in state.items() if k in model.trained_state()}
    model.load_state_dict(own, strict=False)
    model.eval()
    return tokenizer, model, meta
