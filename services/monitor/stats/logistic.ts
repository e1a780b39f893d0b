/**
 * L2-regularised binary logistic regression, fitted by Newton's method: the same objective as
 * scikit-learn's `LogisticRegression(penalty='l2', C=C)` (intercept fitted and not penalised),
 *
 *   min over w, b:  ½‖w‖² + C · Σᵢ log(1 + exp(−sᵢ (w·xᵢ + b))),   sᵢ = ±1,
 *
 * so its coefficients equal sklearn's (newton-cg, tol 1e-12) within 1e-9 (test/monitor/stats-c2st).
 * The objective is strictly convex (the ½‖w‖² term, and the intercept's curvature is positive
 * while both classes are present), so Newton with a backtracking line search converges in a
 * few iterations. Each iteration costs O(n·d²) for the Hessian plus O(d³) for its Cholesky
 * factorisation: for d = 64 and n = 800 rows that is ~3.4 M multiply-adds.
 */

/** Options of {@link fitLogistic}. */
export interface LogisticOptions {
  /** Inverse regularisation strength (sklearn's C). @default 1 */
  C?: number;
  /** Newton iterations at most. @default 50 */
  maxIter?: number;
  /** Stop when the gradient's largest entry is below this. @default 1e-8 */
  tol?: number;
}

/** A fitted model: decision value w·x + b. */
export interface LogisticModel {
  weights: Float64Array;
  intercept: number;
  /** Newton iterations used. */
  iterations: number;
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Solves H·x = g in place in `g` (H symmetric positive definite, row-major p × p; H is overwritten). */
function choleskySolve(H: Float64Array, g: Float64Array, p: number): void {
  for (let j = 0; j < p; j++) {
    let s = H[j * p + j] as number;
    for (let k = 0; k < j; k++) s -= (H[j * p + k] as number) ** 2;
    // A tiny floor keeps a numerically singular pivot (only possible with one class) finite.
    const d = Math.sqrt(Math.max(s, 1e-300));
    H[j * p + j] = d;
    for (let i = j + 1; i < p; i++) {
      let t = H[i * p + j] as number;
      for (let k = 0; k < j; k++) t -= (H[i * p + k] as number) * (H[j * p + k] as number);
      H[i * p + j] = t / d;
    }
  }
  for (let i = 0; i < p; i++) {
    let t = g[i] as number;
    for (let k = 0; k < i; k++) t -= (H[i * p + k] as number) * (g[k] as number);
    g[i] = t / (H[i * p + i] as number);
  }
  for (let i = p - 1; i >= 0; i--) {
    let t = g[i] as number;
    for (let k = i + 1; k < p; k++) t -= (H[k * p + i] as number) * (g[k] as number);
    g[i] = t / (H[i * p + i] as number);
  }
}

/**
 * Fits the model on the rows `rows` of `x` (row-major, `dim` columns), labels `y` (0/1, one per
 * row of `x`).
 * @throws RangeError when there are no rows or `C` is not positive.
 */
export function fitLogistic(x: Float64Array, dim: number, y: Uint8Array, rows: Int32Array, opts: LogisticOptions = {}): LogisticModel {
  const C = opts.C ?? 1;
  const maxIter = opts.maxIter ?? 50;
  const tol = opts.tol ?? 1e-8;
  if (!(C > 0)) throw new RangeError(`logistic: C must be > 0, got ${C}`);
  const n = rows.length;
  if (n === 0) throw new RangeError('logistic: no rows');
  const p = dim + 1; // weights, then the intercept
  const theta = new Float64Array(p);
  const z = new Float64Array(n);
  const grad = new Float64Array(p);
  const H = new Float64Array(p * p);
  const xi = new Float64Array(p);
  const objective = (t: Float64Array): number => {
    let reg = 0;
    for (let j = 0; j < dim; j++) reg += (t[j] as number) ** 2;
    let loss = 0;
    for (let a = 0; a < n; a++) {
      const r = rows[a] as number;
      let s = t[dim] as number;
      const o = r * dim;
      for (let j = 0; j < dim; j++) s += (t[j] as number) * (x[o + j] as number);
      loss += softplus(y[r] ? -s : s);
    }
    return 0.5 * reg + C * loss;
  };
  let f = objective(theta);
  let it = 0;
  for (; it < maxIter; it++) {
    grad.fill(0);
    H.fill(0);
    for (let a = 0; a < n; a++) {
      const r = rows[a] as number;
      const o = r * dim;
      let s = theta[dim] as number;
      for (let j = 0; j < dim; j++) {
        const v = x[o + j] as number;
        xi[j] = v;
        s += (theta[j] as number) * v;
      }
      xi[dim] = 1;
      z[a] = s;
      const pr = sigmoid(s);
      const e = C * (pr - (y[r] as number));
      const wgt = C * pr * (1 - pr);
      for (let j = 0; j < p; j++) {
        const vj = xi[j] as number;
        grad[j] = (grad[j] as number) + e * vj;
        if (wgt === 0 || vj === 0) continue;
        const wv = wgt * vj;
        const base = j * p;
        for (let k = 0; k <= j; k++) H[base + k] = (H[base + k] as number) + wv * (xi[k] as number);
      }
    }
    for (let j = 0; j < dim; j++) {
      grad[j] = (grad[j] as number) + (theta[j] as number);
      H[j * p + j] = (H[j * p + j] as number) + 1;
    }
    for (let j = 0; j < p; j++) for (let k = j + 1; k < p; k++) H[j * p + k] = H[k * p + j] as number;
    let gmax = 0;
    for (let j = 0; j < p; j++) gmax = Math.max(gmax, Math.abs(grad[j] as number));
    if (gmax < tol) break;
    const step = Float64Array.from(grad);
    choleskySolve(H, step, p);
    // Backtracking (Armijo) on the objective: a full Newton step is almost always taken.
    let dec = 0;
    for (let j = 0; j < p; j++) dec += (grad[j] as number) * (step[j] as number);
    let t = 1;
    const next = new Float64Array(p);
    let fNext = f;
    for (let ls = 0; ls < 40; ls++) {
      for (let j = 0; j < p; j++) next[j] = (theta[j] as number) - t * (step[j] as number);
      fNext = objective(next);
      if (fNext <= f - 1e-4 * t * dec) break;
      t /= 2;
    }
    if (!(fNext < f)) break; // no progress is possible at float precision: converged
    theta.set(next);
    const rel = (f - fNext) / Math.max(1, Math.abs(f));
    f = fNext;
    if (rel < 1e-15) break;
  }
  return { weights: theta.slice(0, dim), intercept: theta[dim] as number, iterations: it };
}

/** The decision value w·x + b of row `r` of `x`. */
export function decision(model: LogisticModel, x: Float64Array, dim: number, r: number): number {
  let s = model.intercept;
  const o = r * dim;
  for (let j = 0; j < dim; j++) s += (model.weights[j] as number) * (x[o + j] as number);
  return s;
}
