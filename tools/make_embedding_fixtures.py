#!/usr/bin/env python3
"""Generate the two small ONNX models with an embedding output used by the embedding-drift tests.

Run with Debian's python (python3-onnx, python3-numpy; no torch needed):

    /usr/bin/python3 tools/make_embedding_fixtures.py

Writes (committed; CI needs no Python):

- ``test/fixtures/drift/tiny_transformer.onnx``: a one-layer, one-head transformer encoder
  built with ``onnx.helper`` from seeded random weights (it is not trained: the tests watch its
  representation of the tokens, not its accuracy). Input ``tokens`` INT64 [batch, 16] (ids in
  0..63); token embedding (64 × 16) plus a sinusoidal position code; scaled dot-product
  self-attention (Q, K, V, output projections) with a residual; a ReLU feed-forward block (16 →
  32 → 16) with a residual; mean-pooled over the sequence to the output ``embedding`` FP32
  [batch, 16]; a linear head and softmax to ``probabilities`` FP32 [batch, 4].
- ``test/fixtures/drift/digits_mlp_embedding.onnx``: examples/models/digits_mlp's graph with its
  hidden layer (the 64-unit ReLU before the last Gemm) exported as a second output
  ``embedding`` FP32 [batch, 64], beside ``probabilities``.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = "test/fixtures/drift"
VOCAB, SEQ, D, FF, CLASSES = 64, 16, 16, 32, 4


def tiny_transformer():
    rng = np.random.default_rng(20261201)
    w = lambda *shape: (rng.normal(size=shape) / np.sqrt(shape[0])).astype(np.float32)
    pos = np.array([[np.sin(p / 10000 ** (i / D)) if i % 2 == 0 else np.cos(p / 10000 ** ((i - 1) / D))
                     for i in range(D)] for p in range(SEQ)], dtype=np.float32)
    inits = {
        "E": (rng.normal(size=(VOCAB, D))).astype(np.float32), "P": pos,
        "Wq": w(D, D), "Wk": w(D, D), "Wv": w(D, D), "Wo": w(D, D),
        "W1": w(D, FF), "b1": np.zeros(FF, np.float32), "W2": w(FF, D), "b2": np.zeros(D, np.float32),
        "Wh": w(D, CLASSES), "bh": np.zeros(CLASSES, np.float32),
        "scale": np.array(1 / np.sqrt(D), np.float32), "axes1": np.array([1], np.int64),
    }
    n = helper.make_node
    nodes = [
        n("Gather", ["E", "tokens"], ["tok"]),                 # [b, s, d]
        n("Add", ["tok", "P"], ["x0"]),
        n("MatMul", ["x0", "Wq"], ["q"]), n("MatMul", ["x0", "Wk"], ["k"]), n("MatMul", ["x0", "Wv"], ["v"]),
        n("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        n("MatMul", ["q", "kt"], ["scores0"]), n("Mul", ["scores0", "scale"], ["scores"]),
        n("Softmax", ["scores"], ["attn"], axis=-1),
        n("MatMul", ["attn", "v"], ["ctx"]), n("MatMul", ["ctx", "Wo"], ["att_out"]),
        n("Add", ["x0", "att_out"], ["x1"]),
        n("MatMul", ["x1", "W1"], ["h0"]), n("Add", ["h0", "b1"], ["h1"]), n("Relu", ["h1"], ["h2"]),
        n("MatMul", ["h2", "W2"], ["f0"]), n("Add", ["f0", "b2"], ["f1"]), n("Add", ["x1", "f1"], ["x2"]),
        n("ReduceMean", ["x2"], ["embedding"], axes=[1], keepdims=0),   # opset 13: axes attribute
        n("MatMul", ["embedding", "Wh"], ["logits0"]), n("Add", ["logits0", "bh"], ["logits"]),
        n("Softmax", ["logits"], ["probabilities"], axis=-1),
    ]
    del inits["axes1"]
    graph = helper.make_graph(
        nodes, "tiny_transformer",
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, ["batch", SEQ])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", D]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", CLASSES])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="mlmesh make_embedding_fixtures")
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, "tiny_transformer.onnx"))


def digits_embedding():
    m = onnx.load("examples/models/digits_mlp/1/model.onnx")
    relu = next(node for node in m.graph.node if node.op_type == "Relu")
    m.graph.node.append(helper.make_node("Identity", [relu.output[0]], ["embedding"]))
    m.graph.output.append(helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 64]))
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, "digits_mlp_embedding.onnx"))


def main():
    os.makedirs(OUT, exist_ok=True)
    tiny_transformer()
    digits_embedding()
    print("wrote", OUT + "/tiny_transformer.onnx", "and", OUT + "/digits_mlp_embedding.onnx")


if __name__ == "__main__":
    main()
