// Cross-field checks of model.residual (issue 14), called from cross-checks.ts. Like the rest of
// crossCheck they read the half-parsed input defensively and judge only what is well-formed.
import { RESIDUAL_ONLY_PARAMETERIZATIONS, isCount, isRecord, plural, type Path } from './vocabulary';

const isWidthList = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every(isCount);

/** model.residual when it is an object (null and absent: a plain MLP). */
export function residualOf(model: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return model && isRecord(model.residual) ? model.residual : undefined;
}

/**
 * The index of the readout among the dense layers of a residual model (0 = Dense_in, 1..B =
 * branches, B + 1 = Dense_out), or undefined for a plain model or a malformed block count.
 */
export function residualReadoutIndex(model: Record<string, unknown> | undefined): number | undefined {
  const residual = residualOf(model);
  return residual && isCount(residual.blocks) ? residual.blocks + 1 : undefined;
}

/**
 * - model.residual needs one width per network (the residual stream): model.hidden [m], or a
 *   width sweep [[m1], [m2]] (model.hidden or sweep.hidden);
 * - a residual-only parameterization (depth-mup) needs model.residual, and its branch multiplier
 *   1/√B (Tensor Programs VI, arXiv:2310.02244: depth-µP is the 1/√B branch scaling with its
 *   learning-rate rule; a fixed β or 1/B is another scaling).
 */
export function checkResidualModel(spec: Record<string, unknown>, issue: (path: Path, message: string) => void): void {
  const model = isRecord(spec.model) ? spec.model : undefined;
  if (!model) return;
  const residual = residualOf(model);
  const parameterization = model.parameterization;
  if (typeof parameterization === 'string' && (RESIDUAL_ONLY_PARAMETERIZATIONS as readonly string[]).includes(parameterization)) {
    if (!residual) {
      issue(['model', 'parameterization'], `expected model.residual with parameterization ${JSON.stringify(parameterization)} (the depth-µP of Tensor Programs VI scales residual branches; add "residual": {"blocks": B}, or use "mup" for a plain MLP); received ${JSON.stringify(parameterization)} without model.residual`);
    } else if (residual.branchMultiplier !== undefined && residual.branchMultiplier !== '1/sqrt(blocks)' && (typeof residual.branchMultiplier === 'number' || typeof residual.branchMultiplier === 'string')) {
      issue(['model', 'residual', 'branchMultiplier'], `expected "1/sqrt(blocks)" (or no branchMultiplier) with parameterization ${JSON.stringify(parameterization)} (depth-µP's branch multiplier is 1/√B); received ${JSON.stringify(residual.branchMultiplier)}`);
    }
  }
  if (!residual) return;
  // train.quadratic is accepted: nets/second-order.ts propagates the second-order forward mode through the skips
  const sweep = isRecord(spec.sweep) ? spec.sweep : undefined;
  const oneWidth = (path: Path, list: number[]) => {
    if (list.length !== 1) {
      issue(path, `expected exactly one width with model.residual (the width m of the residual stream, like [1024]); received ${plural(list.length, 'width')} ${JSON.stringify(list)}`);
    }
  };
  for (const [path, value] of [[['model', 'hidden'], model.hidden], [['sweep', 'hidden'], sweep?.hidden]] as [Path, unknown][]) {
    if (isWidthList(value)) oneWidth(path, value);
    else if (Array.isArray(value)) value.forEach((list, i) => isWidthList(list) && oneWidth([...path, i], list));
  }
}
