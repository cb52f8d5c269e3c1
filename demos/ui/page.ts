// The frame every demo page shares: header and links, the URL-state banner, the error banner
// (no WebGPU, GPU errors), the status line (adapter, software or not, steps per second), the
// play / pause / step / reset bar, the export buttons, form controls bound to URL fields, and
// `window.__widenetPage`, the page's state as the browser tests read it.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Runtime, type AdapterSummary } from '../../src/index';
import { FrameLoop } from './loop';
import { PAGES } from './pages';
import { formatUrlState, parseField, problemLines, readUrlState, shownValue, type Fields, type StateOf, type UrlProblem } from './url-state';

export { PAGES } from './pages';

export interface ExportRecord {
  kind: 'data' | 'figure' | 'spec';
  name: string;
  bytes: number;
  /** the text of text exports (CSV, JSON, spec); '' for images */
  text: string;
}

/** What a page publishes for tests and for the curious (console: __widenetPage). */
export interface PageHandle {
  page: string;
  /** true once the page has set itself up (device acquired, state checked against the adapter) or failed to */
  ready: boolean;
  error: string | null;
  errorName: string | null;
  adapter: AdapterSummary | null;
  urlProblems: UrlProblem[];
  /** warnings about the set-up (e.g. α > 1 without centring), shown in the #warnings banner */
  warnings: string[];
  /** the status line's text (what a reader sees: adapter, speed, and any error or divergence) */
  statusText: string;
  state: Record<string, unknown>;
  /** work done: optimizer steps (or ensemble members, widths: the page says) */
  steps: number;
  running: boolean;
  stepsPerSecond: number;
  /** page-specific summary of what its plots hold */
  data: Record<string, unknown>;
  exports: ExportRecord[];
}

