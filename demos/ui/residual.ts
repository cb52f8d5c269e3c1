// The pages' residual-network controls (issue 14): B residual blocks (0 = the plain MLP) and the
// branch multiplier β, as the spec's model.residual: h₀ = Dense_in(x); h_b = h_{b−1} + β·Dense_b(φ(h_{b−1})),
// f = Dense_out(φ(h_B)), with one stream width m (model.hidden = [m]). β's rules are the spec's
// (src/spec/resolve.ts branchMultiplier); depth-µP (Tensor Programs VI, arXiv:2310.02244) is 1/√B.
import { DEPTH_PARAMETERIZATIONS, MAX_BLOCKS, PARAMETERIZATIONS, type ExperimentSpecInput } from '../../src/index';
import { BRANCH_MULTIPLIERS } from '../../src/spec/vocabulary';
import { branchMultiplierField, intField } from './url-state';

/** Every parameterization a page offers: the four of any MLP, then depth-mup (residual nets only; the spec refuses it without blocks). */
export const PAGE_PARAMETERIZATIONS = [...PARAMETERIZATIONS, ...DEPTH_PARAMETERIZATIONS] as const;
export type PageParameterization = (typeof PAGE_PARAMETERIZATIONS)[number];

/** The most blocks a page offers (each block is an m×m weight matrix per ensemble member). */
export const PAGE_MAX_BLOCKS = Math.min(64, MAX_BLOCKS);
const BETA_MAX = 100;

export type BranchMultiplier = (typeof BRANCH_MULTIPLIERS)[number] | number;

/** `blocks` (0: plain MLP) and `beta` (the branch multiplier, default 1/√B). */
export const residualFields = () => ({
  blocks: intField(0, PAGE_MAX_BLOCKS, 0),
  beta: branchMultiplierField(BRANCH_MULTIPLIERS, BETA_MAX, '1/sqrt(blocks)'),
});

/**
 * The model's hidden widths and residual block: a plain MLP of `depth` hidden layers of `width`
 * when blocks is 0, else a residual stream of width `width` with `blocks` blocks (depth unused).
 */
export function hiddenAndResidual(width: number, depth: number, blocks: number, beta: BranchMultiplier): Pick<ExperimentSpecInput['model'], 'hidden' | 'residual'> {
  return blocks > 0
    ? { hidden: [width], residual: { blocks, branchMultiplier: beta } }
    : { hidden: Array.from({ length: depth }, () => width) };
}

/** "B = 4, β = 1/sqrt(blocks)" or "" for a plain net (panel titles). */
export function residualLabel(blocks: number, beta: BranchMultiplier): string {
  return blocks > 0 ? `B = ${blocks}, β = ${beta}` : '';
}
