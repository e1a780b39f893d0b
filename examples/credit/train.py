#!/usr/bin/python3
"""Trains the credit example's model on the fitted pipeline's output and exports it to ONNX.

Inputs (written by examples/credit/build.ts):

* ``--features``  the pipeline's output over the training rows: raw little-endian float32
                  [rows, features] (``mlmesh pipeline transform … --out train.f32``)
* ``--artifact``  the pipeline artifact (JSON), for the feature count and names
* ``--training``  the training rows CSV (examples/credit/training/training.csv), for the label
                  column ``defaulted``, in the same row order

Outputs in ``--out``:

* ``model.onnx``     torch MLP features -> 32 (ReLU) -> 16 (ReLU) -> 2, softmax; input
                     ``features`` FP32 [batch, F], output ``probabilities`` FP32 [batch, 2]
                     (class 0 repaid, class 1 defaulted), dynamic batch axis
* ``metrics.json``   held-out accuracy, AUC, log loss, default rate (provenance of the version)
* ``reference.npy``  the 200 held-out rows of pipeline output (the drift reference's inputs)

Seeded, single-threaded, full-batch Adam: a rerun gives the same weights.
"""
import argparse
import csv
import json
import os

import numpy as np
import torch

SEED = 13


def auc(y, p):
    """Area under the ROC curve (Mann-Whitney), ties counted half."""
    order = np.argsort(p, kind='mergesort')
    ranks = np.empty(len(p))
    sp = p[order]
    i = 0
    while i < len(p):
        j = i
        while j + 1 < len(p) and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--features', required=True)
    ap.add_argument('--artifact', required=True)
    ap.add_argument('--training', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--epochs', type=int, default=70)
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(SEED)

    with open(args.artifact) as f:
        names = json.load(f)['feature_names']
    x = np.fromfile(args.features, dtype='<f4')
    if x.size % len(names):
        raise SystemExit(f'{args.features}: {x.size} floats are not rows of {len(names)} features')
    x = x.reshape(-1, len(names))
    with open(args.training, newline='') as f:
        y = np.array([int(r['defaulted']) for r in csv.DictReader(f)], dtype=np.int64)
    if len(y) != len(x):
        raise SystemExit(f'{args.training} has {len(y)} rows, {args.features} {len(x)}: transform with --strict')

    perm = rng.permutation(len(x))
    held = perm[:600]
    train = perm[600:]
    xt, yt = torch.from_numpy(x[train]), torch.from_numpy(y[train])
    xh = torch.from_numpy(x[held])

    model = torch.nn.Sequential(
        torch.nn.Linear(len(names), 32), torch.nn.ReLU(),
        torch.nn.Linear(32, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 2),
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(args.epochs):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()

    exported = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)).eval()
    with torch.no_grad():
        ph = exported(xh).numpy()[:, 1].astype(np.float64)
    yh = y[held]
    eps = 1e-7
    metrics = {
        'heldout_auc': round(auc(yh, ph), 4),
        'heldout_accuracy': round(float(np.mean((ph >= 0.5) == (yh == 1))), 4),
        'heldout_log_loss': round(float(-np.mean(yh * np.log(ph + eps) + (1 - yh) * np.log(1 - ph + eps))), 4),
        'heldout_default_rate': round(float(yh.mean()), 4),
        'heldout_rows': int(len(yh)),
        'train_rows': int(len(train)),
        'final_train_loss': round(float(loss.item()), 4),
    }
    os.makedirs(args.out, exist_ok=True)
    torch.onnx.export(
        exported, torch.from_numpy(x[:2]), os.path.join(args.out, 'model.onnx'),
        input_names=['features'], output_names=['probabilities'],
        dynamic_axes={'features': {0: 'batch'}, 'probabilities': {0: 'batch'}}, opset_version=13,
    )
    with open(os.path.join(args.out, 'metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
        f.write('\n')
    np.save(os.path.join(args.out, 'reference.npy'), np.ascontiguousarray(x[held[:200]], dtype='<f4'))
    print(json.dumps(metrics))


if __name__ == '__main__':
    main()
