// Before any GPU work of `widenet run`: every point's network tensors checked against the device's
// buffer limits, so that a width that cannot be allocated fails at once with the LimitExceededError
// that names the tensor, instead of after minutes of initialising weights (a width of 10⁸ with
// n = 8 spent ~78 s on SwiftShader before its [8, 10⁸] activations were refused). Also the
// empirical NTK's tensors (the signals δ [E, k, n, m] are k times the activations), which every
// record computes in memory on the train set and the probe (since 2026-12-02).
// The tensors are those of src/ntk/memory.ts (the one list of what a network of a config allocates);
// the limit check is the runtime's own (src/gpu/buffer-sizes.ts allocationSize).
import { allocationSize } from '../gpu/buffer-sizes';
import { inMemoryNtkTensors } from '../ntk/memory';
import { expandGrid, mlpConfig, pointWidth, type ExperimentSpec } from '../spec';

/** The tensors a training step of the network allocates whatever the kernel path (memory.ts's names): weights, biases, their draws, and the activations h, φ(h), φ'(h) on the inputs. */
const TRAINING_TENSOR = /^(W\d+|b\d+|W\d+ init draw|b\d+ init draw|h\d+|x\d+ = φ\(h\d+\)|φ'\(h\d+\)|x)$/;

type DataSpec = ExperimentSpec['data']['train'];
const rows = (d: DataSpec | null | undefined): number => (!d ? 0 : 'x' in d && Array.isArray(d.x) ? d.x.length : 'n' in d && typeof d.n === 'number' ? d.n : 0);

/**
 * Throws the LimitExceededError of the first tensor of the first point (of `indices`, or all) that
 * cannot be allocated within `limits` (the adapter's maxBufferSize and maxStorageBufferBindingSize).
 * The activations are counted on the largest of the train and test sets (the records evaluate both whole),
 * the NTK's tensors on the larger of the train set and the probe (the kernels the records compute).
 */
export function checkRunAllocations(spec: ExperimentSpec, limits: Record<string, number>, indices?: readonly number[], onPoint?: (width: number[], point: Record<string, unknown>) => void): void {
  for (const p of expandGrid(spec, indices)) {
    const width = pointWidth(p.spec);
    onPoint?.(width, p.point);
    const [train, test] = [rows(p.spec.data.train), rows(p.spec.data.test)];
    const n = Math.max(1, train, test);
    const nKernel = Math.max(1, train, p.spec.observe.probe === 'test' ? test : 0);
    const config = mlpConfig(p.spec, width);
    const check = (t: { name: string; shape: number[]; bytes: number }) => allocationSize(`tensor "${t.name}" of shape [${t.shape.join(', ')}] (${t.bytes.toLocaleString('en-US')} bytes, checked before the run)`, t.bytes, limits);
    for (const t of inMemoryNtkTensors(config, n)) if (TRAINING_TENSOR.test(t.name)) check(t);
    for (const t of inMemoryNtkTensors(config, nKernel)) if (!TRAINING_TENSOR.test(t.name)) check(t);
  }
}
