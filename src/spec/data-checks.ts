// Labels, targets and CPU sizes: what src/data would refuse (DataError) or run out of memory on
// at run time, judged from the spec. Like schema.ts's crossCheck, they read the raw input defensively.
import { MAX_CPU_ARRAY_NUMBERS, formatCount, withinBudget } from '../data/limits';
import { GENERATED_KINDS, TARGET_KINDS, isClassificationKind, isCount, isRecord, plural, type Path } from './vocabulary';

/** Collects one problem at a field path. */
export type Report = (path: Path, message: string) => void;

/** Where a data set's labels come from: its own y, its class labels, data.target, or nowhere. */
type LabelSource = 'y' | 'classes' | 'target' | 'none';

function labelSource(set: Record<string, unknown>, hasTarget: boolean): LabelSource | undefined {
  if (set.kind === 'points') return set.y !== undefined ? 'y' : hasTarget ? 'target' : 'none';
  if (isClassificationKind(set.kind)) return 'classes';
  if ((GENERATED_KINDS as readonly unknown[]).includes(set.kind)) return hasTarget ? 'target' : 'none';
  return undefined; // an unknown kind has its own issue
}

/** The number of points of a well-formed data set, and the field that sets it. */
function setSize(set: Record<string, unknown>): { n: number; field: string } | undefined {
  if (set.kind === 'points') return Array.isArray(set.x) && set.x.length > 0 ? { n: set.x.length, field: 'x' } : undefined;
  return isCount(set.n) ? { n: set.n, field: 'n' } : undefined;
}

const SPLITS = ['train', 'test'] as const;
const quoted = (v: unknown) => JSON.stringify(v);

export function checkLabelsAndSizes(spec: Record<string, unknown>, report: Report): void {
  const model = isRecord(spec.model) ? spec.model : undefined;
  const data = isRecord(spec.data) ? spec.data : undefined;
  if (!model || !data) return;
  const train = isRecord(spec.train) ? spec.train : {};
  const d = isCount(model.inputDim) ? model.inputDim : undefined;
  const k = model.outputDim === undefined ? 1 : isCount(model.outputDim) ? model.outputDim : undefined;
  const E = model.ensemble === undefined ? 1 : isCount(model.ensemble) ? model.ensemble : undefined;
  const target = isRecord(data.target) ? data.target : undefined;
  const crossEntropy = train.loss === 'cross_entropy';
  const sets = SPLITS.flatMap((which) => (isRecord(data[which]) ? [{ which, set: data[which] as Record<string, unknown> }] : []));
  const labelled = sets.map(({ which, set }) => ({ which, set, source: labelSource(set, target !== undefined) }));

  // Two-class kinds: their own labels, so no target, and k = 1 (±1) or 2 (one-hot) (src/data encodeLabels).
  for (const { which, set, source } of labelled) {
    if (source !== 'classes') continue;
    if (target !== undefined) {
      report(['data', 'target'], `expected no data.target: data.${which}.kind ${quoted(set.kind)} carries its own class labels (label "circle", "sphere", "gaussian" or "points" inputs with a target instead); received a ${quoted(target.kind)} target`);
    }
    if (k !== undefined && k > 2) {
      report(['model', 'outputDim'], `expected 1 (±1 labels) or 2 (one-hot labels) for the two-class data.${which}.kind ${quoted(set.kind)}; received ${k}`);
    }
  }

  // The target, where it labels a set: defined for these dimensions (src/data makeTarget), and real-valued.
  const targetUsers = labelled.filter((l) => l.source === 'target').map((l) => `data.${l.which}`);
  if (target && targetUsers.length > 0) {
    const kind = target.kind;
    const others = '"teacher", "single_index" or "quadratic"';
    if (kind === 'quadratic' && d !== undefined && d < 2) {
      report(['data', 'target', 'kind'], `expected a target defined for model.inputDim = ${d} ("quadratic" is the centred ⟨w, x⟩² − ‖x‖²/d, identically 0 in one dimension: set model.inputDim ≥ 2, or use "teacher" or "single_index"); received "quadratic"`);
    }
    if ((kind === 'sin' || kind === 'cos') && d !== undefined && d !== 2) {
      report(['data', 'target', 'kind'], `expected a target for model.inputDim = ${d} dimensions (${quoted(kind)} is a function of the angle of a planar input: set model.inputDim to 2, or use ${others}); received ${quoted(kind)}`);
    }
    if ((kind === 'sin' || kind === 'cos') && k !== undefined && k !== 1) {
      report(['data', 'target', 'kind'], `expected a target with model.outputDim = ${k} outputs (${quoted(kind)} has one output: set model.outputDim to 1, or use ${others}); received ${quoted(kind)}`);
    }
    if (crossEntropy && (TARGET_KINDS as readonly unknown[]).includes(kind)) {
      report(['data', 'target', 'kind'], `expected classification labels for train.loss "cross_entropy" (±1 for one output, one-hot rows for more: a two-class data kind spirals, xor or circles, or points with such y; or train.loss "mse"); received ${quoted(kind)}, a real-valued target, labelling ${targetUsers.join(' and ')}`);
    }
  }

  // cross_entropy is logistic log(1 + e^{−y·f}) with y = ±1 for one output, softmax with one-hot y for k > 1 (kernels/loss.ts).
  if (crossEntropy && k !== undefined) {
    for (const { which, set, source } of labelled) {
      if (source !== 'y' || !Array.isArray(set.y)) continue;
      set.y.forEach((row: unknown, i: number) => {
        if (!Array.isArray(row) || row.length !== k || !row.every((v) => typeof v === 'number')) return; // a shape issue of its own
        const ok = k === 1 ? row[0] === 1 || row[0] === -1 : row.every((v) => v === 0 || v === 1) && row.filter((v) => v === 1).length === 1;
        if (ok) return;
        const what =
          k === 1
            ? `a label −1 or 1 (train.loss "cross_entropy" with one output is the logistic loss log(1 + e^{−y·f})${row[0] === 0 ? '; write class 0 as −1' : ''})`
            : `a one-hot row: ${k} numbers, one 1 and the rest 0 (train.loss "cross_entropy" with model.outputDim = ${k} is the softmax cross-entropy)`;
        report(['data', which, 'y', i], `expected ${what}; received ${quoted(row)}`);
      });
    }
  }

  // CPU sizes (data/limits.ts): the inputs n × d and labels n × k of each generated set, the target's weights,
  // and the empirical NTK on the train and test points read back from the GPU, E × ((n + n_test) × k)².
  for (const { which, set, source } of labelled) {
    const size = setSize(set);
    if (!size) continue;
    const n = formatCount(size.n);
    const path: Path = ['data', which, size.field];
    const nName = size.field === 'n' ? `data.${which}.n` : `the ${n} rows of data.${which}.x`;
    const inputsTooBig = size.field === 'n' && d !== undefined && size.n * d > MAX_CPU_ARRAY_NUMBERS;
    if (inputsTooBig) {
      report(path, `expected model.inputDim × data.${which}.n ${withinBudget('input numbers')}; received ${formatCount(d)} × ${n} = ${formatCount(d * size.n)}`);
    }
    // (the labels only when the inputs fit: the fix is the same)
    if (!inputsTooBig && source !== 'y' && k !== undefined && size.n * k > MAX_CPU_ARRAY_NUMBERS) {
      report(path, `expected model.outputDim × ${nName} ${withinBudget('labels')}; received ${formatCount(k)} × ${n} = ${formatCount(k * size.n)}`);
    }
  }
  const sizes = labelled.map((l) => ({ which: l.which, size: setSize(l.set) }));
  if (k !== undefined && E !== undefined && sizes.every((s) => s.size)) {
    const N = sizes.reduce((sum, s) => sum + s.size!.n, 0);
    const numbers = E * (N * k) ** 2;
    if (numbers > MAX_CPU_ARRAY_NUMBERS) {
      const largest = sizes.reduce((a, b) => (b.size!.n > a.size!.n ? b : a));
      const terms = sizes.map((s) => formatCount(s.size!.n)).join(' + ');
      const points = sizes.length > 1 ? `(${terms})` : terms;
      report(['data', largest.which, largest.size!.field], `expected model.ensemble × ((train + test points) × model.outputDim)² ${withinBudget('numbers')}: the empirical NTK on them is read back to the CPU; received ${E} × (${points} × ${k})² = ${formatCount(numbers)}`);
    }
  }
  if (target && targetUsers.length > 0 && d !== undefined && k !== undefined) checkTargetSize(target, d, k, report);
}

