// Closed-form population risks of quadratic models on the sphere (float64, no GPU imports):
// random features (RF), the linearised network (NT) and the network itself (NN) with the quadratic
// activation φ(z) = z²/2 on the quadratic target y = xᵀBx (Ghorbani, Mei, Misiakiewicz & Montanari,
// "Linearized two-layers neural networks in high dimension", arXiv:1904.12191, §3; data/targets.ts).
//
// Every model here is a quadratic form. A bias-free two-layer network with φ(z) = z²/2,
// f(x) = c·Σ_i a_i (w_i·x)², c a constant of the parameterization, is xᵀAx with A = c·Σ_i a_i w_i w_iᵀ:
//   RF (only a trained):  A ∈ span{w_i w_iᵀ}                                      (m matrices)
//   NT (linearised):      ∂f/∂a_i ∝ w_i w_iᵀ, ∂f/∂w_i ∝ a_i(w_i uᵀ + u w_iᵀ), so A ∈ S_NT with
//                         S_NT = {A = Aᵀ : (I − P)A(I − P) = 0}, P the projector onto span{w_i}
//   NN (trained network): every symmetric A of rank ≤ N (N = m neurons; a_i of either sign)
// f(θ₀) lies in all three, so α and the centring change nothing for RF and NT (the centred network,
// α(f − f₀), is a difference of two rank-N forms: no closed form here).
//
// Population risk on x uniform on the sphere of radius R in R^d. With E[x_i x_j x_k x_l] =
// R⁴/(d(d+2))·(δ_ij δ_kl + δ_ik δ_jl + δ_il δ_jk), for a symmetric error matrix M = A − B
//   R(A) = ½·E[(xᵀMx)²] = ½·R⁴/(d(d+2))·((tr M)² + 2‖M‖_F²)      (½: the MSE 1/(2n) Σ (f − y)²)
// so the risk is a squared norm, Q(M) = (tr M)² + 2‖M‖_F², and each model's best risk is the
// Q-distance from B to its class:
//   NT: with M_PP, M_PQ free and M_QQ = B⊥ = (I − P)B(I − P) fixed, the minimum has M_PQ = 0 and
//       M_PP = −(tr B⊥/(r + 2))·P (r = rank P), so  min Q = 2‖B⊥‖_F² + 2(tr B⊥)²/(r + 2);
//   RF: the Q-orthogonal projection onto span{w_i w_iᵀ}: Gram G_ij = |w_i|²|w_j|² + 2(w_i·w_j)²,
//       b_i = |w_i|² tr B + 2 w_iᵀBw_i, coefficients G⁺b, min Q = Q(B) − bᵀG⁺b;
//   NN: by Hoffman–Wielandt the best A shares B's eigenvectors u_j (eigenvalues λ_j); keeping a set S of
//       N of them with μ_j = λ_j + T/(N + 2), T = Σ_{j∉S} λ_j, gives Q = 2Σ_{j∉S} λ_j² + 2T²/(N + 2),
//       minimised over S (the "best rank-N approximation" in the norm Q, not Frobenius: the trace term
//       is the sphere's constant ‖x‖² = R²). N ≥ d: 0.
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition, pseudoInverse } from 'ml-matrix';

export type SquareMatrix = number[][];

/** A model's best population risk and the matrix A that attains it (f(x) = xᵀAx). */
export interface QuadraticRisk {
  risk: number;
  matrix: SquareMatrix;
}

function checkSquare(what: string, M: SquareMatrix, d?: number): number {
  const n = M.length;
  if (n < 1 || !M.every((row) => row.length === n && row.every(Number.isFinite))) throw new Error(`${what}: expected a finite square matrix; received ${n} rows`);
  if (d !== undefined && n !== d) throw new Error(`${what}: expected a ${d}×${d} matrix; received ${n}×${n}`);
  return n;
}

