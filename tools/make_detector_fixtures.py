#!/usr/bin/env python3
"""Generate the fixtures of the monitor's newer detectors (C2ST, CvM, Anderson–Darling).

Run with Debian's python (python3-sklearn, python3-scipy; no torch needed):

    /usr/bin/python3 tools/make_detector_fixtures.py

Writes (committed; CI needs no Python):

- ``test/fixtures/drift/digits_all.npy``: scikit-learn's bundled ``load_digits()`` pixels,
  UINT8 [1797, 64] with values 0..16 (the digits models take them divided by 16). For the
  input detectors every row is a draw from the same population (the model's training split
  does not matter to a test on the inputs), so random disjoint draws give many clean windows.
- ``test/fixtures/drift/detectors.json``:
  - ``logistic``: scikit-learn ``LogisticRegression(penalty='l2', C=C, solver='newton-cg',
    tol=1e-10, max_iter=10000)`` coefficients and intercept on fixed data (digits rows and
    Gaussian samples, several C), for stats/logistic.ts;
  - ``blur``: ``scipy.ndimage.gaussian_filter(image, sigma)`` (mode reflect, truncate 4) of a
    few 8×8 digits for sigma 0.5 and 1, for the TypeScript blur the tests and the power bench
    use;
  - ``auc``: ``sklearn.metrics.roc_auc_score`` on scores with ties;
  - ``binom``: ``scipy.stats.binomtest(k, n, 0.5, alternative='greater').pvalue``.
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy import ndimage, stats
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

OUT = "test/fixtures/drift"


def logistic_cases(digits):
    rng = np.random.default_rng(20261201)
    cases = []
    # Digits rows (a few pixel columns, standardised as the C2ST does) vs their blurred copies.
    x = digits[:120, 18:26].astype(np.float64) / 16
    xb = np.stack([ndimage.gaussian_filter(r.reshape(8, 8), 1).reshape(64) for r in digits[120:240].astype(np.float64) / 16])[:, 18:26]
    X = np.vstack([x, xb])
    y = np.r_[np.zeros(len(x)), np.ones(len(xb))]
    sd = X.std(0)
    X = (X - X.mean(0)) / np.where(sd > 0, sd, 1)
    specs = [(X, y, 1.0), (X, y, 0.05)]
    G = rng.normal(size=(150, 5))
    g = (G @ np.array([1.0, -0.5, 0.0, 2.0, 0.3]) + 0.4 + rng.logistic(size=150) > 0).astype(float)
    specs += [(G, g, 1.0), (G, g, 10.0), (G[:40], g[:40], 0.5)]
    for X_, y_, C in specs:
        m = LogisticRegression(penalty="l2", C=C, solver="newton-cg", tol=1e-12, max_iter=10000).fit(X_, y_)
        cases.append({"x": X_.tolist(), "y": y_.astype(int).tolist(), "C": C,
                      "coef": m.coef_[0].tolist(), "intercept": float(m.intercept_[0])})
    return cases


def blur_cases(digits):
    out = []
    for sigma in [0.5, 1.0]:
        for r in digits[:3]:
            img = r.astype(np.float64).reshape(8, 8) / 16
            out.append({"sigma": sigma, "image": img.reshape(64).tolist(),
                        "blurred": ndimage.gaussian_filter(img, sigma).reshape(64).tolist()})
    return out


def auc_cases():
    rng = np.random.default_rng(5)
    out = []
    for n in [10, 57]:
        s = np.round(rng.normal(size=n), 1)
        y = rng.integers(0, 2, size=n)
        y[0], y[1] = 0, 1
        out.append({"scores": s.tolist(), "y": y.tolist(), "auc": float(roc_auc_score(y, s))})
    return out


def binom_cases():
    return [{"k": k, "n": n, "p": float(stats.binomtest(k, n, 0.5, alternative="greater").pvalue)}
            for k, n in [(0, 10), (5, 10), (9, 10), (120, 200), (100, 200), (560, 1000), (1200, 2000), (60, 100)]]


def main():
    digits = load_digits().data.astype(np.uint8)
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "digits_all.npy"), digits)
    fixtures = {"sklearn_version": sklearn.__version__, "scipy_version": scipy.__version__,
                "logistic": logistic_cases(digits), "blur": blur_cases(digits), "auc": auc_cases(),
                "binom": binom_cases()}
    with open(os.path.join(OUT, "detectors.json"), "w") as f:
        json.dump(fixtures, f)
    print("wrote", OUT + "/digits_all.npy", "and", OUT + "/detectors.json")


if __name__ == "__main__":
    main()
