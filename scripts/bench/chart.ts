import type { StepResult } from './ramp.js';

/**
 * Worker CPU % (left axis) and sampled loss % (right axis) against classrooms, as plain
 * SVG text, so the chart renders on GitHub without any plotting library.
 */
const W = 720;
const H = 400;
const M = { left: 60, right: 60, top: 40, bottom: 50 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function chartSvg(steps: StepResult[], title: string, cpuLimit: number, lossLimit: number): string {
  const maxX = Math.max(100, ...steps.map((s) => s.classrooms));
  const maxLoss = Math.max(2, ...steps.map((s) => s.sampledLossPct ?? 0));
  const x = (v: number) => M.left + (v / maxX) * PW;
  const yCpu = (v: number) => M.top + PH - (Math.min(v, 100) / 100) * PH;
  const yLoss = (v: number) => M.top + PH - (v / maxLoss) * PH;
  const f = (n: number) => n.toFixed(1);

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);

  // Grid and left axis (CPU %).
  for (let p = 0; p <= 100; p += 20) {
    parts.push(`<line x1="${M.left}" y1="${f(yCpu(p))}" x2="${M.left + PW}" y2="${f(yCpu(p))}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 8}" y="${f(yCpu(p) + 4)}" text-anchor="end" fill="#1f5fbf">${p}</text>`);
  }
  // Right axis (loss %).
  for (let k = 0; k <= 4; k++) {
    const v = (maxLoss * k) / 4;
    parts.push(`<text x="${M.left + PW + 8}" y="${f(yLoss(v) + 4)}" fill="#c0392b">${v.toFixed(2)}</text>`);
  }
  // Bottom axis (classrooms).
  const tick = maxX > 500 ? 100 : 50;
  for (let v = 0; v <= maxX; v += tick) {
    parts.push(`<line x1="${f(x(v))}" y1="${M.top + PH}" x2="${f(x(v))}" y2="${M.top + PH + 5}" stroke="#333"/>`);
    parts.push(`<text x="${f(x(v))}" y="${M.top + PH + 18}" text-anchor="middle">${v}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${M.left + PW / 2}" y="${H - 10}" text-anchor="middle">receiving classrooms (video + audio consumers each)</text>`);
  parts.push(`<text transform="translate(16 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle" fill="#1f5fbf">worker CPU % of one core</text>`);
  parts.push(`<text transform="translate(${W - 14} ${M.top + PH / 2}) rotate(90)" text-anchor="middle" fill="#c0392b">sampled loss %</text>`);

  // The stop bars: CPU limit (blue dashes) and loss limit (red dashes).
  parts.push(`<line x1="${M.left}" y1="${f(yCpu(cpuLimit))}" x2="${M.left + PW}" y2="${f(yCpu(cpuLimit))}" stroke="#1f5fbf" stroke-dasharray="6 4" opacity="0.6"/>`);
  if (lossLimit <= maxLoss) {
    parts.push(`<line x1="${M.left}" y1="${f(yLoss(lossLimit))}" x2="${M.left + PW}" y2="${f(yLoss(lossLimit))}" stroke="#c0392b" stroke-dasharray="2 4" opacity="0.6"/>`);
  }

  const series = (pts: [number, number][], color: string) => {
    if (pts.length === 0) return;
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${f(a)},${f(b)}`).join(' ')}"/>`);
    for (const [a, b] of pts) parts.push(`<circle cx="${f(a)}" cy="${f(b)}" r="3" fill="${color}"/>`);
  };
  series(steps.map((s) => [x(s.classrooms), yCpu(s.workerCpuPct)]), '#1f5fbf');
  series(steps.filter((s) => s.sampledLossPct !== null).map((s) => [x(s.classrooms), yLoss(s.sampledLossPct!)]), '#c0392b');

  // Legend.
  parts.push(`<line x1="${M.left + 10}" y1="${M.top + 14}" x2="${M.left + 30}" y2="${M.top + 14}" stroke="#1f5fbf" stroke-width="2"/>`);
  parts.push(`<text x="${M.left + 36}" y="${M.top + 18}">worker CPU % (dashed: ${cpuLimit}% stop)</text>`);
  parts.push(`<line x1="${M.left + 10}" y1="${M.top + 32}" x2="${M.left + 30}" y2="${M.top + 32}" stroke="#c0392b" stroke-width="2"/>`);
  parts.push(`<text x="${M.left + 36}" y="${M.top + 36}">sampled loss % (dotted: ${lossLimit}% stop)</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
