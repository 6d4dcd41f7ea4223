"""Write the encoder's ONNX graph at training time: structure only, its weights filled at load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.errors import ModelError

MS = "com.microsoft"  # ONNX Runtime's fused transformer operators


def build_graph(config: dict[str, Any]) -> Any:
    """A BERT encoder for a Hugging Face BERT config: input_ids, attention_mask (int32) ->
    the last hidden states, and the embedding layer's output (for the cue head). Built from
    ONNX Runtime's fused operators (EmbedLayerNormalization, Attention,
    SkipLayerNormalization, BiasGelu), as its own transformer optimizer would produce. Every
    initializer is declared external: `engine.Encoder` supplies the arrays when it loads."""
    try:
        from onnx import TensorProto
        from onnx import helper as oh
    except ImportError as e:
        raise ModelError("exporting the encoder needs the onnx package (pip install onnx)") from e
    if config.get("hidden_act", "gelu") != "gelu":
        raise ModelError(f"unsupported activation {config.get('hidden_act')!r}")
    hidden, inter = int(config["hidden_size"]), int(config["intermediate_size"])
    heads, eps = int(config["num_attention_heads"]), float(config.get("layer_norm_eps", 1e-12))
    nodes: list[Any] = []
    inits: list[Any] = []

    def w(name: str, *shape: int) -> str:
        t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(shape))
        t.data_location = TensorProto.EXTERNAL
        entry = t.external_data.add()
        entry.key, entry.value = "location", "supplied-at-load"
        inits.append(t)
        return name

    def node(op: str, inputs: list[str], out: str, *, ms: bool = False, **attrs: Any) -> str:
        nodes.append(oh.make_node(op, inputs, [out], name=out, domain=MS if ms else "", **attrs))
        return out

    x = node("EmbedLayerNormalization",
             ["input_ids", "", w("word", int(config["vocab_size"]), hidden),
              w("pos", int(config["max_position_embeddings"]), hidden), "",
              w("emb_g", hidden), w("emb_b", hidden), "attention_mask"],
             "emb", ms=True, epsilon=eps)
    # EmbedLayerNormalization's second output is the mask index the Attention nodes take
    nodes[-1].output.append("mask_index")
    for i in range(int(config["num_hidden_layers"])):
        p = f"l{i}."
        attn = node("Attention", [x, w(p + "qkv_w", hidden, 3 * hidden),
                                  w(p + "qkv_b", 3 * hidden), "mask_index"],
                    p + "attn", ms=True, num_heads=heads)
        dense = node("MatMul", [attn, w(p + "o_w", hidden, hidden)], p + "o")
        h1 = node("SkipLayerNormalization", [dense, x, w(p + "ln1_g", hidden),
                                             w(p + "ln1_b", hidden), w(p + "o_b", hidden)],
                  p + "h1", ms=True, epsilon=eps)
        up = node("MatMul", [h1, w(p + "i_w", hidden, inter)], p + "i")
        act = node("BiasGelu", [up, w(p + "i_b", inter)], p + "gelu", ms=True)
        down = node("MatMul", [act, w(p + "out_w", inter, hidden)], p + "out")
        x = node("SkipLayerNormalization", [down, h1, w(p + "ln2_g", hidden),
                                            w(p + "ln2_b", hidden), w(p + "out_b", hidden)],
                 p + "h2", ms=True, epsilon=eps)
    nodes.append(oh.make_node("Identity", [x], ["hidden"], name="hidden"))
    graph = oh.make_graph(
        nodes, "minilm-encoder",
        [oh.make_tensor_value_info("input_ids", TensorProto.INT32, ["batch", "tokens"]),
         oh.make_tensor_value_info("attention_mask", TensorProto.INT32, ["batch", "tokens"])],
        [oh.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", hidden]),
         oh.make_tensor_value_info("emb", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        inits,
    )
    return oh.make_model(graph, producer_name="brand-monitor",
                         opset_imports=[oh.make_opsetid("", 17), oh.make_opsetid(MS, 1)])


def graph_bytes(folder: Path) -> bytes:
    """The serialized graph for the encoder in `folder` (its config.json), a few kB."""
    import json

    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read {folder / 'config.json'}: {e}") from e
    return bytes(build_graph(config).SerializeToString())
