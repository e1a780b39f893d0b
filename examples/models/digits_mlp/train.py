#!/usr/bin/python3
"""Retrain digits_mlp on an mlmesh dataset snapshot (the retrainer's training command).

Usage::

    /usr/bin/python3 train.py --data DATASET_JSON --out OUTPUT_DIR --seed N [--epochs E]

Reads ``dataset.json`` (format ``mlmesh.dataset/v1``, services/retrainer/types.ts): the arrays
train_x/train_y/train_source/holdout_x/holdout_y/holdout_source as .npy files beside it, each
checked against its SHA-256 in the manifest (a mismatch exits 2). Trains the architecture of
tools/make_fixtures.py ``build_mlp`` (MLP feature_count -> 64 ReLU -> classes, softmax wrapper,
Adam lr 3e-3, minibatch 128, seeded permutations, one thread, deterministic algorithms) and
writes into OUTPUT_DIR:

* ``model.onnx``   opset 13, input named like the dataset's ``input`` (FP32 [batch, features]),
                   output ``probabilities`` (FP32 [batch, classes]), dynamic dim ``batch``;
* ``metrics.json`` holdout accuracy (overall / base rows / logged rows), log loss, rows per
                   source, epochs, seed, torch version;
* ``reference/``   drift reference for the monitor: inputs.npy (up to 200 training rows, a seeded
                   sample), outputs.npy (the trained model's probabilities on them) and
                   reference.json (format ``mlmesh.reference/v1``).

Same data and seed give the same weights and metrics on one machine; the ONNX bytes may differ
across CPUs (float kernels) and torch versions. Any failure exits non-zero with a message on
stderr: 2 for a bad dataset, 1 otherwise.
"""

import argparse
import datetime
import hashlib
import io
import json
import os
import random
import sys
import time

import numpy as np

DATASET_FORMAT = "mlmesh.dataset/v1"
REFERENCE_FORMAT = "mlmesh.reference/v1"
ARRAYS = ("train_x", "train_y", "train_source", "holdout_x", "holdout_y", "holdout_source")
SOURCE_BASE, SOURCE_LOGGED = 0, 1
OPSET = 13
BATCH = "batch"
HIDDEN = 64
LR = 3e-3
BATCH_SIZE = 128
DEFAULT_EPOCHS = 100
REFERENCE_ROWS = 200
PRODUCED_BY = "examples/models/digits_mlp/train.py"


class DatasetError(Exception):
    """The dataset cannot be used: exit 2."""


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def load_dataset(path):
    """The manifest, its SHA-256 and the six arrays, every file's hash verified."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DatasetError("cannot read %s: %s" % (path, e))
    try:
        manifest = json.loads(raw)
    except ValueError as e:
        raise DatasetError("%s: not JSON: %s" % (path, e))
    if not isinstance(manifest, dict) or manifest.get("format") != DATASET_FORMAT:
        raise DatasetError("%s: format must be %s" % (path, DATASET_FORMAT))
    if manifest.get("task") != "classification":
        raise DatasetError("%s: task is %r; this trainer trains a classifier" % (path, manifest.get("task")))
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise DatasetError("%s: files must be an object" % path)
    folder = os.path.dirname(os.path.abspath(path))
    arrays = {}
    for name in ARRAYS:
        meta = files.get(name)
        if not isinstance(meta, dict) or not isinstance(meta.get("path"), str) or not isinstance(meta.get("sha256"), str):
            raise DatasetError("%s: files.%s must have a path and a sha256" % (path, name))
        file_path = os.path.join(folder, meta["path"])
        try:
            with open(file_path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise DatasetError("files.%s: cannot read %s: %s" % (name, file_path, e))
        actual = sha256_hex(data)
        if actual != meta["sha256"]:
            raise DatasetError("files.%s: %s has SHA-256 %s, the manifest says %s" % (name, file_path, actual, meta["sha256"]))
        try:
            arrays[name] = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as e:
            raise DatasetError("files.%s: %s is not a .npy file: %s" % (name, file_path, e))
    check_shapes(manifest, arrays)
    return manifest, sha256_hex(raw), arrays


def check_shapes(manifest, a):
    features = manifest.get("feature_count")
    classes = manifest.get("classes")
    if not isinstance(classes, list) or len(classes) < 2:
        raise DatasetError("classes: must list at least 2 labels")
    for part in ("train", "holdout"):
        x, y, s = a[part + "_x"], a[part + "_y"], a[part + "_source"]
        if x.dtype != np.float32 or x.ndim != 2 or x.shape[1] != features:
            raise DatasetError("files.%s_x: must be float32 [rows, %s], is %s %s" % (part, features, x.dtype, x.shape))
        rows = x.shape[0]
        if y.dtype != np.int64 or y.shape != (rows,):
            raise DatasetError("files.%s_y: must be int64 [%d], is %s %s" % (part, rows, y.dtype, y.shape))
        if s.dtype != np.uint8 or s.shape != (rows,):
            raise DatasetError("files.%s_source: must be uint8 [%d], is %s %s" % (part, rows, s.dtype, s.shape))
        if rows and (y.min() < 0 or y.max() >= len(classes)):
            raise DatasetError("files.%s_y: class indices must be in 0..%d" % (part, len(classes) - 1))
        if not np.isfinite(x).all():
            raise DatasetError("files.%s_x: holds non-finite values" % part)
    if a["train_x"].shape[0] == 0:
        raise DatasetError("files.train_x: no training rows")


def setup_torch(seed):
    import torch
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch


def build_model(torch, features, classes):
    nn = torch.nn

    class WithSoftmax(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return torch.softmax(self.inner(x), dim=1)

    mlp = nn.Sequential(nn.Linear(features, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, classes))
    return mlp, WithSoftmax(mlp)


def train(torch, mlp, x, y, epochs, seed):
    """Minibatch Adam with a seeded permutation generator (as tools/make_fixtures.py)."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(mlp.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    mlp.train()
    n = x.shape[0]
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for start in range(0, n, BATCH_SIZE):
            b = perm[start:start + BATCH_SIZE]
            opt.zero_grad()
            loss = loss_fn(mlp(x[b]), y[b])
            loss.backward()
            opt.step()
    mlp.eval()


