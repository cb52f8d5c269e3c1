// One chart type, written as a plain SVG string: grouped bars (one group per case, one bar per
// implementation) on a log₁₀ axis, since the implementations differ by orders of magnitude. A
// plotting library (Vega, Plotly, D3) would bring a DOM or a headless renderer into the Node side
// for ~80 lines of markup; plain SVG opens in any browser and renders inside GitHub's Markdown.

export interface BarGroup {
  label: string;
  bars: { series: string; value: number | null }[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function groupedBarChart(title: string, yLabel: string, groups: BarGroup[], note = ''): string {
  const series = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.series)))];
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v): v is number => v !== null && v > 0);
  const lo = Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = Math.ceil(Math.log10(Math.max(...values, 10)));
  const [left, top, plotH, barW, gap] = [70, 50, 260, 18, 26];
  const groupW = series.length * barW + gap;
  const width = Math.max(480, left + groups.length * groupW + 20);
  const height = top + plotH + 110;
  const y = (v: number) => top + plotH - ((Math.log10(v) - lo) / (hi - lo || 1)) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    note ? `<text x="${left}" y="36" fill="#b00020">${esc(note)}</text>` : '',
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)} (log scale)</text>`,
  ];
  for (let e = lo; e <= hi; e++) {
    out.push(`<line x1="${left}" x2="${width - 10}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toPrecision(1)}</text>`);
  }
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + gap / 2;
    g.bars.forEach((b) => {
      const si = series.indexOf(b.series);
      const x = x0 + si * barW;
      if (b.value === null || !(b.value > 0)) out.push(`<text x="${x + barW / 2}" y="${top + plotH - 4}" text-anchor="middle" fill="#888">–</text>`);
      else out.push(`<rect x="${x}" y="${y(b.value)}" width="${barW - 2}" height="${top + plotH - y(b.value)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${b.series}, ${g.label}: ${b.value.toPrecision(4)}`)}</title></rect>`);
    });
    out.push(`<text transform="translate(${x0 + (series.length * barW) / 2} ${top + plotH + 12}) rotate(30)" font-size="10">${esc(g.label)}</text>`);
  });
  series.forEach((s, si) => {
    const x = left + si * 150;
    out.push(`<rect x="${x}" y="${height - 18}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`, `<text x="${x + 16}" y="${height - 8}">${esc(s)}</text>`);
  });
  out.push('</svg>');
  return out.filter(Boolean).join('\n') + '\n';
}