/** The weights a target draws on the CPU: the teacher's layers [d, m_1, …, m_L, k], one w per output otherwise. */
function checkTargetSize(target: Record<string, unknown>, d: number, k: number, report: Report): void {
  if (target.kind === 'single_index' || target.kind === 'quadratic') {
    if (d * k > MAX_CPU_ARRAY_NUMBERS) report(['data', 'target', 'kind'], `expected model.outputDim × model.inputDim ${withinBudget('weights')} for the ${quoted(target.kind)} target; received ${formatCount(k)} × ${formatCount(d)} = ${formatCount(k * d)}`);
    return;
  }
  if (target.kind !== 'teacher' || !Array.isArray(target.hidden) || !target.hidden.every(isCount)) return;
  const hidden = target.hidden as number[];
  const widths = [d, ...hidden, k];
  const names = ['model.inputDim', ...hidden.map((_, i) => `data.target.hidden[${i}]`), 'model.outputDim'];
  let total = 0;
  let reported = false;
  for (let l = 0; l + 1 < widths.length; l++) {
    const count = widths[l] * widths[l + 1];
    total += count;
    if (count > MAX_CPU_ARRAY_NUMBERS) {
      // layer l maps widths[l] → widths[l + 1]: blame the hidden width it involves (the readout's input for the last layer)
      const at: Path = hidden.length === 0 ? ['data', 'target', 'hidden'] : ['data', 'target', 'hidden', Math.min(l, hidden.length - 1)];
      report(at, `expected ${names[l + 1]} × ${names[l]} ${withinBudget('weights')} in teacher layer ${l}; received ${formatCount(widths[l + 1])} × ${formatCount(widths[l])} = ${formatCount(count)}`);
      reported = true;
    }
  }
  if (!reported && total > MAX_CPU_ARRAY_NUMBERS) {
    report(['data', 'target', 'hidden'], `expected the teacher's weights in all ${withinBudget('weights')}; received ${formatCount(total)} over ${plural(widths.length - 1, 'layer')}`);
  }
}

/**
 * What training needs beyond a valid spec (`widenet run`, the pages' Train button; `widenet ntk`
 * runs without labels): labels for data.train, its own y, its class labels or a data.target.
 */
export function checkTrainingLabels(spec: unknown, report: Report): void {
  if (!isRecord(spec) || !isRecord(spec.data) || !isRecord(spec.data.train)) return;
  const set = spec.data.train;
  if (labelSource(set, spec.data.target !== undefined) !== 'none') return;
  if (set.kind === 'points') {
    report(['data', 'train', 'y'], 'required field is missing for training; expected labels to train on: "y" with the points (one row per row of x), or a data.target to label them');
  } else {
    report(['data', 'target'], `required field is missing for training; expected a target to label the data.train inputs (${quoted(set.kind)} carries no labels), like {"kind": "teacher", "hidden": [4]}, or a two-class data kind (spirals, xor, circles)`);
  }
}

