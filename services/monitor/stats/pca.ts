/** Principal components by power iteration with deflation (enough for a 2-D picture). */

/** The mean and top `k` unit eigenvectors of the covariance of row-major `x` (rows × cols). */
export function pca(x: Float64Array, rows: number, cols: number, k = 2, iterations = 100): { mean: Float64Array; components: Float64Array[] } {
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] = (mean[j] as number) + (x[i * cols + j] as number) / rows;
  const cov = new Float64Array(cols * cols);
  for (let i = 0; i < rows; i++) {
    for (let a = 0; a < cols; a++) {
      const da = (x[i * cols + a] as number) - (mean[a] as number);
      if (da === 0) continue;
      for (let b = a; b < cols; b++) cov[a * cols + b] = (cov[a * cols + b] as number) + da * ((x[i * cols + b] as number) - (mean[b] as number));
    }
  }
  for (let a = 0; a < cols; a++) for (let b = a; b < cols; b++) cov[b * cols + a] = cov[a * cols + b] as number;
  const components: Float64Array[] = [];
  for (let c = 0; c < Math.min(k, cols); c++) {
    let v = new Float64Array(cols).map((_, j) => 1 / Math.sqrt(cols) + (j === c ? 0.1 : 0));
    for (let it = 0; it < iterations; it++) {
      const w = new Float64Array(cols);
      for (let a = 0; a < cols; a++) {
        let s = 0;
        for (let b = 0; b < cols; b++) s += (cov[a * cols + b] as number) * (v[b] as number);
        w[a] = s;
      }
      // Deflate: remove the components already found.
      for (const u of components) {
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += (w[j] as number) * (u[j] as number);
        for (let j = 0; j < cols; j++) w[j] = (w[j] as number) - dot * (u[j] as number);
      }
      // A loop, not Math.hypot(...w): a spread of a wide row would overflow the stack.
      let sq = 0;
      for (let j = 0; j < cols; j++) sq += (w[j] as number) * (w[j] as number);
      const norm = Math.sqrt(sq);
      if (norm === 0) break;
      v = w.map((x2) => x2 / norm);
    }
    components.push(v);
  }
  return { mean, components };
}

/** Projects rows onto components: returns [x0, y0, x1, y1, …]. */
export function project(x: Float64Array, rows: number, cols: number, p: { mean: Float64Array; components: Float64Array[] }): Float64Array {
  const out = new Float64Array(rows * p.components.length);
  for (let i = 0; i < rows; i++) {
    p.components.forEach((u, c) => {
      let s = 0;
      for (let j = 0; j < cols; j++) s += ((x[i * cols + j] as number) - (p.mean[j] as number)) * (u[j] as number);
      out[i * p.components.length + c] = s;
    });
  }
  return out;
}
