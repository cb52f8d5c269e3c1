// Closed-form kernel-regression predictions (float64, CPU): the function a linearised network
// (or an infinitely wide one, with Θ∞) computes under gradient flow or discrete GD on the MSE
// loss L = 1/(2nk)·Σ‖f(x_i) − y_i‖² (neural-tangents' convention; Lee et al. 2019, arXiv:1902.06720).
// With Θ the n×n kernel per output and η the learning rate, the train residual r = f − y obeys
//   flow:  dr/dt = −(η/(n·k))·Θ r           ⇒  r(t) = V e^{−ηΛt/(nk)} Vᵀ r(0)
//   GD:    r_{s+1} = (I − (η/(n·k))·Θ) r_s  ⇒  r_s  = V (1 − ηΛ/(nk))^s Vᵀ r(0)
// and on test inputs  f(X*) = f₀(X*) − Θ(X*, X) V diag((1 − decay_i)/λ_i) Vᵀ r(0),
// where (1 − decay)/λ → η·t/(nk) (flow) or η·s/(nk) (GD) as λ → 0.
//
// Ridge (train.weightDecay λ_wd, trainer.ts): with the penalty (λ_wd/2)·Σ_p (η/η_p)·‖θ_p − θ_p(0)‖²,
// u = f − f₀ obeys u ← (1 − ηλ_wd)·u − (η/(nk))·Θ·r, i.e. per eigenpair (λ_i, v_i) with ρ = n·k·λ_wd
//   decay_i = (1 − (η/(nk))(λ_i + ρ))^s   (GD)    or   e^{−(λ_i + ρ)·t/(nk)}   (flow)
//   g_i = (1 − decay_i)/(λ_i + ρ),   r_i(t) = (1 − λ_i·g_i)·r_i(0),   f(X*) = f₀(X*) − Θ(X*, X) V diag(g) Vᵀ r(0)
// (ρ = 0 gives the ridgeless forms above). As t → ∞, g_i → 1/(λ_i + ρ): kernel ridge regression
//   f(X*) = f₀(X*) − Θ(X*, X)(Θ + ρI)⁻¹ r(0),
// the minimum-norm interpolant Θ⁺ for ρ = 0 (eigenvalues ≤ N·ε₃₂·λ_max, numpy's rcond for the
// float32 kernel, count as 0).
// Θ = V Λ Vᵀ comes from ml-matrix's symmetric eigendecomposition: a maintained, dependency-free
// float64 linear-algebra package (JAMA's algorithms), which the browser bundle can carry too.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { EPS32 } from '../check/tolerance';

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
  /** λ of train.weightDecay (default 0): ridge ρ = n·k·λ in the units of the kernel */
  weightDecay?: number;
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
    const wd = problem.weightDecay ?? 0;
    if (!(wd >= 0) || !Number.isFinite(wd)) throw new Error(`kernel regression: the weight decay must be a finite number ≥ 0, got ${wd}`);
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

  /** Largest eigenvalue λ_max: GD on the MSE diverges for η > 2·n·k/(λ_max + ρ). */
  get maxEigenvalue(): number {
    return Math.max(...this.values);
  }

  /** ρ = n·k·λ_wd, the ridge in the units of the kernel. */
  get ridge(): number {
    return this.n * this.k * (this.problem.weightDecay ?? 0);
  }

  /**
   * g_i = (1 − decay_i)/(λ_i + ρ) and decay_i at a time (Infinity: the t → ∞ limit, g_i = 1/(λ_i + ρ),
   * with the pseudo-inverse's cutoff).
   */
  private gains(mode: 'flow' | 'gd', timeOrSteps: number): number[] {
    const { n, k } = this;
    const c = this.problem.lr / (n * k);
    const rho = this.ridge;
    const top = Math.max(...this.values.map(Math.abs)) + rho;
    if (timeOrSteps === Infinity) {
      const cutoff = n * k * EPS32 * top;
      return this.values.map((l) => (l + rho > cutoff ? 1 / (l + rho) : 0));
    }
    return this.values.map((l) => {
      const s = l + rho;
      const decay = mode === 'flow' ? Math.exp((-s * timeOrSteps) / (n * k)) : (1 - c * s) ** timeOrSteps;
      if (Math.abs(s) > 1e-12 * Math.max(1, top)) return (1 - decay) / s;
      return mode === 'flow' ? timeOrSteps / (n * k) : c * timeOrSteps; // the λ + ρ → 0 limit
    });
  }

  /** V diag(g) Vᵀ r(0) (n×k): f(X*) = f₀(X*) − Θ(X*, X)·this; at Infinity −(Θ + ρI)⁺ r(0), the dual coefficients of ridge regression. */
  coefficients(mode: 'flow' | 'gd', timeOrSteps: number): number[][] {
    return this.vectors.mmul(scaleRows(this.projected, this.gains(mode, timeOrSteps))).to2DArray();
  }

  /** The t → ∞ limit: kernel ridge regression with ridge ρ (ρ = 0: the minimum-norm interpolant). */
  limit(test?: { kernel: number[][]; f0?: number[][] }): KernelRegressionPrediction {
    return this.predict('flow', Infinity, test);
  }

  /**
   * The prediction after gradient-flow time t (= η·steps, DESIGN.md §4) or after `steps` discrete
   * GD steps. `test` replaces the problem's test points (Θ(X*, X) and f₀(X*)), reusing the same
   * eigendecomposition.
   */
  predict(mode: 'flow' | 'gd', timeOrSteps: number, test?: { kernel: number[][]; f0?: number[][] }): KernelRegressionPrediction {
    const { n, k } = this;
    const gain = this.gains(mode, timeOrSteps);
    // r_i(t) = (1 − λ_i·g_i)·r_i(0): decay_i for ρ = 0
    const residual = this.vectors.mmul(scaleRows(this.projected, this.values.map((l, i) => 1 - l * gain[i]))); // r(t), n×k
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

/** diag(s)·m */
const scaleRows = (m: Matrix, s: number[]) => Matrix.from1DArray(m.rows, m.columns, m.to2DArray().flatMap((row, i) => row.map((v) => v * s[i])));
