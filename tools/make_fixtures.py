#!/usr/bin/python3
"""Generate the small fixture models and parity data used by mlmesh.

What it produces
----------------
Model repository (Triton-style layout, one folder per model) under
``--out-models`` (default ``examples/models``)::

    <model>/config.json          mlmesh JSON flavour of Triton's model config
    <model>/1/model.onnx         the ONNX graph (opset 13, dynamic dim "batch")
    <model>/1/manifest.json      sha256 of model.onnx + provenance

Models:

* ``digits_mlp``       torch MLP 64 -> 64 (ReLU) -> 10 + softmax, trained on
                       scikit-learn's bundled ``load_digits()`` data.
                       input ``input`` FP32 [batch,64], output
                       ``probabilities`` FP32 [batch,10].
* ``digits_two_input`` torch model with two inputs of different dtypes:
                       ``features`` FP32 [batch,64] and ``ids`` INT64 [batch,1]
                       (synthetic "writer id" = original dataset row index % 16,
                       fed through nn.Embedding(16,4) and concatenated with the
                       features), then an MLP to 10 classes.  Outputs
                       ``logits`` FP32 [batch,10] and ``label`` INT64 [batch].
* ``slow_chain``       built with onnx.helper: ``x`` FP32 [batch,512] ->
                       48 x (MatMul W[512,512], Tanh) -> ``y`` FP32 [batch,512].
                       W is produced in-graph by ConstantOfShape(value=0.002),
                       so the file stays tiny; ~25 MFLOP per row.  Used for
                       concurrency / batching tests.
* ``dtypes``           built with onnx.helper: one Identity node per datatype,
                       ``in_<t>`` -> ``out_<t>``, shape [batch,4], for
                       fp32 fp64 fp16 int8 int16 int32 int64 uint8 uint16
                       uint32 uint64 bool.

Parity data (``np.save``, .npy v1.0, little-endian, C order) under
``--out-data`` (default ``test/fixtures/parity``), computed with torch in eval
mode (not with onnxruntime) on the 200 held-out rows:

* ``digits_mlp/``       inputs.npy f32[200,64], outputs.npy f32[200,10],
                        labels.npy i64[200]
* ``digits_two_input/`` features.npy f32[200,64], ids.npy i64[200,1],
                        logits.npy f32[200,10], label.npy i64[200]

With ``--wide`` it additionally writes the benchmark model ``digits_mlp_wide``
(64 -> 1024 -> 1024 -> 10 + softmax, several MB, NOT committed) into
``--wide-out`` (default ``bench/models``).  The default run does not build it.

Data: ``load_digits()`` X (1797x64, values 0..16) scaled by 1/16 to float32,
y int64, split with ``train_test_split(test_size=200, random_state=0,
stratify=y)``.  No network access is needed.

Everything is seeded and single-threaded, and manifests use a fixed
``created_at``, so reruns rewrite byte-identical files.

How to run
----------
Use Debian's Python (the packaged torch/sklearn/onnx), from the repo root::

    apt-get install python3-torch python3-sklearn python3-onnx
    /usr/bin/python3 tools/make_fixtures.py
    /usr/bin/python3 tools/make_fixtures.py --wide      # + bench model

Options: ``--out-models DIR``, ``--out-data DIR``, ``--wide``,
``--wide-out DIR``.
"""

import argparse
import hashlib
import io
import json
import os
import random
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
import sklearn
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
OPSET = 13
CREATED_AT = "2026-11-22T00:00:00Z"
PRODUCED_BY = "tools/make_fixtures.py"
BATCH = "batch"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def seed_everything(seed=SEED):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def setup_torch():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    seed_everything()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_json(path, obj):
    write_bytes(path, (json.dumps(obj, indent=2) + "\n").encode("utf-8"))


def save_npy(path, arr, dtype):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    arr = np.ascontiguousarray(np.asarray(arr, dtype=np.dtype(dtype).newbyteorder("<")))
    with open(path, "wb") as f:
        np.save(f, arr, allow_pickle=False)


def tensor_cfg(name, data_type, dims):
    return {"name": name, "data_type": data_type, "dims": list(dims)}


def make_config(name, max_batch_size, inputs, outputs, max_queue_delay_us,
                instance_count):
    return {
        "name": name,
        "platform": "onnxruntime_onnx",
        "max_batch_size": max_batch_size,
        "input": inputs,
        "output": outputs,
        "dynamic_batching": {
            "max_queue_delay_microseconds": max_queue_delay_us,
            "preferred_batch_size": [],
            "max_queue_size": 1024,
            "default_queue_timeout_microseconds": 0,
        },
        "instance_group": [{"count": instance_count, "kind": "KIND_CPU"}],
        "execution_providers": ["cpu"],
        "intra_op_threads": 1,
        "version_policy": {"latest": {"num_versions": 1}},
    }


