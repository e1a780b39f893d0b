#!/usr/bin/env python3
"""Generate the drift-monitor fixtures: scipy's expected test values, and digits samples.

Run with Debian's python (python3-scipy, python3-sklearn, python3-torch for make_fixtures'
data split):

    /usr/bin/python3 tools/make_drift_fixtures.py

Writes (committed; CI needs no Python):

- ``test/fixtures/drift/scipy.json``: fixed samples with scipy's ``ks_2samp`` (method auto:
  exact and asymptotic cases), ``chi2_contingency`` (dof 1 with Yates' correction, dof > 1,
  a category unseen in the reference), ``wasserstein_distance``, Evidently's normed Wasserstein
  (``wasserstein_distance / max(np.std(reference), 0.001)``, a constant reference included),
  ``mannwhitneyu`` (method auto: exact and tie-corrected asymptotic cases, one- and two-sided),
  ``kstwo.sf`` over a grid of (n, d) covering each of its branches, and numpy MMD² (unbiased,
  three kernels, given length scale) values.
- ``examples/models/digits_mlp/1/reference/inputs.npy``: the drift reference, 100 of the 200
  held-out digits (rows the model did not fit; chosen with seed 0; FP32 [100, 64]). Its outputs
  and reference.json are written by the Node tool (running the served ONNX model)::

      npx mlmesh reference --model digits_mlp --version 1 \
        --source "tools/make_drift_fixtures.py (held-out digits)" --training-data-sha256 <printed>

- ``test/fixtures/drift/digits_clean.npy`` (+ ``_labels``): the other 100 held-out rows
  (FP32 [100, 64]): clean traffic from the reference's population that neither the model nor
  the reference has seen.
- ``test/fixtures/drift/digits_blurred.npy``: the same rows blurred with
  ``scipy.ndimage.gaussian_filter(sigma=1)`` on each 8×8 image (FP32 [100, 64]).

Why held-out rows: on its own training rows a model is more confident than on new data, so a
training-row reference makes the ``confidence`` detector flag clean traffic (docs/monitor.md).
"""
import hashlib
import json
import os
import sys

import numpy as np
from scipy import ndimage, stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import load_data, save_npy  # noqa: E402  (same split as the models)

OUT = "test/fixtures/drift"


def ks_cases(rng):
    cases = []
    specs = [(5, 7, 0.0, None), (20, 20, 0.5, None), (30, 45, 0.3, None), (100, 37, 1.0, 1),
             (200, 200, 0.3, None), (500, 1000, 0.1, None), (1000, 500, 0.0, None),
             (500, 500, 0.0, 2), (12000, 400, 0.1, None), (15000, 2000, 0.0, None)]
    for n1, n2, shift, decimals in specs:
        # Rounded so the JSON stays small (and, with few decimals, to make ties).
        a = np.round(rng.normal(size=n1), decimals if decimals is not None else 5)
        b = np.round(rng.normal(shift, size=n2), decimals if decimals is not None else 5)
        r = stats.ks_2samp(a, b)
        method = "exact" if max(n1, n2) <= 10000 else "asymp"
        cases.append({"a": a.tolist(), "b": b.tolist(), "statistic": float(r.statistic),
                      "pvalue": float(r.pvalue), "method": method})
    return cases


def chi2_cases():
    tables = [
        [[30, 70], [45, 55]],                    # dof 1: Yates
        [[10, 20, 30, 40], [12, 25, 28, 35]],    # no drift
        [[50, 30, 20], [20, 30, 50]],            # drift
        [[40, 40, 20, 0], [30, 35, 15, 20]],     # a category unseen in the reference
        [[400, 300, 200, 100], [100, 200, 300, 400]],
        [[5, 3, 2], [4, 4, 2]],
    ]
    out = []
    for t in tables:
        stat, p, dof, _ = stats.chi2_contingency(np.array(t))
        out.append({"reference": t[0], "window": t[1], "statistic": float(stat), "pvalue": float(p), "dof": int(dof)})
    return out


def wasserstein_cases(rng):
    out = []
    for n1, n2, shift in [(50, 80, 0.0), (200, 100, 0.7)]:
        a, b = rng.normal(size=n1), rng.normal(shift, 2.0, size=n2)
        out.append({"a": a.tolist(), "b": b.tolist(), "distance": float(stats.wasserstein_distance(a, b))})
    return out


def wasserstein_norm_cases(rng):
    out = []
    for a, b in [(np.zeros(50), rng.normal(0.5, 1.0, size=80)),
                 (np.full(40, 3.0), np.full(30, 3.0)),
                 (np.full(40, 0.25), np.full(30, 0.5)),
                 (rng.normal(size=60), rng.normal(0.2, 1.5, size=70)),
                 (np.round(rng.normal(size=100) * 1e-4, 8), rng.normal(size=50) * 1e-4)]:
        norm = max(np.std(a), 0.001)
        out.append({"a": a.tolist(), "b": b.tolist(), "value": float(stats.wasserstein_distance(a, b) / norm)})
    return out


