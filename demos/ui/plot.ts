// Curves with uPlot (small, fast on live series: setData on every record costs little).
// A LinePlot holds its data so that the page (and the tests) can say what it shows.
import uPlot from 'uplot';
import { el } from './page';

const LOG_MIN = 1e-15;
const LOG_MAX = 1e15;

export const COLORS = ['#1f5fbf', '#c0392b', '#2e8b57', '#8e44ad', '#d35400', '#16a085', '#7f8c8d'];

export interface SeriesSpec {
  label: string;
  color?: string;
  dash?: number[];
  width?: number;
  /** draw points only (no line) */
  points?: boolean;
  fill?: string;
  /** draw markers at the data points as well as the line */
  markers?: boolean;
  /** join across missing values (for series sampled on a subset of x) */
  spanGaps?: boolean;
}

export interface LinePlotOptions {
  id: string;
  title: string;
  xLabel: string;
  yLabel?: string;
  series: SeriesSpec[];
  logX?: boolean;
  logY?: boolean;
  /** [upper series index, lower series index, fill colour] (1-based like uPlot: 0 is x) filled between */
  bands?: [number, number, string?][];
  width?: number;
  height?: number;
}

export class LinePlot {
  readonly u: uPlot;
  readonly root: HTMLElement;
  data: (number | null)[][];

  constructor(parent: HTMLElement, readonly opts: LinePlotOptions) {
    this.root = el('div', { id: opts.id, className: 'plot' }, [el('div', { className: 'plot-title', textContent: opts.title })]);
    parent.append(this.root);
    this.data = [[], ...opts.series.map(() => [])];
    const series: uPlot.Series[] = [
      { label: opts.xLabel },
      ...opts.series.map((s, i) => ({
        label: s.label,
        stroke: s.color ?? COLORS[i % COLORS.length],
        width: s.width ?? 1.5,
        dash: s.dash,
        fill: s.fill,
        spanGaps: s.spanGaps ?? false,
        points: s.points || s.markers ? { show: true, size: 6, fill: s.color ?? COLORS[i % COLORS.length] } : { show: false },
        paths: s.points ? () => null : undefined,
      })),
    ];
    this.u = new uPlot(
      {
        width: opts.width ?? 460,
        height: opts.height ?? 240,
        series,
        bands: opts.bands?.map(([hi, lo, fill]) => ({ series: [hi, lo] as [number, number], fill: fill ?? 'rgba(31,95,191,0.15)' })),
        scales: { x: { time: false, distr: opts.logX ? 3 : 1 }, y: { distr: opts.logY ? 3 : 1 } },
        axes: [{ label: opts.xLabel, size: 40 }, { label: opts.yLabel, size: 60 }],
        legend: { show: true, live: false },
        cursor: { show: true },
      },
      this.data as uPlot.AlignedData,
      this.root,
    );
  }

  /**
   * Replaces the data: x and one array per series. Gaps: null, non-finite values, and on log axes
   * values outside [1e-15, 1e15] (uPlot's log axes only label that range: below it a value is
   * float32 round-off of an exact 0, e.g. a loss that is 0).
   */
  setData(x: number[], ys: (number | null | undefined)[][]): void {
    const clean = (v: number | null | undefined, log?: boolean) => (v === null || v === undefined || !Number.isFinite(v) || (log && !(v >= LOG_MIN && v <= LOG_MAX)) ? null : v);
    this.data = [x.map((v) => clean(v, this.opts.logX)), ...ys.map((ys1) => ys1.map((v) => clean(v, this.opts.logY)))];
    // uPlot's log axes fail ("Invalid array length") on x values without a single y value to show
    // (e.g. every loss exactly 0): show an empty plot instead.
    if ((this.opts.logY || this.opts.logX) && !this.data.slice(1).some((s) => s.some((v, i) => v !== null && this.data[0][i] !== null))) {
      this.data = this.data.map(() => []);
    }
    this.u.setData(this.data as uPlot.AlignedData);
  }

  /** Finite points per series (what the tests read). */
  counts(): number[] {
    return this.data.slice(1).map((s) => s.filter((v) => v !== null).length);
  }

  get canvas(): HTMLCanvasElement {
    return this.u.ctx.canvas;
  }

  destroy(): void {
    this.u.destroy();
    this.root.remove();
  }
}
