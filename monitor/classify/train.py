"""Seeded training of the builtin model: fine-tune the top encoder layers, calibrate, evaluate."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from monitor.classify import features
from monitor.classify.artifact import save_artifact
from monitor.classify.calibrate import fit_calibration
from monitor.classify.dataset import Example, data_hash, stratified_split
from monitor.classify.features import Encoded
from monitor.classify.metrics import ece, report
from monitor.classify.model import ENCODER_NAME, MentionModel, encoder_dir, load_pretrained
from monitor.classify.progress import Progress
from monitor.classify.projection import (
    Teacher,
    agreement,
    fit_projection,
    label_agreement,
    pooled_many,
)
from monitor.errors import ModelError
from monitor.models import LABELS

logger = logging.getLogger(__name__)


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


def _fit(model: MentionModel, data: Encoded, idx: np.ndarray, cfg: TrainConfig, *,
         held_out: np.ndarray, progress: Progress) -> tuple[list[float], list[float]]:
    """Fine-tune on the text alone; the rating biases are fit afterwards on held-out data.
    Returns the loss and the held-out macro-F1 (text only) of each epoch."""
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
    # the fused kernel updates every tensor in one call: a fifth of a step's time otherwise
    opt = torch.optim.AdamW([g for g in groups if g["params"]], weight_decay=cfg.weight_decay,
                            fused=True)
    per_epoch = -(-len(idx) // cfg.batch_size)
    steps = cfg.epochs * per_epoch
    warmup = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    losses: list[float] = []
    f1s: list[float] = []
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        total, seen = 0.0, 0
        epoch_batches = features.batches(idx, cfg.batch_size, rng)
        for step, sel in enumerate(epoch_batches, start=1):
            pooled = model.upper_packed([data.hidden[i] for i in sel.tolist()])
            no_rating = torch.zeros(len(sel), dtype=torch.long, device=cfg.device)
            out = model.logits(pooled, no_rating)
            loss = loss_fn(out, data.labels[sel].to(cfg.device))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_([*layers, *adapters, *heads], 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(sel)
            seen += len(sel)
            progress.step(epoch, step, total / seen)
        losses.append(round(total / max(seen, 1), 4))
        f1 = None
        if len(held_out):
            pred = features.logits(model, data, held_out, ratings=False).argmax(1)
            f1 = report(data.labels[held_out].numpy(), pred.numpy())["macro_f1"]
            f1s.append(f1)
        progress.epoch(epoch, losses[-1], f1)
    model.eval()
    return losses, f1s


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


def train(examples: Sequence[Example], *, out_root: Path, config: TrainConfig | None = None,
          extra_train: Sequence[Example] = (), data_files: Sequence[str] = (),
          emit: Callable[[str], None] | None = None) -> Path:
    """Train (see `train_model`) and save a versioned artifact under `out_root`: the changed
    tensors, the retrieval projection and the encoder's ONNX graph (exported here)."""
    from monitor.classify.export import graph_bytes

    model, heads, meta = train_model(examples, config=config, extra_train=extra_train,
                                     data_files=data_files, emit=emit)
    state = {k: v.float().numpy() for k, v in model.trained_state().items()}
    state.update(heads)
    return save_artifact(state, root=out_root, metadata=meta, graph=graph_bytes(encoder_dir()))


def train_model(examples: Sequence[Example], *, config: TrainConfig | None = None,
                extra_train: Sequence[Example] = (), data_files: Sequence[str] = (),
                emit: Callable[[str], None] | None = None
                ) -> tuple[MentionModel, dict[str, np.ndarray], dict[str, Any]]:
    """Train on a seeded stratified split of `examples` (plus `extra_train`, e.g. Slack
    feedback, in the training part only), fit the temperature and rating biases on the
    calibration part, fit the retrieval projection and the cue head on the training part and
    evaluate on the test part. Progress lines go to `emit` (default: the log). Returns (model,
    the two linear maps by artifact name, metadata)."""
    cfg = config or TrainConfig()
    if cfg.lora_rank:
        raise ModelError("LoRA adapters are not supported by the inference engine")
    with _reproducible(cfg.seed, cfg.threads):
        return _train_model(examples, cfg=cfg, extra_train=extra_train, data_files=data_files,
                            emit=emit)


