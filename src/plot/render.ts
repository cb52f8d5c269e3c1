// Figures are Vega-Lite specs (one grammar for the CLI, the benchmark reports and the pages),
// rendered here in Node without a browser: vega-lite compiles to Vega, Vega's headless view
// writes SVG, and resvg (a Rust SVG renderer with prebuilt binaries, no native build) rasterises
// it to PNG. Both libraries are loaded on first use, so that other commands do not pay for them.
import type { TopLevelSpec } from 'vega-lite';
import { withFigureConfig } from './figure-config';

export { FIGURE_CONFIG, withFigureConfig } from './figure-config';

export type FigureFormat = 'svg' | 'png';

/** The figure's format from its file name (.svg or .png), or an error naming what was expected. */
export function figureFormat(path: string): FigureFormat {
  const m = /\.(svg|png)$/i.exec(path);
  if (!m) throw new Error(`--out ${path}: expected a file name ending in .svg or .png`);
  return m[1].toLowerCase() as FigureFormat;
}

/** The SVG text of a Vega-Lite spec. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(withFigureConfig(spec)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The figure as SVG text or PNG bytes (rendered at twice the SVG's size for sharp text). */
export async function renderFigure(spec: TopLevelSpec, format: FigureFormat): Promise<string | Uint8Array> {
  const svg = await renderSvg(spec);
  if (format === 'svg') return svg;
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