def export_onnx(torch, model, example, input_name):
    """ONNX bytes with a dynamic "batch" dim (the export settings of tools/make_fixtures.py)."""
    import onnx
    model.eval()
    names = [input_name, "probabilities"]
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, (example,), buf, input_names=[input_name], output_names=["probabilities"],
                          dynamic_axes={n: {0: BATCH} for n in names}, opset_version=OPSET,
                          do_constant_folding=True, export_params=True)
    m = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(m)
    return m.SerializeToString()


def slice_metrics(probs, y, mask):
    rows = int(mask.sum())
    if rows == 0:
        return {"rows": 0, "accuracy": None, "log_loss": None}
    p, t = probs[mask], y[mask]
    picked = np.clip(p[np.arange(rows), t].astype(np.float64), 1e-15, 1.0)
    return {"rows": rows, "accuracy": float((p.argmax(axis=1) == t).mean()), "log_loss": float(-np.log(picked).mean())}


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr.astype("<f4")), allow_pickle=False)
    return buf.getvalue()


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_reference(out, torch, model, x, seed, dataset_sha):
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    idx = np.sort(rng.choice(n, size=min(REFERENCE_ROWS, n), replace=False))
    inputs = x[idx]
    with torch.no_grad():
        outputs = model(torch.from_numpy(inputs)).numpy()
    files = {"inputs.npy": npy_bytes(inputs), "outputs.npy": npy_bytes(outputs)}
    for name, data in files.items():
        write_file(os.path.join(out, "reference", name), data)
    meta = {
        "format": REFERENCE_FORMAT,
        "files": {name: sha256_hex(data) for name, data in files.items()},
        "rows": int(len(idx)),
        "provenance": {
            "produced_by": PRODUCED_BY,
            "source_data_sha256": dataset_sha,
            "created_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "previous_sha256": None,
        },
    }
    # Written last: a reference folder with reference.json is complete.
    write_file(os.path.join(out, "reference", "reference.json"), (json.dumps(meta, indent=2) + "\n").encode("utf-8"))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Retrain digits_mlp on an mlmesh dataset snapshot.")
    ap.add_argument("--data", required=True, help="the snapshot's dataset.json")
    ap.add_argument("--out", required=True, help="output folder (model.onnx, metrics.json, reference/)")
    ap.add_argument("--seed", required=True, type=int)
    ap.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    args = ap.parse_args(argv)
    if args.epochs < 1:
        ap.error("--epochs must be at least 1")
    started = time.monotonic()
    try:
        manifest, dataset_sha, a = load_dataset(args.data)
    except DatasetError as e:
        print("train.py: bad dataset: %s" % e, file=sys.stderr)
        return 2
    torch = setup_torch(args.seed)
    classes = len(manifest["classes"])
    features = int(manifest["feature_count"])
    x = torch.from_numpy(np.ascontiguousarray(a["train_x"]))
    y = torch.from_numpy(np.ascontiguousarray(a["train_y"]))
    src = a["train_source"]
    print("training on %d rows (%d base, %d logged), %d epochs, seed %d, torch %s" % (
        x.shape[0], int((src == SOURCE_BASE).sum()), int((src == SOURCE_LOGGED).sum()), args.epochs, args.seed,
        torch.__version__), flush=True)
    mlp, model = build_model(torch, features, classes)
    train(torch, mlp, x, y, args.epochs, args.seed)
    model.eval()
    hx, hy, hs = a["holdout_x"], a["holdout_y"], a["holdout_source"]
    with torch.no_grad():
        probs = model(torch.from_numpy(np.ascontiguousarray(hx))).numpy() if hx.shape[0] else np.zeros((0, classes), np.float32)
    overall = slice_metrics(probs, hy, np.ones(hy.shape[0], dtype=bool))
    metrics = {
        "holdout_accuracy": overall["accuracy"],
        "holdout_log_loss": overall["log_loss"],
        "holdout": {"all": overall, "base": slice_metrics(probs, hy, hs == SOURCE_BASE),
                    "logged": slice_metrics(probs, hy, hs == SOURCE_LOGGED)},
        "rows": {"train_base": int((src == SOURCE_BASE).sum()), "train_logged": int((src == SOURCE_LOGGED).sum()),
                 "holdout_base": int((hs == SOURCE_BASE).sum()), "holdout_logged": int((hs == SOURCE_LOGGED).sum())},
        "epochs": args.epochs,
        "seed": args.seed,
        "torch_version": torch.__version__,
    }
    os.makedirs(args.out, exist_ok=True)
    write_file(os.path.join(args.out, "model.onnx"), export_onnx(torch, model, x[:2], manifest.get("input") or "input"))
    write_reference(args.out, torch, model, a["train_x"], args.seed, dataset_sha)
    # Written last: the retrainer reads metrics.json only after the model is complete.
    write_file(os.path.join(args.out, "metrics.json"), (json.dumps(metrics, indent=2) + "\n").encode("utf-8"))
    print("holdout accuracy %s (base %s, logged %s) in %.1f s" % (
        overall["accuracy"], metrics["holdout"]["base"]["accuracy"], metrics["holdout"]["logged"]["accuracy"],
        time.monotonic() - started), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except BaseException as e:  # any failure: a clear one-line message and a non-zero exit
        print("train.py: failed: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
