/**
 * A bar chart as inline SVG built with DOM APIs (no library, no innerHTML): the CSP allows
 * neither inline scripts nor inline styles, so looks come from classes in styles.css.
 */
const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export interface Series {
  name: string;
  className: string;
  values: number[];
}

/** Grouped bars per label; each series has its own scale (lessons and pupil-visits differ by 100×). */
export function barChart(title: string, labels: string[], series: Series[]): SVGSVGElement {
  const width = 760;
  const height = 260;
  const pad = { top: 34, right: 10, bottom: 40, left: 10 };
  const plotH = height - pad.top - pad.bottom;
  const groupW = (width - pad.left - pad.right) / Math.max(1, labels.length);
  const barW = Math.min(28, (groupW * 0.8) / series.length);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  root.append(svg('title', {}, title));
  series.forEach((s, i) => {
    root.append(svg('rect', { x: pad.left + i * 150, y: 6, width: 14, height: 14, class: s.className }));
    root.append(svg('text', { x: pad.left + i * 150 + 20, y: 18, class: 'chart-legend' }, s.name));
  });
  root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: pad.top + plotH, y2: pad.top + plotH, class: 'chart-axis' }));
  series.forEach((s, si) => {
    const max = Math.max(1, ...s.values);
    s.values.forEach((v, li) => {
      const h = (v / max) * (plotH - 14);
      const x = pad.left + li * groupW + (groupW - barW * series.length) / 2 + si * barW;
      const y = pad.top + plotH - h;
      const bar = svg('rect', { x, y, width: Math.max(1, barW - 2), height: h, class: s.className });
      bar.append(svg('title', {}, `${labels[li]} ${s.name}: ${v}`));
      root.append(bar);
      if (labels.length <= 12) root.append(svg('text', { x: x + barW / 2 - 1, y: y - 3, class: 'chart-value' }, String(v)));
    });
  });
  labels.forEach((l, li) => {
    root.append(svg('text', { x: pad.left + li * groupW + groupW / 2, y: height - pad.bottom + 18, class: 'chart-label' }, l));
  });
  return root;
}