def write_model(out_models, name, model_bytes, config, provenance):
    """Write <name>/config.json (unless config is None), <name>/1/model.onnx, <name>/1/manifest.json."""
    base = os.path.join(out_models, name)
    write_bytes(os.path.join(base, "1", "model.onnx"), model_bytes)
    manifest = {
        "format": "mlmesh.manifest/v1",
        "files": {"model.onnx": sha256_hex(model_bytes)},
        "provenance": provenance,
    }
    write_json(os.path.join(base, "1", "manifest.json"), manifest)
    if config is not None:
        write_json(os.path.join(base, "config.json"), config)
    print("  wrote %-22s model.onnx %9d bytes" % (name, len(model_bytes)))


def provenance(training_data_sha256, framework, metrics):
    return {
        "training_data_sha256": training_data_sha256,
        "parent_version": None,
        "produced_by": PRODUCED_BY,
        "framework": framework,
        "created_at": CREATED_AT,
        "metrics": metrics,
    }


def torch_framework():
    return "torch %s" % torch.__version__


def onnx_framework():
    return "onnx %s" % onnx.__version__


def export_torch(module, args, input_names, output_names):
    """Export to ONNX in memory with a dynamic "batch" dim on every io."""
    module.eval()
    dynamic_axes = {n: {0: BATCH} for n in input_names + output_names}
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            module, args, buf,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=True,
            export_params=True,
        )
    model = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(model)
    return model.SerializeToString()


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------

def load_data():
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    idx = np.arange(X.shape[0], dtype=np.int64)
    X_train, X_test, y_train, y_test, idx_train, idx_test = train_test_split(
        X, y, idx, test_size=200, random_state=0, stratify=y)
    data = {
        "X_train": np.ascontiguousarray(X_train),
        "X_test": np.ascontiguousarray(X_test),
        "y_train": np.ascontiguousarray(y_train),
        "y_test": np.ascontiguousarray(y_test),
        # synthetic "writer id": original dataset row index % 16
        "ids_train": np.ascontiguousarray((idx_train % 16).reshape(-1, 1)),
        "ids_test": np.ascontiguousarray((idx_test % 16).reshape(-1, 1)),
    }
    data["training_data_sha256"] = sha256_hex(
        data["X_train"].tobytes() + data["y_train"].tobytes())
    return data


# --------------------------------------------------------------------------
# torch models
# --------------------------------------------------------------------------

