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
  - ``binom``: ``scipy.stats.binomtest(k, n, 0.5, alternative='greater').pvalue``;
  - ``cvm``: ``scipy.stats.cramervonmises_2samp(x, y)`` (method auto: exact for both sizes
    <= 20, asymptotic above; ties in the asymptotic cases), and for every case the ECDF form
    of the statistic, n m / N^2 * sum over the pooled values of (F_x - F_y)^2, with the p-value
    scipy's own asymptotic formula gives it (``ecdf_statistic``, ``ecdf_pvalue``): equal to
    scipy's without ties; with ties scipy's midrank U is not the statistic (identical samples
    with many ties get p ~ 1e-9), and the monitor uses the ECDF form;
  - ``ad``: ``scipy.stats.anderson_ksamp([x, y])`` (midrank) statistic and p-value (p is
    scipy's table interpolation, capped at 0.25 and floored at 0.001).
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


def cvm_ecdf(x, y):
    from scipy.stats._hypotests import _cdf_cvm_inf
    z = np.sort(np.concatenate([x, y]))
    fx = np.searchsorted(np.sort(x), z, side="right") / len(x)
    fy = np.searchsorted(np.sort(y), z, side="right") / len(y)
    nx, ny = len(x), len(y)
    k, N = nx * ny, nx + ny
    t = k / N**2 * np.sum((fx - fy) ** 2)
    et = (1 + 1 / N) / 6
    vt = (N + 1) * (4 * k * N - 3 * (nx**2 + ny**2) - 2 * k) / (45 * N**2 * 4 * k)
    tn = 1 / 6 + (t - et) / np.sqrt(45 * vt)
    p = 1.0 if tn < 0.003 else max(0, 1.0 - float(_cdf_cvm_inf(tn)))
    return float(t), p


def cvm_cases():
    rng = np.random.default_rng(7)
    out = []
    for n1, n2, shift, dec in [(5, 7, 0.0, None), (10, 10, 1.0, None), (20, 15, 0.5, None), (8, 20, -0.8, None),
                               (50, 80, 0.0, None), (200, 100, 0.4, None), (30, 30, 0.2, 1), (500, 400, 0.0, 2), (300, 300, 1.0, None)]:
        x = rng.normal(size=n1)
        y = rng.normal(shift, size=n2)
        if dec is not None:
            x, y = np.round(x, dec), np.round(y, dec)
        r = stats.cramervonmises_2samp(x, y)
        et, ep = cvm_ecdf(x, y)
        out.append({"x": x.tolist(), "y": y.tolist(), "statistic": float(r.statistic), "pvalue": float(r.pvalue),
                    "method": "exact" if max(n1, n2) <= 20 else "asymptotic", "ties": dec is not None,
                    "ecdf_statistic": et, "ecdf_pvalue": ep})
    # Heavy ties: identical 5%-Bernoulli samples (scipy says p ~ 6e-10).
    rng2 = np.random.default_rng(1)
    x = (rng2.random(200) < 0.05) * 1.0
    y = (rng2.random(100) < 0.05) * 1.0
    r = stats.cramervonmises_2samp(x, y)
    et, ep = cvm_ecdf(x, y)
    out.append({"x": x.tolist(), "y": y.tolist(), "statistic": float(r.statistic), "pvalue": float(r.pvalue),
                "method": "asymptotic", "ties": True, "ecdf_statistic": et, "ecdf_pvalue": ep})
    return out


def ad_cases():
    import warnings
    rng = np.random.default_rng(8)
    out = []
    for n1, n2, shift, dec in [(20, 30, 0.0, None), (50, 50, 0.3, None), (100, 60, 0.5, None), (40, 40, 0.0, 1),
                               (200, 300, 0.15, None), (80, 90, 2.0, None), (500, 500, 0.0, 2), (60, 70, 0.45, None),
                               (100, 100, 0.35, None), (150, 120, 0.3, None), (70, 70, 0.5, None), (300, 200, 0.25, None)]:
        x = rng.normal(size=n1)
        y = rng.normal(shift, size=n2)
        if dec is not None:
            x, y = np.round(x, dec), np.round(y, dec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = stats.anderson_ksamp([x, y])
        out.append({"x": x.tolist(), "y": y.tolist(), "statistic": float(r.statistic), "pvalue": float(r.pvalue)})
    return out


def main():
    digits = load_digits().data.astype(np.uint8)
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "digits_all.npy"), digits)
    fixtures = {"sklearn_version": sklearn.__version__, "scipy_version": scipy.__version__,
                "logistic": logistic_cases(digits), "blur": blur_cases(digits), "auc": auc_cases(),
                "binom": binom_cases(), "cvm": cvm_cases(), "ad": ad_cases()}
    with open(os.path.join(OUT, "detectors.json"), "w") as f:
        json.dump(fixtures, f)
    print("wrote", OUT + "/digits_all.npy", "and", OUT + "/detectors.json")


if __name__ == "__main__":
    main()
