// Closed-form kernel-regression predictions (float64, CPU): the function a linearised network
// (or an infinitely wide one, with Θ∞) computes under gradient flow or discrete GD on the MSE
// loss L = 1/(2nk)·Σ‖f(x_i) − y_i‖² (neural-tangents' convention; Lee et al. 2019, arXiv:1902.06720).
// With Θ the n×n kernel per output and η the learning rate, the train residual r = f − y obeys
//   flow:  dr/dt = −(η/(n·k))·Θ r           ⇒  r(t) = V e^{−ηΛt/(nk)} Vᵀ r(0)
//   GD:    r_{s+1} = (I − (η/(n·k))·Θ) r_s  ⇒  r_s  = V (1 − ηΛ/(nk))^s Vᵀ r(0)
// and on test inputs  f(X*) = f₀(X*) − Θ(X*, X) V diag((1 − decay_i)/λ_i) Vᵀ r(0),
// where (1 − decay)/λ → η·t/(nk) (flow) or η·s/(nk) (GD) as λ → 0.
// Θ = V Λ Vᵀ comes from ml-matrix's symmetric eigendecomposition: a maintained, dependency-free
// float64 linear-algebra package (JAMA's algorithms), which the browser bundle can carry too.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface KernelRegressionProblem {
  /** Θ(X, X), n×n, symmetric positive semi-definite (per output) */
  kernel: number[][];
  /** targets y, n×k */
  y: number[][];
  /** outputs at initialisation f₀(X), n×k (zeros for a centred model) */
  f0?: number[][];
  /** Θ(X*, X), t×n, and f₀(X*), t×k, for test predictions */
  testKernel?: number[][];
  testF0?: number[][];
  lr: number;
}

export interface KernelRegressionPrediction {
  /** f(X) at the requested time, n×k */
  train: number[][];
  test: number[][] | null;
  /** MSE loss 1/(2nk)·Σ(f − y)² on the train set */
  trainLoss: number;
}

export class KernelRegression {
  private readonly values: number[];
  private readonly vectors: Matrix;
  private readonly n: number;
  private readonly k: number;
  /** Vᵀ r(0), n×k */
  private readonly projected: Matrix;

  constructor(readonly problem: KernelRegressionProblem) {
    const n = problem.kernel.length;
    if (n === 0 || problem.kernel.some((row) => row.length !== n)) throw new Error(`kernel regression: the kernel must be square n×n; got ${n} rows of lengths ${[...new Set(problem.kernel.map((r) => r.length))].join(', ')}`);
    if (problem.y.length !== n) throw new Error(`kernel regression: y has ${problem.y.length} rows, expected n = ${n}`);
    if (!(problem.lr > 0)) throw new Error(`kernel regression: the learning rate must be > 0, got ${problem.lr}`);
    const bad = problem.kernel.reduce((c, row) => c + row.filter((v) => !Number.isFinite(v)).length, 0);
    if (bad > 0) throw new Error(`kernel regression: ${bad} of ${n * n} kernel entries are non-finite (NaN or ±Infinity); the kernel overflowed`);
    this.n = n;
    this.k = problem.y[0].length;
    const kernel = new Matrix(problem.kernel);
    const symmetric = kernel.add(kernel.transpose()).mul(0.5); // float32 kernels are symmetric only to rounding
    const evd = new EigenvalueDecomposition(symmetric, { assumeSymmetric: true });
    this.values = evd.realEigenvalues;
    this.vectors = evd.eigenvectorMatrix;
    const f0 = problem.f0 ? new Matrix(problem.f0) : Matrix.zeros(n, this.k);
    this.projected = this.vectors.transpose().mmul(f0.sub(new Matrix(problem.y)));
  }

  /** Largest eigenvalue λ_max: GD on the MSE diverges for η > 2·n·k/λ_max. */
  get maxEigenvalue(): number {
    return Math.max(...this.values);
  }

  /**
   * The prediction after gradient-flow time t (= η·steps, DESIGN.md §4) or after `steps` discrete
   * GD steps. `test` replaces the problem's test points (Θ(X*, X) and f₀(X*)), reusing the same
   * eigendecomposition.
   */
  predict(mode: 'flow' | 'gd', timeOrSteps: number, test?: { kernel: number[][]; f0?: number[][] }): KernelRegressionPrediction {
    const { n, k } = this;
    const c = this.problem.lr / (n * k);
    // decay_i and g_i = (1 − decay_i)/λ_i
    const decay = this.values.map((l) => (mode === 'flow' ? Math.exp((-l * timeOrSteps) / (n * k)) : (1 - c * l) ** timeOrSteps));
    const gain = this.values.map((l, i) => {
      if (Math.abs(l) > 1e-12 * Math.max(1, this.maxEigenvalue)) return (1 - decay[i]) / l;
      return mode === 'flow' ? timeOrSteps / (n * k) : c * timeOrSteps; // the λ → 0 limit
    });
    const scaleRows = (m: Matrix, s: number[]) => Matrix.from1DArray(m.rows, m.columns, m.to2DArray().flatMap((row, i) => row.map((v) => v * s[i])));
    const residual = this.vectors.mmul(scaleRows(this.projected, decay)); // r(t), n×k
    let trainLoss = 0;
    for (const v of residual.to1DArray()) trainLoss += v * v;
    trainLoss /= 2 * n * k;
    // (ml-matrix's add/sub work in place: residual becomes f = r + y here)
    const train = residual.add(new Matrix(this.problem.y));
    const testKernel = test?.kernel ?? this.problem.testKernel;
    const testF0 = test ? test.f0 : this.problem.testF0;
    let testPrediction: number[][] | null = null;
    if (testKernel) {
      const t = testKernel.length;
      const f0 = testF0 ? new Matrix(testF0) : Matrix.zeros(t, k);
      const step = this.vectors.mmul(scaleRows(this.projected, gain)); // V diag(g) Vᵀ r(0)
      testPrediction = f0.sub(new Matrix(testKernel).mmul(step)).to2DArray();
    }
    return { train: train.to2DArray(), test: testPrediction, trainLoss };
  }
}