def _train_model(examples: Sequence[Example], *, cfg: TrainConfig,
                 extra_train: Sequence[Example], data_files: Sequence[str],
                 emit: Callable[[str], None] | None
                 ) -> tuple[MentionModel, dict[str, np.ndarray], dict[str, Any]]:
    began, began_cpu = time.perf_counter(), time.process_time()
    all_examples = [*examples, *extra_train]
    if len({ex.label for ex in examples}) < 2:
        raise ModelError("training data needs examples of at least two labels")
    tr, cal, te = stratified_split([ex.label for ex in examples], fractions=cfg.split,
                                   seed=cfg.seed)
    tr = np.concatenate([tr, np.arange(len(examples), len(all_examples))]).astype(int)
    per_epoch = -(-len(tr) // cfg.batch_size)
    progress = Progress(epochs=cfg.epochs, steps_per_epoch=per_epoch, emit=emit)
    progress.phase(f"{len(tr)} training examples ({len(extra_train)} from feedback), "
                   f"{len(cal)} calibration, {len(te)} test; {cfg.epochs} epochs of "
                   f"{per_epoch} steps, {cfg.threads} threads")
    tokenizer, encoder = load_pretrained(encoder_dir())
    model = MentionModel(encoder, trainable_layers=cfg.trainable_layers, dropout=cfg.dropout)
    model.to(cfg.device)
    teacher = Teacher(model)  # the packaged top layers, before training changes them
    progress.phase(f"encoding {len(all_examples)} texts with the frozen bottom layers")
    data = features.encode(model, tokenizer, all_examples, max_length=cfg.max_length,
                           device=cfg.device)
    fit_idx = np.concatenate([tr, te])
    progress.phase("sentence embeddings of the packaged encoder (for retrieval)")
    target = pooled_many(teacher.pooled, [data.hidden[i] for i in fit_idx])
    del teacher
    losses, f1s = _fit(model, data, tr, cfg, held_out=cal, progress=progress)
    model.cpu()
    data.hidden = [h.cpu() for h in data.hidden]
    data.ratings, data.labels = data.ratings.cpu(), data.labels.cpu()
    _round_to_fp16(model)
    progress.phase("calibrating; fitting the retrieval projection and the cue head")
    temperature, bias = fit_calibration(features.logits(model, data, cal, ratings=False),
                                        data.ratings[cal], data.labels[cal],
                                        rating_l2=cfg.rating_l2)
    with torch.no_grad():
        model.rating.weight.copy_(bias * temperature)  # logits / T then carry bias exactly
    pooled = pooled_many(model.upper_packed, [data.hidden[i] for i in fit_idx])
    projection = fit_projection(pooled[:len(tr)], target[:len(tr)])
    # the cue head: the model's text logits read back from the words alone (explain.py)
    text_logits = _head(model, pooled)
    lexical = data.lexical[fit_idx].numpy()
    cues = fit_projection(lexical[:len(tr)], text_logits[:len(tr)])
    metrics: dict[str, Any] = {
        "train_loss": losses,
        "held_out_f1_per_epoch": f1s,
        "temperature": round(temperature, 4),
        "rating_bias": [[round(float(v), 3) for v in row] for row in bias],
        "retrieval_cosine_train": round(agreement(pooled[:len(tr)], target[:len(tr)],
                                                  projection), 4),
        "cue_head_agreement_train": label_agreement(lexical[:len(tr)], text_logits[:len(tr)],
                                                    cues),
    }
    if len(te):
        metrics["retrieval_cosine_test"] = round(agreement(pooled[len(tr):], target[len(tr):],
                                                           projection), 4)
        metrics["cue_head_agreement_test"] = label_agreement(
            lexical[len(tr):], text_logits[len(tr):], cues)
        metrics["test"] = _evaluate(features.logits(model, data, te, ratings=False),
                                    features.logits(model, data, te), data.labels[te],
                                    temperature)
    digest = data_hash(all_examples)
    version = f"minilm-top{cfg.trainable_layers}-{digest[:10]}-s{cfg.seed}"
    meta = {
        "version": version,
        "encoder": ENCODER_NAME,
        "trainable_layers": cfg.trainable_layers,
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
        "train_cpu_seconds": round(time.process_time() - began_cpu, 1),
        "torch": torch.__version__,
    }
    progress.phase(f"done in {meta['train_seconds']}s ({meta['train_cpu_seconds']}s of CPU)")
    return model, {"retrieval.weight": projection, "cues.weight": cues}, meta


def _head(model: MentionModel, pooled: np.ndarray) -> np.ndarray:
    """Text-only logits (no rating) of pooled states."""
    with torch.no_grad():
        return model.head(torch.from_numpy(pooled)).numpy()