class MLP(nn.Module):
    def __init__(self, hidden=(64,)):
        super().__init__()
        layers = []
        prev = 64
        for h in hidden:
            layers += [nn.Linear(prev, h), nn.ReLU()]
            prev = h
        layers.append(nn.Linear(prev, 10))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class WithSoftmax(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return torch.softmax(self.inner(x), dim=1)


class TwoInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(16, 4)
        self.net = nn.Sequential(nn.Linear(64 + 4, 64), nn.ReLU(), nn.Linear(64, 10))

    def logits(self, features, ids):
        e = self.emb(ids).flatten(1)          # [batch,1,4] -> [batch,4]
        return self.net(torch.cat([features, e], dim=1))

    def forward(self, features, ids):
        logits = self.logits(features, ids)
        return logits, torch.argmax(logits, dim=1)


def train(module, forward, n_train, y_train, epochs, lr, batch_size=128):
    """Minibatch Adam with a seeded permutation generator."""
    gen = torch.Generator().manual_seed(SEED)
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    module.train()
    for _ in range(epochs):
        perm = torch.randperm(n_train, generator=gen)
        for start in range(0, n_train, batch_size):
            b = perm[start:start + batch_size]
            opt.zero_grad()
            loss = loss_fn(forward(b), y_train[b])
            loss.backward()
            opt.step()
    module.eval()


def build_mlp(data, hidden, epochs, lr, name, max_batch_size=256):
    seed_everything()
    Xtr = torch.from_numpy(data["X_train"])
    ytr = torch.from_numpy(data["y_train"])
    Xte = torch.from_numpy(data["X_test"])
    mlp = MLP(hidden)
    train(mlp, lambda b: mlp(Xtr[b]), Xtr.shape[0], ytr, epochs, lr)
    model = WithSoftmax(mlp).eval()
    with torch.no_grad():
        probs = model(Xte).numpy().astype(np.float32)
    acc = float((probs.argmax(axis=1) == data["y_test"]).mean())
    onnx_bytes = export_torch(model, (Xte[:2],), ["input"], ["probabilities"])
    config = make_config(
        name, max_batch_size,
        [tensor_cfg("input", "TYPE_FP32", [64])],
        [tensor_cfg("probabilities", "TYPE_FP32", [10])],
        max_queue_delay_us=2000, instance_count=1)
    if name == "digits_mlp":
        # Read by the drift monitor (its reference comes from tools/make_drift_fixtures.py).
        config["monitoring"] = {
            "input": "input", "output": "probabilities", "output_kind": "probabilities",
            "feature_names": ["px_%d_%d" % (r, c) for r in range(8) for c in range(8)],
        }
    prov = provenance(data["training_data_sha256"], torch_framework(),
                      {"test_accuracy": acc})
    return onnx_bytes, config, prov, probs, acc


def build_two_input(data):
    seed_everything()
    Ftr = torch.from_numpy(data["X_train"])
    Itr = torch.from_numpy(data["ids_train"])
    ytr = torch.from_numpy(data["y_train"])
    Fte = torch.from_numpy(data["X_test"])
    Ite = torch.from_numpy(data["ids_test"])
    model = TwoInput()
    train(model, lambda b: model.logits(Ftr[b], Itr[b]), Ftr.shape[0], ytr,
          epochs=150, lr=3e-3)
    with torch.no_grad():
        logits, label = model(Fte, Ite)
    logits = logits.numpy().astype(np.float32)
    label = label.numpy().astype(np.int64)
    acc = float((label == data["y_test"]).mean())
    onnx_bytes = export_torch(model, (Fte[:2], Ite[:2]),
                              ["features", "ids"], ["logits", "label"])
    config = make_config(
        "digits_two_input", 64,
        [tensor_cfg("features", "TYPE_FP32", [64]),
         tensor_cfg("ids", "TYPE_INT64", [1])],
        [tensor_cfg("logits", "TYPE_FP32", [10]),
         tensor_cfg("label", "TYPE_INT64", [])],
        max_queue_delay_us=2000, instance_count=1)
    prov = provenance(data["training_data_sha256"], torch_framework(),
                      {"test_accuracy": acc})
    return onnx_bytes, config, prov, logits, label, acc


# --------------------------------------------------------------------------
# onnx.helper models
# --------------------------------------------------------------------------

def finish_graph_model(graph):
    model = helper.make_model(
        graph,
        producer_name="mlmesh-make_fixtures",
        opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def build_slow_chain(depth=96, width=512, hidden=2048, w_value=0.0005):
    """x [batch,512] -> MatMul to `hidden` -> `depth` x (MatMul [hidden,hidden] + Tanh) -> [batch,512].

    About depth * 2 * hidden^2 = 0.8 GFLOP per row: a batch of 64 takes a few hundred ms on one
    core, so tests can hold an instance busy for a predictable while. The weights are made in the
    graph by ConstantOfShape, so the file stays a few KB.
    """
    def const(name, dims):
        shape = helper.make_tensor(name + "_shape", TensorProto.INT64, [2], dims)
        node = helper.make_node(
            "ConstantOfShape", [name + "_shape"], [name], name="make_" + name,
            value=helper.make_tensor("value", TensorProto.FLOAT, [1], [w_value]))
        return shape, node

    inits, nodes = [], []
    for name, dims in (("w_in", [width, hidden]), ("w", [hidden, hidden]), ("w_out", [hidden, width])):
        shape, node = const(name, dims)
        inits.append(shape)
        nodes.append(node)
    nodes.append(helper.make_node("MatMul", ["x", "w_in"], ["h_in"], name="matmul_in"))
    prev = "h_in"
    for i in range(depth):
        mm = "mm_%d" % i
        out = "h_%d" % i
        nodes.append(helper.make_node("MatMul", [prev, "w"], [mm], name="matmul_%d" % i))
        nodes.append(helper.make_node("Tanh", [mm], [out], name="tanh_%d" % i))
        prev = out
    nodes.append(helper.make_node("MatMul", [prev, "w_out"], ["y"], name="matmul_out"))
    graph = helper.make_graph(
        nodes, "slow_chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [BATCH, width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [BATCH, width])],
        initializer=inits)
    onnx_bytes = finish_graph_model(graph)
    config = make_config(
        "slow_chain", 256,
        [tensor_cfg("x", "TYPE_FP32", [width])],
        [tensor_cfg("y", "TYPE_FP32", [width])],
        max_queue_delay_us=0, instance_count=2)
    return onnx_bytes, config, provenance(None, onnx_framework(), {})


DTYPES = [
    ("fp32", TensorProto.FLOAT, "TYPE_FP32"),
    ("fp64", TensorProto.DOUBLE, "TYPE_FP64"),
    ("fp16", TensorProto.FLOAT16, "TYPE_FP16"),
    ("int8", TensorProto.INT8, "TYPE_INT8"),
    ("int16", TensorProto.INT16, "TYPE_INT16"),
    ("int32", TensorProto.INT32, "TYPE_INT32"),
    ("int64", TensorProto.INT64, "TYPE_INT64"),
    ("uint8", TensorProto.UINT8, "TYPE_UINT8"),
    ("uint16", TensorProto.UINT16, "TYPE_UINT16"),
    ("uint32", TensorProto.UINT32, "TYPE_UINT32"),
    ("uint64", TensorProto.UINT64, "TYPE_UINT64"),
    ("bool", TensorProto.BOOL, "TYPE_BOOL"),
]


def build_dtypes(name="dtypes", types=None):
    """One Identity per datatype: in_<t> -> out_<t>, shape [batch, 4].

    FP16 lives in its own model (`dtypes_fp16`): it travels only raw, so keeping it out of
    `dtypes` lets a test send every other datatype through typed contents in one request.
    """
    types = [d for d in DTYPES if d[0] != "fp16"] if types is None else types
    nodes, inputs, outputs, cfg_in, cfg_out = [], [], [], [], []
    for t, onnx_type, cfg_type in types:
        i, o = "in_" + t, "out_" + t
        nodes.append(helper.make_node("Identity", [i], [o], name="identity_" + t))
        inputs.append(helper.make_tensor_value_info(i, onnx_type, [BATCH, 4]))
        outputs.append(helper.make_tensor_value_info(o, onnx_type, [BATCH, 4]))
        cfg_in.append(tensor_cfg(i, cfg_type, [4]))
        cfg_out.append(tensor_cfg(o, cfg_type, [4]))
    graph = helper.make_graph(nodes, name, inputs, outputs)
    onnx_bytes = finish_graph_model(graph)
    config = make_config(name, 8, cfg_in, cfg_out,
                         max_queue_delay_us=0, instance_count=1)
    return onnx_bytes, config, provenance(None, onnx_framework(), {})


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-models", default="examples/models")
    ap.add_argument("--out-data", default="test/fixtures/parity")
    ap.add_argument("--wide", action="store_true",
                    help="also build the big benchmark model digits_mlp_wide")
    ap.add_argument("--wide-out", default="bench/models")
    args = ap.parse_args(argv)

    setup_torch()
    print("torch %s, onnx %s, sklearn %s, numpy %s" % (
        torch.__version__, onnx.__version__, sklearn.__version__, np.__version__))
    data = load_data()

    # 1. digits_mlp
    onnx_bytes, config, prov, probs, acc = build_mlp(
        data, hidden=(64,), epochs=100, lr=3e-3, name="digits_mlp")
    if acc < 0.95:
        sys.exit("digits_mlp test accuracy %.4f < 0.95" % acc)
    write_model(args.out_models, "digits_mlp", onnx_bytes, config, prov)
    d = os.path.join(args.out_data, "digits_mlp")
    save_npy(os.path.join(d, "inputs.npy"), data["X_test"], np.float32)
    save_npy(os.path.join(d, "outputs.npy"), probs, np.float32)
    save_npy(os.path.join(d, "labels.npy"), data["y_test"], np.int64)
    print("    digits_mlp test_accuracy = %.4f" % acc)

    # 2. digits_two_input
    onnx_bytes, config, prov, logits, label, acc2 = build_two_input(data)
    if acc2 < 0.95:
        sys.exit("digits_two_input test accuracy %.4f < 0.95" % acc2)
    write_model(args.out_models, "digits_two_input", onnx_bytes, config, prov)
    d = os.path.join(args.out_data, "digits_two_input")
    save_npy(os.path.join(d, "features.npy"), data["X_test"], np.float32)
    save_npy(os.path.join(d, "ids.npy"), data["ids_test"], np.int64)
    save_npy(os.path.join(d, "logits.npy"), logits, np.float32)
    save_npy(os.path.join(d, "label.npy"), label, np.int64)
    print("    digits_two_input test_accuracy = %.4f" % acc2)

    # 3. slow_chain
    onnx_bytes, config, prov = build_slow_chain()
    write_model(args.out_models, "slow_chain", onnx_bytes, config, prov)

    # 4. dtypes
    onnx_bytes, config, prov = build_dtypes()
    write_model(args.out_models, "dtypes", onnx_bytes, config, prov)
    onnx_bytes, config, prov = build_dtypes("dtypes_fp16", [d for d in DTYPES if d[0] == "fp16"])
    write_model(args.out_models, "dtypes_fp16", onnx_bytes, config, prov)

    # optional: big benchmark model (not committed)
    if args.wide:
        onnx_bytes, config, prov, _, accw = build_mlp(
            data, hidden=(1024, 1024), epochs=20, lr=1e-3,
            name="digits_mlp_wide")
        write_model(args.wide_out, "digits_mlp_wide", onnx_bytes, config, prov)
        print("    digits_mlp_wide test_accuracy = %.4f" % accw)


if __name__ == "__main__":
    main()
