// The figures' one look (a white background, the same font in Node's resvg and in browsers),
// shared by plot/render.ts (Node) and the gallery pages (demos/ui/grid-figure.ts), which import
// this module rather than render.ts so that no Node-only renderer reaches a page.
import type { TopLevelSpec } from 'vega-lite';

/** One standard look: a white background, the same font in Node (resvg) and in browsers. */
export const FIGURE_CONFIG = {
  background: 'white',
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const },
};

/** A figure's Vega-Lite spec with the standard look (its own config, if any, wins). */
export const withFigureConfig = (spec: TopLevelSpec): TopLevelSpec => ({ config: FIGURE_CONFIG, ...spec }) as TopLevelSpec;
