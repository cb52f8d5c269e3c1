// Exports: the data behind the plots (CSV or JSON), the figure (PNG, the page's plot canvases
// composed into one image with their titles) and the experiment spec that `widenet run`
// accepts (validated by the library's own parser before it is offered).
import { parseSpec, type ExperimentSpecInput } from '../../src/index';

export interface ExportFile {
  name: string;
  blob: Blob;
  text?: string;
}

export function textFile(name: string, text: string, type: string): ExportFile {
  return { name, blob: new Blob([text], { type }), text };
}

/** Rows of records as CSV (header = union of keys in first-seen order; numbers as written by JS). */
export function toCsv(rows: readonly Record<string, unknown>[]): string {
  const keys: string[] = [];
  for (const row of rows) for (const k of Object.keys(row)) if (!keys.includes(k)) keys.push(k);
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : JSON.stringify(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(','), ...rows.map((r) => keys.map((k) => cell(r[k])).join(','))].join('\n') + '\n';
}

export function csvFile(name: string, rows: readonly Record<string, unknown>[]): ExportFile {
  return textFile(name, toCsv(rows), 'text/csv');
}

export function jsonFile(name: string, value: unknown): ExportFile {
  return textFile(name, JSON.stringify(value, null, 2) + '\n', 'application/json');
}

/** The spec, validated by parseSpec (what `widenet run` runs), with every default written out. */
export function specFile(name: string, spec: ExperimentSpecInput): ExportFile {
  return jsonFile(name, parseSpec(spec, 'page state'));
}

/** Composes titled canvases into one PNG, in rows of `columns`. */
export async function figurePng(name: string, items: { title: string; canvas: HTMLCanvasElement }[], columns = 2): Promise<ExportFile> {
  if (items.length === 0) throw new Error('nothing to export yet: no plot is drawn');
  const pad = 8;
  const titleHeight = 18;
  const cellW = Math.max(...items.map((i) => i.canvas.width));
  const cellH = Math.max(...items.map((i) => i.canvas.height)) + titleHeight;
  const cols = Math.min(columns, items.length);
  const rows = Math.ceil(items.length / cols);
  const out = document.createElement('canvas');
  out.width = cols * (cellW + pad) + pad;
  out.height = rows * (cellH + pad) + pad;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = '#111';
  ctx.font = '600 13px system-ui, sans-serif';
  items.forEach((item, i) => {
    const x = pad + (i % cols) * (cellW + pad);
    const y = pad + Math.floor(i / cols) * (cellH + pad);
    ctx.fillText(item.title, x, y + 13);
    ctx.drawImage(item.canvas, x, y + titleHeight);
  });
  const blob = await new Promise<Blob | null>((resolve) => out.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the browser could not encode the figure as PNG');
  return { name, blob };
}
