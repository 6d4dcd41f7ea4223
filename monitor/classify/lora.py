"""Low-rank adapters (LoRA) for the encoder's Linear layers: tiny to store, merged at load."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

# The Linear layers of a BERT layer that get an adapter.
TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


class LoRALinear(nn.Module):
    """`base(x) + scale * B(A(dropout(x)))` with the base frozen; B starts at zero, so training
    starts from the pretrained function."""

    def __init__(self, base: nn.Linear, *, rank: int, alpha: float, dropout: float) -> None:
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad = False
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.scale = alpha / rank
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update = (self.dropout(x) @ self.lora_a.t()) @ self.lora_b.t()
        return self.base(x) + update * self.scale

    @torch.no_grad()
    def merged(self) -> nn.Linear:
        """The plain Linear computing the same function (no extra cost at inference)."""
        self.base.weight += (self.lora_b @ self.lora_a) * self.scale
        return self.base


def _replace(root: nn.Module, path: str, module: nn.Module) -> None:
    parent_path, _, name = path.rpartition(".")
    setattr(root.get_submodule(parent_path) if parent_path else root, name, module)


def add_lora(layers: Iterable[nn.Module], *, rank: int, alpha: float, dropout: float) -> None:
    """Wrap each target Linear of each layer in a LoRALinear, in place."""
    for layer in layers:
        for path in TARGETS:
            base = layer.get_submodule(path)
            if isinstance(base, nn.Linear):
                _replace(layer, path, LoRALinear(base, rank=rank, alpha=alpha, dropout=dropout))


def merge_lora(root: nn.Module) -> None:
    """Fold every adapter under `root` into its base weight, in place."""
    found = [(name, m) for name, m in root.named_modules() if isinstance(m, LoRALinear)]
    for name, module in found:
        _replace(root, name, module.merged())
