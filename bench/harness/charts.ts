// The benchmark report's charts: grouped bars (one group per case, one bar per implementation)
// on a log₁₀ axis, since the implementations differ by orders of magnitude. A Vega-Lite spec
// rendered by plot/render.ts, the renderer of `widenet plot`: one plotting grammar in the project.
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../../src/plot/render';

export interface BarGroup {
  label: string;
  bars: { series: string; value: number | null }[];
}

/** The Vega-Lite spec; missing or non-positive values (a skipped case) are drawn as a grey dash. */
export function groupedBarSpec(title: string, yLabel: string, groups: BarGroup[], note = ''): TopLevelSpec {
  const rows = groups.flatMap((g, order) => g.bars.map((b) => ({ case: g.label, order, series: b.series, value: b.value !== null && b.value > 0 ? b.value : null })));
  return {
    title: { text: title, subtitle: note || undefined, subtitleColor: '#b00020' },
    data: { values: rows },
    width: { step: 18 },
    height: 260,
    encoding: {
      x: { field: 'case', type: 'nominal', sort: { field: 'order', op: 'min' }, title: null, axis: { labelAngle: 30 } },
      xOffset: { field: 'series', type: 'nominal' },
    },
    layer: [
      {
        transform: [{ filter: 'datum.value !== null' }],
        mark: 'bar',
        encoding: {
          y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, stack: null, title: `${yLabel} (log scale)` },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } },
          tooltip: [{ field: 'series' }, { field: 'case' }, { field: 'value', format: '.4g' }],
        },
      },
      { transform: [{ filter: 'datum.value === null' }], mark: { type: 'text', text: '–', color: '#888', baseline: 'bottom' }, encoding: { y: { value: 258 } } },
    ],
  } as TopLevelSpec;
}

export function groupedBarChart(title: string, yLabel: string, groups: BarGroup[], note = ''): Promise<string> {
  return renderSvg(groupedBarSpec(title, yLabel, groups, note));
}
