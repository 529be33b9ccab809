// L2-regularised logistic regression on standardised features, fitted by Newton's method: the
// baseline the Fraud Detection Handbook reports beside its trees (scikit-learn's LogisticRegression
// with C = 1 on StandardScaler output). Few features, so the exact Hessian is cheap and the fit is the
// optimum, not an approximation that depends on a step size or on row order.

export interface LogisticRegressionOptions {
  /** Inverse regularisation strength, as scikit-learn's C: the penalty is |w|² / (2C). Default 1. */
  c?: number;
  maxIterations?: number;
  /** Stop when the largest change of a coefficient is below this. */
  tolerance?: number;
}

export interface LogisticRegressionModel {
  kind: 'logistic-regression';
  /** Standardisation: x' = (x - mean) / scale (scale 1 for a constant feature). */
  means: number[];
  scales: number[];
  /** Coefficients on the standardised features. */
  weights: number[];
  intercept: number;
  iterations: number;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function predictLogistic(model: LogisticRegressionModel, x: ArrayLike<number>): number {
  let z = model.intercept;
  for (let j = 0; j < model.weights.length; j++) {
    z += (model.weights[j]! * (x[j]! - model.means[j]!)) / model.scales[j]!;
  }
  return sigmoid(z);
}

/** Solves A·v = b for a symmetric positive definite A (Cholesky); A is overwritten. */
function solveSymmetric(a: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  for (let j = 0; j < n; j++) {
    let d = a[j]![j]!;
    for (let k = 0; k < j; k++) d -= a[j]![k]! * a[j]![k]!;
    if (!(d > 0)) throw new Error('logistic regression: the Hessian is not positive definite');
    const root = Math.sqrt(d);
    a[j]![j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= a[i]![k]! * a[j]![k]!;
      a[i]![j] = s / root;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= a[i]![k]! * y[k]!;
    y[i] = s / a[i]![i]!;
  }
  const v = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= a[k]![i]! * v[k]!;
    v[i] = s / a[i]![i]!;
  }
  return v;
}

/** Fits on row-major features and 0/1 labels; the intercept is not penalised. */
export function fitLogisticRegression(
  rows: readonly ArrayLike<number>[],
  labels: Uint8Array,
  options: LogisticRegressionOptions = {},
): LogisticRegressionModel {
  const c = options.c ?? 1;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-8;
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  if (n === 0) throw new Error('logistic regression: no rows to fit');
  if (!(c > 0)) throw new RangeError(`C must be > 0, got ${c}`);

  const means = new Array<number>(d).fill(0);
  const scales = new Array<number>(d).fill(0);
  for (const x of rows) for (let j = 0; j < d; j++) means[j] = means[j]! + x[j]!;
  for (let j = 0; j < d; j++) means[j] = means[j]! / n;
  for (const x of rows) for (let j = 0; j < d; j++) scales[j] = scales[j]! + (x[j]! - means[j]!) ** 2;
  for (let j = 0; j < d; j++) scales[j] = Math.sqrt(scales[j]! / n) || 1;
  const z = rows.map((x) =>
    Float64Array.from({ length: d + 1 }, (_, j) => (j < d ? (x[j]! - means[j]!) / scales[j]! : 1)),
  );

  // beta[0..d-1] are the weights, beta[d] the intercept
  let beta = new Float64Array(d + 1);
  const objective = (b: Float64Array): number => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (let j = 0; j <= d; j++) m += b[j]! * z[i]![j]!;
      // log(1 + e^m) - y·m, computed without overflow
      loss += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - (labels[i] ? m : 0);
    }
    let penalty = 0;
    for (let j = 0; j < d; j++) penalty += b[j]! ** 2;
    return c * loss + penalty / 2;
  };
  let current = objective(beta);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const gradient = new Float64Array(d + 1);
    const hessian = Array.from({ length: d + 1 }, () => new Float64Array(d + 1));
    for (let i = 0; i < n; i++) {
      const zi = z[i]!;
      let m = 0;
      for (let j = 0; j <= d; j++) m += beta[j]! * zi[j]!;
      const p = sigmoid(m);
      const r = c * (p - labels[i]!);
      const w = c * Math.max(p * (1 - p), 1e-12);
      for (let j = 0; j <= d; j++) {
        gradient[j] = gradient[j]! + r * zi[j]!;
        const row = hessian[j]!;
        const wz = w * zi[j]!;
        for (let k = 0; k <= j; k++) row[k] = row[k]! + wz * zi[k]!;
      }
    }
    for (let j = 0; j < d; j++) {
      gradient[j] = gradient[j]! + beta[j]!;
      hessian[j]![j] = hessian[j]![j]! + 1;
    }
    for (let j = 0; j <= d; j++) for (let k = j + 1; k <= d; k++) hessian[j]![k] = hessian[k]![j]!;
    const step = solveSymmetric(hessian, gradient);
    // Newton's step, halved until the objective does not rise (it rarely needs to be)
    let scale = 1;
    let next = beta.map((b, j) => b - step[j]!);
    let value = objective(next);
    while (value > current && scale > 1e-6) {
      scale /= 2;
      next = beta.map((b, j) => b - scale * step[j]!);
      value = objective(next);
    }
    const change = Math.max(...next.map((b, j) => Math.abs(b - beta[j]!)));
    beta = next;
    current = value;
    if (change < tolerance) {
      iterations++;
      break;
    }
  }
  return {
    kind: 'logistic-regression',
    means,
    scales,
    weights: Array.from(beta.subarray(0, d)),
    intercept: beta[d]!,
    iterations,
  };
}