def mwu_cases(rng):
    """(window x, reference y, alternative) with scipy's mannwhitneyu, method auto."""
    f32 = lambda v: np.asarray(v, dtype=np.float32).astype(np.float64)
    conf = lambda n, shift: f32(np.clip(1 - rng.exponential(0.02 + shift, size=n) ** 2, 0, 1))
    specs = [
        (rng.normal(size=5), rng.normal(size=7), "less"),              # exact, both small
        (rng.normal(-1, size=6), rng.normal(size=300), "less"),        # exact: one sample <= 8
        (rng.normal(size=8), rng.normal(1, size=8), "two-sided"),      # exact two-sided
        (rng.normal(size=50), rng.normal(size=200), "less"),           # asymptotic, no ties
        (rng.normal(size=60), rng.normal(0.5, size=40), "greater"),
        (np.round(rng.normal(size=30), 1), np.round(rng.normal(size=90), 1), "less"),    # ties
        (np.round(rng.normal(size=4), 0), np.round(rng.normal(size=6), 0), "less"),      # small with ties
        (conf(200, 0.0), conf(500, 0.0), "less"),                      # max-probabilities: many exactly 1
        (conf(100, 0.2), conf(500, 0.0), "less"),                      # less confident window
        (conf(100, 0.0), conf(300, 0.2), "less"),                      # more confident window
        (np.ones(20), np.ones(50), "less"),                            # every value tied
        (np.array([1.0, 1.0, 0.5]), np.ones(40), "two-sided"),
    ]
    out = []
    for x, y, alt in specs:
        r = stats.mannwhitneyu(x, y, alternative=alt)
        n1, n2 = len(x), len(y)
        ties = len(np.unique(np.concatenate([x, y]))) < n1 + n2
        method = "asymptotic" if (n1 > 8 and n2 > 8) or ties else "exact"
        out.append({"x": x.tolist(), "y": y.tolist(), "alternative": alt, "statistic": float(r.statistic),
                    "pvalue": float(r.pvalue), "method": method})
    return out


def mmd2_unbiased(x, y, kernel, ell):
    z = np.vstack([x, y])
    d2 = ((z[:, None, :] - z[None, :, :]) ** 2).sum(-1)
    if kernel == "gaussian":
        k = np.exp(-d2 / (2 * ell * ell))
    elif kernel == "laplacian":
        k = np.exp(-np.sqrt(d2) / ell)
    else:
        k = 1.0 / (1.0 + d2 / (2 * ell * ell))
    n, m = len(x), len(y)
    kxx, kyy, kxy = k[:n, :n], k[n:, n:], k[:n, n:]
    return ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * kxy.sum() / (n * m))


def mmd_cases(rng):
    x = rng.normal(size=(60, 5))
    y = rng.normal(0.3, 1.0, size=(40, 5))
    dx = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    med = float(np.median(dx[np.triu_indices(len(x), 1)]))
    ell = np.sqrt(med / 2)
    out = {"x": x.tolist(), "y": y.tolist(), "length_scale": ell, "values": {}}
    for kernel in ["gaussian", "laplacian", "rational_quadratic"]:
        out["values"][kernel] = float(mmd2_unbiased(x, y, kernel, ell))
    return out


def kstwo_cases():
    out = []
    for n in [5, 20, 50, 100, 140, 141, 300, 1000, 4000, 9000, 30000, 200000]:
        for z in [0.3, 0.6, 0.9, 1.2, 1.6, 2.0, 2.6]:
            d = z / np.sqrt(n)
            if d < 1:
                out.append({"n": n, "d": float(d), "sf": float(stats.kstwo.sf(d, n))})
        out.append({"n": n, "d": 0.55, "sf": float(stats.kstwo.sf(0.55, n))})
    return out


REFERENCE_ROWS = 100


def main():
    rng = np.random.default_rng(20261122)
    os.makedirs(OUT, exist_ok=True)
    fixtures = {"scipy_version": __import__("scipy").__version__, "ks": ks_cases(rng), "chi2": chi2_cases(),
                "wasserstein": wasserstein_cases(rng), "mmd": mmd_cases(rng), "kstwo": kstwo_cases(),
                "wasserstein_norm": wasserstein_norm_cases(np.random.default_rng(30)),
                "mannwhitneyu": mwu_cases(np.random.default_rng(31))}
    with open(os.path.join(OUT, "scipy.json"), "w") as f:
        json.dump(fixtures, f)
    data = load_data()
    # The reference: REFERENCE_ROWS of the held-out rows (the model did not fit them); clean
    # traffic: the other held-out rows, which neither the model nor the reference has seen.
    held_out = len(data["X_test"])
    idx = np.sort(np.random.default_rng(0).choice(held_out, size=REFERENCE_ROWS, replace=False))
    rest = np.setdiff1d(np.arange(held_out), idx)
    save_npy("examples/models/digits_mlp/1/reference/inputs.npy", data["X_test"][idx], np.float32)
    clean = data["X_test"][rest]
    blurred = np.stack([ndimage.gaussian_filter(r.reshape(8, 8), sigma=1).reshape(64) for r in clean])
    save_npy(os.path.join(OUT, "digits_clean.npy"), clean, np.float32)
    save_npy(os.path.join(OUT, "digits_clean_labels.npy"), data["y_test"][rest], np.int64)
    save_npy(os.path.join(OUT, "digits_blurred.npy"), blurred, np.float32)
    source = hashlib.sha256(data["X_test"].tobytes() + data["y_test"].tobytes()).hexdigest()
    print("wrote", OUT, "and the digits_mlp reference inputs (%d held-out rows)" % REFERENCE_ROWS)
    print("now: npx mlmesh reference --model digits_mlp --version 1 "
          "--source \"tools/make_drift_fixtures.py (held-out digits)\" --training-data-sha256 " + source)


if __name__ == "__main__":
    main()