declare global {
  interface Window {
    __widenetPage?: PageHandle;
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {}, children: (Node | string)[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}
export { el };

export class DemoPage<F extends Fields> {
  state: StateOf<F>;
  rt: Runtime | null = null;
  readonly handle: PageHandle;
  readonly main: HTMLElement;
  readonly controls: HTMLElement;
  readonly toolbar: HTMLElement;
  private readonly statusLine: HTMLElement;
  private readonly errorBox: HTMLElement;
  private readonly problemsBox: HTMLElement;
  private readonly warningsBox: HTMLElement;
  /** the refused-state banner's first line */
  private problemsHead = '';
  /** why the work stopped (an error, or a divergence), shown in the status line until the next reset */
  private stopNotes: string[] = [];
  private loop: FrameLoop | null = null;
  private statusNote = '';
  /** what a "step" is on this page, for the status line */
  stepUnit = 'steps';

  constructor(readonly id: string, readonly fields: F, opts: { title: string; intro: string }) {
    const { state, problems } = readUrlState(fields, location.search);
    this.state = state;
    const relative = id === 'index' ? './' : '../';
    const nav = el('nav', {}, PAGES.map((p) => el('a', { href: relative + p.path, textContent: p.title })));
    this.problemsBox = el('div', { id: 'url-problems', className: 'banner', role: 'status' });
    this.errorBox = el('div', { id: 'error', className: 'banner', role: 'alert' });
    this.warningsBox = el('div', { id: 'warnings', className: 'banner', role: 'status' });
    this.statusLine = el('p', { id: 'status', textContent: 'Starting…' });
    this.toolbar = el('div', { className: 'toolbar', id: 'toolbar' });
    this.controls = el('div', { className: 'controls', id: 'controls' });
    this.main = el('main', { id: 'main' });
    document.body.replaceChildren(el('header', {}, [nav, el('h1', { textContent: opts.title }), el('p', { textContent: opts.intro })]), this.problemsBox, this.warningsBox, this.errorBox, this.statusLine, this.toolbar, this.controls, this.main);
    this.handle = { page: id, ready: false, error: null, errorName: null, adapter: null, urlProblems: problems, warnings: [], statusText: '', state: { ...state }, steps: 0, running: false, stepsPerSecond: 0, data: {}, exports: [] };
    window.__widenetPage = this.handle;
    // anything uncaught still reaches the page's error banner, not only the console
    window.addEventListener('error', (e) => this.fail(e.error ?? e.message));
    window.addEventListener('unhandledrejection', (e) => this.fail(e.reason));
    if (problems.length > 0) {
      this.problemsHead = "Some of the link's settings were refused or ignored (a refused value's default is used instead):";
      this.renderProblems();
    }
    this.writeUrl();
  }

  /** Replaces part of the state and writes the URL (no reload). */
  setState(patch: Partial<StateOf<F>>): void {
    this.state = { ...this.state, ...patch };
    this.handle.state = { ...this.state };
    this.writeUrl();
  }

  private writeUrl(): void {
    history.replaceState(null, '', formatUrlState(this.fields, this.state));
  }

  /** A warning about the state found after load (e.g. a width over the adapter's limit), shown with the URL problems. */
  addProblem(problem: UrlProblem): void {
    this.handle.urlProblems.push(problem);
    this.problemsHead ||= 'Some settings were refused:';
    this.renderProblems();
  }

  /** The banner: its head and at most MAX_SHOWN_PROBLEMS lines ("… and N more"), as text. */
  private renderProblems(): void {
    this.problemsBox.textContent = [this.problemsHead, ...problemLines(this.handle.urlProblems)].join('\n');
    this.problemsBox.classList.add('shown');
  }

  /** Replaces the set-up warnings (recomputed by the page at each reset); none hides the banner. */
  setWarnings(warnings: (string | null)[]): void {
    const list = [...new Set(warnings.filter((w): w is string => !!w))];
    this.handle.warnings = list;
    this.warningsBox.textContent = list.map((w) => `⚠ ${w}`).join('\n');
    this.warningsBox.classList.toggle('shown', list.length > 0);
  }

  /**
   * Says in the status line why (part of) the work stopped: a divergence with its reason, or an
   * error. Kept until the next `clearError()` (a reset), so that a stopped page never looks merely paused.
   */
  stopped(note: string): void {
    if (!this.stopNotes.includes(note)) this.stopNotes.push(note);
    this.refreshStatus();
  }

  /**
   * Reduces a width, or each width of a list, in the state to `limit` (what the adapter holds),
   * with a message naming what was too wide.
   */
  clampWidths<K extends keyof F & string>(key: K, limit: number): void {
    const value = this.state[key] as number | number[];
    const list = Array.isArray(value) ? value : [value];
    const tooWide = list.filter((w) => w > limit);
    if (tooWide.length === 0) return;
    const kept = Array.isArray(value) ? [...new Set(list.map((w) => Math.min(w, limit)))] : Math.min(value, limit);
    const binding = this.rt?.limits.maxStorageBufferBindingSize;
    this.addProblem({ param: key, message: `width ${tooWide.join(', ')} does not fit this adapter (a tensor would exceed its maxStorageBufferBindingSize of ${binding} bytes); using ${this.fields[key].format(kept)}` });
    this.setState({ [key]: kept } as Partial<StateOf<F>>);
    this.syncControl(key, !Array.isArray(value));
  }

  /** Acquires the WebGPU device through the library; on failure shows what to enable and returns null. */
  async acquire(): Promise<Runtime | null> {
    this.status('Requesting a WebGPU adapter…');
    try {
      this.rt = await Runtime.create({ powerPreference: 'high-performance' });
      this.handle.adapter = this.rt.ctx.adapter;
      this.status('');
      return this.rt;
    } catch (e) {
      // NoAdapterError's message already says what to enable (flags, browsers).
      this.fail(e);
      return null;
    }
  }

  /** Shows an error in the error banner and stops the loop. */
  fail(e: unknown, prefix = ''): void {
    const error = e instanceof Error ? e : new Error(String(e));
    this.handle.error = error.message;
    this.handle.errorName = error.name;
    this.errorBox.textContent = prefix + error.message;
    this.errorBox.classList.add('shown');
    this.loop?.pause();
    this.handle.ready = true;
    // a note left by the step that failed ("building the networks…") no longer holds
    this.statusNote = '';
    this.stopped(`stopped by an error: ${prefix}${error.message}`);
  }

  clearError(): void {
    this.handle.error = null;
    this.handle.errorName = null;
    this.errorBox.textContent = '';
    this.errorBox.classList.remove('shown');
    this.stopNotes = [];
    this.refreshStatus();
  }

  /** A note in the status line after the adapter and speed. */
  status(note: string): void {
    this.statusNote = note;
    this.refreshStatus();
  }

  refreshStatus(): void {
    const a = this.handle.adapter;
    const adapter = a ? `adapter: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') || 'unknown'} (${a.software ? 'software: no GPU, slow' : 'hardware'})` : 'adapter: none';
    if (this.loop) {
      this.handle.running = this.loop.running;
      this.handle.stepsPerSecond = this.loop.stepsPerSecond;
    }
    const speed = `${this.handle.stepsPerSecond.toFixed(1)} ${this.stepUnit}/s`;
    const state = this.loop ? (this.loop.running ? 'running' : 'paused') : '';
    this.statusLine.textContent = [adapter, speed, `${this.handle.steps} ${this.stepUnit} done`, state, this.statusNote, ...this.stopNotes].filter(Boolean).join(' · ');
    this.handle.statusText = this.statusLine.textContent;
  }

  /** Runs `task` after every task queued before it (resets must not overlap); failures go to the error banner. */
  serial(task: () => Promise<void>): () => void {
    return () => {
      this.queue = this.queue.then(task).catch((e) => this.fail(e));
    };
  }
  private queue: Promise<void> = Promise.resolve();

  /** A frame loop over `tick` whose changes refresh the status line and whose errors reach the banner. */
  frameLoop(tick: () => Promise<number>): FrameLoop {
    return new FrameLoop(tick, () => this.refreshStatus(), (e) => this.fail(e));
  }

  /**
   * A frame loop over the page's current run queue (replaced on reset, hence the getter): each frame ticks
   * it (0 steps when there is none), then `after` runs, also after an error, so the plots show every run
   * finished before it.
   */
  queueLoop(queue: () => { tick(): Promise<number> } | null, after: () => void): FrameLoop {
    return this.frameLoop(async () => {
      try {
        return (await queue()?.tick()) ?? 0;
      } finally {
        after();
      }
    });
  }

  /** Play / pause / step / reset buttons driving a loop; reset is the page's. */
  addTransport(loop: FrameLoop, reset: () => Promise<void>): void {
    this.loop = loop;
    const play = el('button', { id: 'play', textContent: 'Play', onclick: () => loop.play() });
    const pause = el('button', { id: 'pause', textContent: 'Pause', onclick: () => loop.pause() });
    const step = el('button', { id: 'step', textContent: 'Step', onclick: () => void loop.step() });
    const resetButton = el('button', { id: 'reset', textContent: 'Reset', onclick: () => void reset() });
    this.toolbar.append(play, pause, step, resetButton);
  }

  /** An export button; `make` returns the file name and its content. */
  addExport(kind: ExportRecord['kind'], label: string, make: () => Promise<{ name: string; blob: Blob; text?: string }>): void {
    const button = el('button', {
      id: `export-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
      textContent: label,
      onclick: () => {
        void make()
          .then(({ name, blob, text }) => {
            this.handle.exports.push({ kind, name, bytes: blob.size, text: text ?? '' });
            const url = URL.createObjectURL(blob);
            const a = el('a', { href: url, download: name });
            document.body.append(a);
            a.click();
            a.remove();
            setTimeout(() => URL.revokeObjectURL(url), 10_000);
          })
          .catch((e) => this.fail(e, 'Export failed: '));
      },
    });
    this.toolbar.append(button);
  }

  // ------------------------------------------------------------------ controls bound to fields

  private wrap(label: string, input: HTMLElement, output?: HTMLElement): HTMLElement {
    const node = el('label', {}, [label, input, ...(output ? [output] : [])]);
    this.controls.append(node);
    return node;
  }

  /** A select over a field's values. */
  select<K extends keyof F & string>(key: K, label: string, values: readonly string[], onChange: () => void): HTMLSelectElement {
    const input = el('select', { id: `ctl-${key}` }, values.map((v) => el('option', { value: v, textContent: v })));
    input.value = String(this.state[key]);
    input.onchange = () => {
      this.setState({ [key]: input.value } as Partial<StateOf<F>>);
      onChange();
    };
    this.wrap(label, input);
    return input;
  }

  /** A text input parsed by the field's own schema; a refused value is reported and leaves the state as it was. */
  text<K extends keyof F & string>(key: K, label: string, onChange: () => void): HTMLInputElement {
    const field = this.fields[key];
    const input = el('input', { id: `ctl-${key}`, type: 'text', size: 24, value: field.format(this.state[key]) });
    input.onchange = () => {
      const parsed = parseField(field, input.value);
      if (!parsed.ok) {
        this.addProblem({ param: key, message: `${parsed.message}; received ${shownValue(input.value)}; kept ${field.format(this.state[key])}` });
        input.value = field.format(this.state[key]);
        return;
      }
      this.setState({ [key]: parsed.value } as Partial<StateOf<F>>);
      onChange();
    };
    this.wrap(label, input);
    return input;
  }

  /** A checkbox for a boolean field. */
  checkbox<K extends keyof F & string>(key: K, label: string, onChange: () => void): HTMLInputElement {
    const input = el('input', { id: `ctl-${key}`, type: 'checkbox', checked: this.state[key] === true });
    input.onchange = () => {
      this.setState({ [key]: input.checked } as Partial<StateOf<F>>);
      onChange();
    };
    this.wrap(label, input);
    return input;
  }

  /** A slider; `log` makes it move in log10 units, `integer` rounds (widths: both). */
  slider<K extends keyof F & string>(key: K, label: string, opts: { min: number; max: number; step: number; log?: boolean; integer?: boolean; format?: (v: number) => string }, onChange: () => void): HTMLInputElement {
    const toPos = (v: number) => (opts.log ? Math.log10(v) : v);
    const fromPos = (p: number) => {
      const v = opts.log ? 10 ** p : p;
      return opts.integer ? Math.round(v) : Number(v.toPrecision(3));
    };
    const input = el('input', { id: `ctl-${key}`, type: 'range', min: String(toPos(opts.min)), max: String(toPos(opts.max)), step: String(opts.step) });
    const output = el('output', { id: `out-${key}` });
    const show = (v: number) => (output.textContent = opts.format ? opts.format(v) : String(v));
    input.value = String(toPos(this.state[key] as number));
    show(this.state[key] as number);
    input.oninput = () => show(fromPos(Number(input.value)));
    input.onchange = () => {
      const v = Math.min(opts.max, Math.max(opts.min, fromPos(Number(input.value))));
      this.setState({ [key]: v } as Partial<StateOf<F>>);
      show(v);
      onChange();
    };
    this.wrap(label, input, output);
    return input;
  }

  /** Re-reads a control's position from the state (after the page clamps a value). */
  syncControl(key: keyof F & string, log = false): void {
    const input = document.getElementById(`ctl-${key}`) as HTMLInputElement | HTMLSelectElement | null;
    if (!input) return;
    const v = this.state[key];
    input.value = input.type === 'text' ? this.fields[key].format(v) : String(log ? Math.log10(v as number) : v);
    const out = document.getElementById(`out-${key}`);
    if (out) out.textContent = typeof v === 'number' && v >= 1e4 ? formatWidth(v) : String(v);
  }
}

/** Widths as people read them: 1000 → "1k", 1048576 → "1.05M". */
export function formatWidth(m: number): string {
  if (m >= 1e6) return `${Number((m / 1e6).toPrecision(3))}M`;
  if (m >= 1e4) return `${Number((m / 1e3).toPrecision(3))}k`;
  return String(m);
}