function checkRadius(radius: number): void {
  if (!(radius > 0) || !Number.isFinite(radius)) throw new Error(`expected a sphere radius: a finite number > 0; received ${radius}`);
}

/** ½·E[(xᵀMx)²] for x uniform on the sphere of radius R in R^d: ½·R⁴/(d(d+2))·((tr M)² + 2‖M_sym‖_F²). */
export function quadraticFormRisk(M: SquareMatrix, radius: number): number {
  const d = checkSquare('quadraticFormRisk', M);
  checkRadius(radius);
  let trace = 0;
  let frob = 0;
  for (let i = 0; i < d; i++) {
    trace += M[i][i];
    for (let j = 0; j < d; j++) frob += ((M[i][j] + M[j][i]) / 2) ** 2;
  }
  return (0.5 * radius ** 4 * (trace * trace + 2 * frob)) / (d * (d + 2));
}

const minus = (A: SquareMatrix, B: SquareMatrix) => A.map((row, i) => row.map((v, j) => v - B[i][j]));
const symmetric = (B: SquareMatrix) => B.map((row, i) => row.map((v, j) => (v + B[j][i]) / 2));

/** The projector onto span{w_i} (rows of W, m × d) and its rank (singular values above d·ε·σ_max). */
export function rowSpaceProjector(W: number[][]): { P: SquareMatrix; rank: number } {
  const d = W[0]?.length ?? 0;
  if (W.length < 1 || d < 1 || !W.every((row) => row.length === d && row.every(Number.isFinite))) throw new Error('rowSpaceProjector: expected a finite m × d matrix of first-layer weights');
  const svd = new SingularValueDecomposition(new Matrix(W), { autoTranspose: true });
  const sigma = svd.diagonal;
  const V = svd.rightSingularVectors;
  const tol = Math.max(W.length, d) * Number.EPSILON * Math.max(...sigma);
  const keep = sigma.map((s, i) => [s, i] as const).filter(([s]) => s > tol).map(([, i]) => i);
  const P = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => keep.reduce((s, i) => s + V.get(a, i) * V.get(b, i), 0)));
  return { P, rank: keep.length };
}

/** NT, the linearised network from first-layer weights W (m × d): min over S_NT of R(A) (see the header). */
export function linearizedQuadraticRisk(W: number[][], B: SquareMatrix, radius: number): QuadraticRisk {
  const { P, rank: r } = rowSpaceProjector(W);
  const d = checkSquare('linearizedQuadraticRisk: the target matrix', B, P.length);
  const Bs = symmetric(B);
  const Q = P.map((row, i) => row.map((v, j) => (i === j ? 1 : 0) - v));
  const Bperp = new Matrix(Q).mmul(new Matrix(Bs)).mmul(new Matrix(Q)).to2DArray();
  let tracePerp = 0;
  for (let i = 0; i < d; i++) tracePerp += Bperp[i][i];
  // optimal error M* = B⊥ − (tr B⊥/(r + 2))·P, so A* = B − M*
  const M = Bperp.map((row, i) => row.map((v, j) => v - (tracePerp / (r + 2)) * P[i][j]));
  return { risk: quadraticFormRisk(M, radius), matrix: minus(Bs, M) };
}

