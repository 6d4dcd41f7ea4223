"""Seeded training of the builtin model: fine-tune the top encoder layers, calibrate, evaluate."""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from monitor.classify.artifact import save_artifact
from monitor.classify.calibrate import fit_calibration
from monitor.classify.dataset import Example, data_hash, stratified_split
from monitor.classify.metrics import ece, report
from monitor.classify.model import (
    ENCODER_NAME,
    MentionModel,
    encoder_dir,
    load_pretrained,
    quantize,
)
from monitor.classify.model import rating_index as _rating_index
from monitor.classify.text import normalize
from monitor.errors import ModelError
from monitor.models import LABELS

logger = logging.getLogger(__name__)
_INDEX = {label: i for i, label in enumerate(LABELS)}


@dataclass(frozen=True, slots=True)
class TrainConfig:
    seed: int = 13
    trainable_layers: int = 4
    epochs: int = 4
    batch_size: int = 32
    lr: float = 1e-4  # trained encoder layers
    head_lr: float = 2e-3  # classification head
    weight_decay: float = 0.01
    dropout: float = 0.1
    rating_l2: float = 1.0  # prior pulling the rating biases (fit after training) to zero
    label_smoothing: float = 0.05
    max_length: int = 256
    lora_rank: int = 0  # adapters on the layers below the fully trained ones; 0 = none
    lora_alpha: float = 16.0
    lora_lr: float = 1e-3
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)  # train, calibration, test
    threads: int = 2
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Encoded:
    hidden: list[torch.Tensor]  # per example (tokens, hidden) entering the first trained layer
    ratings: torch.Tensor
    labels: torch.Tensor


@contextmanager
def _reproducible(seed: int, threads: int) -> Iterator[None]:
    """Seed every generator and pin threads and deterministic kernels for the duration;
    torch's global thread and determinism settings are restored afterwards."""
    saved = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
             torch.is_deterministic_algorithms_warn_only_enabled())
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, threads))
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(saved[0])
        torch.use_deterministic_algorithms(saved[1], warn_only=saved[2])


def _encode(model: MentionModel, tokenizer: Any, examples: Sequence[Example], *,
            max_length: int, device: str, batch_size: int = 64) -> Encoded:
    """Run the frozen bottom of the encoder once over every example."""
    texts = [normalize(ex.text) for ex in examples]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    hidden: list[torch.Tensor | None] = [None] * len(texts)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                        max_length=max_length, return_tensors="pt").to(device)
        h = model.lower(enc["input_ids"], enc["attention_mask"])
        lengths = enc["attention_mask"].sum(1).tolist()
        for j, i in enumerate(idx):
            hidden[i] = h[j, : int(lengths[j])].detach()
    return Encoded(
        hidden=[h for h in hidden if h is not None],
        ratings=torch.tensor([_rating_index(ex.rating) for ex in examples], dtype=torch.long),
        labels=torch.tensor([_INDEX[ex.label] for ex in examples], dtype=torch.long),
    )


