#!/usr/bin/python3
"""Write the base dataset snapshot of examples/models/digits_mlp version 1.

The retrainer (services/retrainer) builds a candidate's dataset from its parent's training
data plus labelled logged predictions; the parent's training data is a dataset snapshot named
by the version's manifest (provenance.training_data). digits_mlp version 1 was trained by
tools/make_fixtures.py on a split of scikit-learn's load_digits(); this script reproduces that
split exactly, checks it against the manifest's training_data_sha256 (sha256 of
X_train.tobytes() + y_train.tobytes()), and writes it as a snapshot in the format of
services/retrainer/types.ts DatasetManifest, byte for byte as services/retrainer/dataset-io.ts
writeDataset would (canonical key order, two-space JSON, final newline; .npy v1.0):

    examples/models/digits_mlp/datasets/<sha256 of dataset.json>/
        dataset.json train_x.npy train_y.npy train_source.npy
        holdout_x.npy holdout_y.npy holdout_source.npy

train = X_train (1597 rows), holdout = X_test (200 rows), every row SOURCE_BASE (0), y int64
class indices into classes "0".."9". The split record is the sklearn split's: seed 0 (its
random_state) and holdout_fraction 200/1797. Then it adds
provenance.training_data = {"dataset": "../datasets/<sha>/dataset.json", "sha256": "<sha>"} to
examples/models/digits_mlp/1/manifest.json, keeping every other field as it is (model.onnx is
not touched, and its hash in "files" stays right).

Deterministic: running it twice gives the same bytes (and the same <sha>).

Run: /usr/bin/python3 tools/make_retrainer_fixtures.py
"""
import hashlib
import io
import json
import os
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_DIR = os.path.join(ROOT, "examples", "models", "digits_mlp")
VERSION_DIR = os.path.join(MODEL_DIR, "1")
SOURCE_BASE = 0


def sha256_hex(b):
    return hashlib.sha256(b).hexdigest()


def load_data():
    """The split of tools/make_fixtures.py load_data(), X and y only."""
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    idx = np.arange(X.shape[0], dtype=np.int64)
    X_train, X_test, y_train, y_test, _, _ = train_test_split(
        X, y, idx, test_size=200, random_state=0, stratify=y)
    return (np.ascontiguousarray(X_train), np.ascontiguousarray(y_train),
            np.ascontiguousarray(X_test), np.ascontiguousarray(y_test))


def npy_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def main():
    manifest_path = os.path.join(VERSION_DIR, "manifest.json")
    with open(manifest_path, "rb") as f:
        version_manifest = json.loads(f.read().decode("utf-8"))
    prov = version_manifest["provenance"]
    X_train, y_train, X_test, y_test = load_data()
    got = sha256_hex(X_train.tobytes() + y_train.tobytes())
    if got != prov["training_data_sha256"]:
        sys.exit("the reproduced split hashes to %s, manifest.json says training_data_sha256 %s"
                 % (got, prov["training_data_sha256"]))

    arrays = {
        "train_x": X_train.astype("<f4"),
        "train_y": y_train.astype("<i8"),
        "train_source": np.full(len(y_train), SOURCE_BASE, dtype="|u1"),
        "holdout_x": X_test.astype("<f4"),
        "holdout_y": y_test.astype("<i8"),
        "holdout_source": np.full(len(y_test), SOURCE_BASE, dtype="|u1"),
    }
    encoded = {k: npy_bytes(v) for k, v in arrays.items()}
    files = {}
    for k in ["train_x", "train_y", "train_source", "holdout_x", "holdout_y", "holdout_source"]:
        a = arrays[k]
        files[k] = {"path": k + ".npy", "sha256": sha256_hex(encoded[k]),
                    "dtype": a.dtype.str, "shape": [int(d) for d in a.shape]}
    # Key order = services/retrainer/dataset-manifest.ts canonicalManifest.
    manifest = {
        "format": "mlmesh.dataset/v1",
        "model": "digits_mlp",
        "parent_version": None,
        "task": "classification",
        "classes": [str(i) for i in range(10)],
        "feature_count": 64,
        "input": "input",
        "files": files,
        "sources": {
            "base": {"dataset_sha256": None, "train_rows": int(len(y_train)),
                     "holdout_rows": int(len(y_test))},
            "logged": {"train_rows": 0, "holdout_rows": 0, "ranges": []},
        },
        "label_join": {"logged_rows": 0, "labelled_rows": 0, "coverage": 0,
                       "feedback_messages": 0, "feedback_unmatched": 0},
        "split": {"seed": 0, "holdout_fraction": 200 / 1797},
        "created_at": "2026-11-22T00:00:00Z",
        "produced_by": "tools/make_retrainer_fixtures.py",
    }
    text = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    sha = sha256_hex(text)

    out = os.path.join(MODEL_DIR, "datasets", sha)
    os.makedirs(out, exist_ok=True)
    for k, b in encoded.items():
        with open(os.path.join(out, k + ".npy"), "wb") as f:
            f.write(b)
    with open(os.path.join(out, "dataset.json"), "wb") as f:
        f.write(text)

    # Add provenance.training_data, every other field and its order kept.
    prov["training_data"] = {"dataset": "../datasets/%s/dataset.json" % sha, "sha256": sha}
    with open(manifest_path, "w", encoding="utf-8") as f:
        f.write(json.dumps(version_manifest, indent=2) + "\n")
    print("digits_mlp base dataset %s (train %d rows, holdout %d rows)"
          % (sha, len(y_train), len(y_test)))


if __name__ == "__main__":
    main()