/** RF, random features φ(w_i·x) with W (m × d) frozen: the Q-projection of B onto span{w_i w_iᵀ}. */
export function randomFeaturesQuadraticRisk(W: number[][], B: SquareMatrix, radius: number): QuadraticRisk {
  const d = checkSquare('randomFeaturesQuadraticRisk: the target matrix', B, W[0]?.length);
  if (!W.every((row) => row.length === d && row.every(Number.isFinite))) throw new Error(`randomFeaturesQuadraticRisk: expected finite first-layer weights with ${d} columns`);
  const Bs = symmetric(B);
  const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
  const quad = (w: number[]) => dot(w, Bs.map((row) => dot(row, w)));
  let traceB = 0;
  for (let i = 0; i < d; i++) traceB += Bs[i][i];
  // ⟨M, N⟩_Q = tr M·tr N + 2 tr(MN) for M = w_i w_iᵀ, N = w_j w_jᵀ and N = B
  const G = W.map((wi) => W.map((wj) => dot(wi, wi) * dot(wj, wj) + 2 * dot(wi, wj) ** 2));
  const b = W.map((w) => dot(w, w) * traceB + 2 * quad(w));
  const c = pseudoInverse(new Matrix(G)).mmul(Matrix.columnVector(b)).to1DArray();
  const A = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => W.reduce((s, w, n) => s + c[n] * w[i] * w[j], 0)));
  return { risk: quadraticFormRisk(minus(Bs, A), radius), matrix: A };
}

/** How many dropped-eigenvalue patterns bestRankQuadraticRisk may enumerate. */
const MAX_PATTERNS = 1_000_000;

/** NN, the best network of N neurons: min over symmetric A of rank ≤ N of R(A) (see the header). */
export function bestRankQuadraticRisk(B: SquareMatrix, N: number, radius: number): QuadraticRisk {
  const d = checkSquare('bestRankQuadraticRisk: the target matrix', B);
  if (!Number.isSafeInteger(N) || N < 1) throw new Error(`bestRankQuadraticRisk: expected a number of neurons N ≥ 1; received ${N}`);
  const Bs = symmetric(B);
  if (N >= d) return { risk: 0, matrix: Bs };
  const eig = new EigenvalueDecomposition(new Matrix(Bs), { assumeSymmetric: true });
  const lambda = eig.realEigenvalues;
  const U = eig.eigenvectorMatrix;
  // equal eigenvalues are interchangeable: enumerate how many of each group are dropped (d − N in all)
  const scale = Math.max(1e-300, ...lambda.map(Math.abs));
  const groups: { value: number; members: number[] }[] = [];
  [...lambda.keys()].sort((i, j) => lambda[i] - lambda[j]).forEach((i) => {
    const last = groups[groups.length - 1];
    if (last && Math.abs(lambda[i] - last.value) <= 1e-9 * scale) last.members.push(i);
    else groups.push({ value: lambda[i], members: [i] });
  });
  const patterns = groups.reduce((p, g) => p * (g.members.length + 1), 1);
  if (patterns > MAX_PATTERNS) throw new Error(`bestRankQuadraticRisk: ${d} distinct eigenvalues give ${patterns} patterns to compare; expected at most ${MAX_PATTERNS} (d ≤ about 19 for a generic matrix)`);
  const drop = d - N;
  let best: { objective: number; counts: number[] } | null = null;
  const counts = new Array<number>(groups.length).fill(0);
  const search = (g: number, left: number) => {
    if (g === groups.length) {
      if (left !== 0) return;
      let sq = 0;
      let T = 0;
      groups.forEach((group, i) => {
        sq += counts[i] * group.value ** 2;
        T += counts[i] * group.value;
      });
      const objective = sq + (T * T) / (N + 2);
      if (!best || objective < best.objective) best = { objective, counts: counts.slice() };
      return;
    }
    for (let c = 0; c <= Math.min(left, groups[g].members.length); c++) {
      counts[g] = c;
      search(g + 1, left - c);
    }
    counts[g] = 0;
  };
  search(0, drop);
  const chosen = (best as { counts: number[] } | null)!.counts;
  const dropped = new Set<number>();
  let T = 0;
  groups.forEach((group, i) => group.members.slice(0, chosen[i]).forEach((j) => {
    dropped.add(j);
    T += lambda[j];
  }));
  const A = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  lambda.forEach((l, j) => {
    if (dropped.has(j)) return;
    const mu = l + T / (N + 2);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) A[a][b] += mu * U.get(a, j) * U.get(b, j);
  });
  return { risk: quadraticFormRisk(minus(Bs, A), radius), matrix: A };
}