def _pad(hidden: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(h.shape[0] for h in hidden)
    out = hidden[0].new_zeros((len(hidden), longest, hidden[0].shape[1]))
    mask = torch.zeros((len(hidden), longest), dtype=torch.long, device=hidden[0].device)
    for i, h in enumerate(hidden):
        out[i, : h.shape[0]] = h
        mask[i, : h.shape[0]] = 1
    return out, mask


@torch.no_grad()
def _logits(model: MentionModel, data: Encoded, idx: np.ndarray, *, batch_size: int = 64,
            ratings: bool = True) -> torch.Tensor:
    model.eval()
    parts = []
    for start in range(0, len(idx), batch_size):
        sel = idx[start:start + batch_size].tolist()
        hidden, mask = _pad([data.hidden[i] for i in sel])
        r = data.ratings[sel].to(hidden.device) if ratings else torch.zeros(
            len(sel), dtype=torch.long, device=hidden.device)
        parts.append(model.logits(model.upper(hidden, mask), r).float().cpu())
    return torch.cat(parts) if parts else torch.zeros((0, len(LABELS)))


def _fit(model: MentionModel, data: Encoded, idx: np.ndarray, cfg: TrainConfig) -> list[float]:
    """Fine-tune on the text alone; the rating biases are fit afterwards on held-out data."""
    model.freeze_bottom()
    model.rating.weight.requires_grad = False
    rng = np.random.default_rng(cfg.seed)
    counts = np.bincount(data.labels[idx].numpy(), minlength=len(LABELS)).astype(float)
    weights = torch.tensor(counts.sum() / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float)
    loss_fn = nn.CrossEntropyLoss(weight=weights.to(cfg.device),
                                  label_smoothing=cfg.label_smoothing)
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    layers = [p for n, p in trained if n.startswith("encoder.") and ".lora_" not in n]
    adapters = [p for n, p in trained if ".lora_" in n]
    heads = [p for n, p in trained if not n.startswith("encoder.")]
    groups = [{"params": layers, "lr": cfg.lr}, {"params": adapters, "lr": cfg.lora_lr},
              {"params": heads, "lr": cfg.head_lr}]
    opt = torch.optim.AdamW([g for g in groups if g["params"]], weight_decay=cfg.weight_decay)
    steps = cfg.epochs * int(np.ceil(len(idx) / cfg.batch_size))
    warmup = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    losses = []
    for epoch in range(cfg.epochs):
        model.train()
        perm = idx[rng.permutation(len(idx))]
        total = 0.0
        for start in range(0, len(perm), cfg.batch_size):
            sel = perm[start:start + cfg.batch_size].tolist()
            hidden, mask = _pad([data.hidden[i] for i in sel])
            no_rating = torch.zeros(len(sel), dtype=torch.long, device=cfg.device)
            logits = model.logits(model.upper(hidden, mask), no_rating)
            loss = loss_fn(logits, data.labels[sel].to(cfg.device))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_([*layers, *adapters, *heads], 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(sel)
        losses.append(round(total / len(perm), 4))
        logger.info("epoch %d/%d loss %.4f", epoch + 1, cfg.epochs, losses[-1])
    model.eval()
    return losses


def _round_to_fp16(model: MentionModel) -> None:
    """Make the in-memory weights exactly what the artifact stores (fp16 encoder layers)."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.requires_grad and name.startswith("encoder.") and ".lora_" not in name:
                param.copy_(param.half().float())


def _evaluate(text_logits: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor,
              temperature: float) -> dict[str, Any]:
    """Report of the final (rating-aware, calibrated) decisions; ECE of the raw text-only
    softmax ("before") and of the shipped probabilities ("after")."""
    y = labels.numpy()
    raw = torch.softmax(text_logits, 1).numpy()
    final = torch.softmax(logits / temperature, 1).numpy()
    rep = report(y, final.argmax(1))
    rep["ece_before"] = ece(raw, y)
    rep["ece_after"] = ece(final, y)
    rep["macro_f1_without_rating"] = report(y, raw.argmax(1))["macro_f1"]
    return rep


def _evaluate_int8(model: MentionModel, tokenizer: Any, examples: Sequence[Example],
                   labels: torch.Tensor, cfg: TrainConfig, temperature: float) -> dict[str, Any]:
    """The same test split through a dynamically int8-quantized copy, from the raw text."""
    qmodel = quantize(copy.deepcopy(model))
    logits = predict_logits(qmodel, tokenizer, examples, max_length=cfg.max_length)
    probs = torch.softmax(logits / temperature, 1).numpy()
    y = labels.numpy()
    return {"macro_f1": report(y, probs.argmax(1))["macro_f1"], "ece": ece(probs, y)}


def predict_logits(model: Any, tokenizer: Any, examples: Sequence[Example], *,
                   max_length: int, device: str = "cpu") -> torch.Tensor:
    """Uncalibrated logits for examples (their ratings included), in order."""
    model.to(device)
    data = _encode(model, tokenizer, examples, max_length=max_length, device=device)
    return _logits(model, data, np.arange(len(examples)))


def train(examples: Sequence[Example], *, out_root: Path, config: TrainConfig | None = None,
          extra_train: Sequence[Example] = (), data_files: Sequence[str] = ()) -> Path:
    """Train (see `train_model`) and save a versioned artifact under `out_root`."""
    model, _, meta = train_model(examples, config=config, extra_train=extra_train,
                                 data_files=data_files)
    return save_artifact(model, root=out_root, metadata=meta)


def train_model(examples: Sequence[Example], *, config: TrainConfig | None = None,
                extra_train: Sequence[Example] = (), data_files: Sequence[str] = ()
                ) -> tuple[MentionModel, Any, dict[str, Any]]:
    """Train on a seeded stratified split of `examples` (plus `extra_train`, e.g. Slack
    feedback, in the training part only), fit the temperature and rating biases on the
    calibration part and evaluate on the test part. Returns (model, tokenizer, metadata)."""
    cfg = config or TrainConfig()
    with _reproducible(cfg.seed, cfg.threads):
        return _train_model(examples, cfg=cfg, extra_train=extra_train, data_files=data_files)


def _train_model(examples: Sequence[Example], *, cfg: TrainConfig,
                 extra_train: Sequence[Example], data_files: Sequence[str]
                 ) -> tuple[MentionModel, Any, dict[str, Any]]:
    began = time.perf_counter()
    all_examples = [*examples, *extra_train]
    if len({ex.label for ex in examples}) < 2:
        raise ModelError("training data needs examples of at least two labels")
    tr, cal, te = stratified_split([ex.label for ex in examples], fractions=cfg.split,
                                   seed=cfg.seed)
    tr = np.concatenate([tr, np.arange(len(examples), len(all_examples))]).astype(int)
    tokenizer, encoder = load_pretrained(encoder_dir())
    model = MentionModel(encoder, trainable_layers=cfg.trainable_layers, dropout=cfg.dropout,
                         lora_rank=cfg.lora_rank, lora_alpha=cfg.lora_alpha)
    model.to(cfg.device)
    data = _encode(model, tokenizer, all_examples, max_length=cfg.max_length, device=cfg.device)
    losses = _fit(model, data, tr, cfg)
    model.cpu()
    data.hidden = [h.cpu() for h in data.hidden]
    data.ratings, data.labels = data.ratings.cpu(), data.labels.cpu()
    _round_to_fp16(model)
    temperature, bias = fit_calibration(_logits(model, data, cal, ratings=False),
                                        data.ratings[cal], data.labels[cal],
                                        rating_l2=cfg.rating_l2)
    with torch.no_grad():
        model.rating.weight.copy_(bias * temperature)  # logits / T then carry bias exactly
    metrics: dict[str, Any] = {
        "train_loss": losses,
        "temperature": round(temperature, 4),
        "rating_bias": [[round(float(v), 3) for v in row] for row in bias],
    }
    if len(te):
        metrics["test"] = _evaluate(_logits(model, data, te, ratings=False),
                                    _logits(model, data, te), data.labels[te], temperature)
        metrics["test_int8"] = _evaluate_int8(model, tokenizer, [all_examples[i] for i in te],
                                              data.labels[te], cfg, temperature)
    digest = data_hash(all_examples)
    lora = f"-lora{cfg.lora_rank}" if cfg.lora_rank else ""
    version = f"minilm-top{cfg.trainable_layers}{lora}-{digest[:10]}-s{cfg.seed}"
    meta = {
        "version": version,
        "encoder": ENCODER_NAME,
        "trainable_layers": cfg.trainable_layers,
        "lora_rank": cfg.lora_rank,
        "lora_alpha": cfg.lora_alpha,
        "max_length": cfg.max_length,
        "temperature": round(temperature, 6),
        "labels": [label.value for label in LABELS],
        "seed": cfg.seed,
        "data_hash": digest,
        "data_files": list(data_files),
        "n": {"train": len(tr), "calibration": len(cal), "test": len(te),
              "feedback": len(extra_train)},
        "config": {k: v for k, v in asdict(cfg).items() if k not in {"device", "extra"}},
        "metrics": metrics,
        "train_seconds": round(time.perf_counter() - began, 1),
        "torch": torch.__version__,
    }
    return model, tokenizer, meta
