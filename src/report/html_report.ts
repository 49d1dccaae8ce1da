// The run report: ONE self-contained HTML page (inline CSS, inline SVG drawn here; no script, no network, nothing to
// install) that a user opens after `cover train`: a summary, the loss curve of the batch and of each dataset head, the
// accuracy curve of each head (top-1 solid, top-5 dashed, from the periodic evaluations), the LR schedule, the confusion
// matrix of each head as a colour-scaled table, and the resolved config. Every piece of text from the run (head names,
// class labels, config values) is HTML-escaped, so a label like `<script>` shows as text.
//
// Long runs stay small: each curve is averaged into at most `maxPoints` buckets, and a confusion matrix with many classes
// shows the `maxConfusionClasses` classes with the most errors (the full matrix is the CSV `cover eval` writes).

import type { LogStep } from '../run/run_log';

/** What the report draws of each step: a step of the run's log (run/run_log.ts). */
export type ReportLogEntry = LogStep;

export interface ReportConfusion {
  labels: string[];
  /** [C, C] counts, rows true class, columns predicted. */
  matrix: number[][];
}

export interface ReportRun {
  title: string;
  config: object;
  heads: string[];
  log: ReportLogEntry[];
  confusion?: Record<string, ReportConfusion>;
  /** Printed under the title when given (kept out of the page otherwise, so a report is reproducible). */
  generatedAt?: string;
}

export interface ReportOptions {
  /** Most points drawn per curve (default 1000). */
  maxPoints?: number;
  /** Most classes shown per confusion matrix (default 40). */
  maxConfusionClasses?: number;
}

type Point = [number, number];
interface Series {
  name: string;
  color: string;
  points: Point[];
  dashed?: boolean;
  faint?: boolean;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const TOTAL_COLOR = '#222222';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Compact number: `0.005`, `5e-5`, `2.31`, `1.2e+4`. */
function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(1).replace(/\.0e/, 'e');
  return String(Number(v.toPrecision(4)));
}

function fmtStep(v: number): string {
  return Math.abs(v) >= 10000 ? `${Number((v / 1000).toPrecision(4))}k` : String(Math.round(v));
}

/** Round tick values spanning [lo, hi], and the domain widened to the outer ticks. */
function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; lo: number; hi: number } {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceTicks(lo - pad, hi + pad, count);
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const err = raw / mag;
  const step = (err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1) * mag;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
  return { ticks, lo: first * step, hi: last * step };
}

/** Averages consecutive points into at most `max` buckets (non-finite values skipped). */
function decimate(points: Point[], max: number): Point[] {
  const finite = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (finite.length <= max) return finite;
  const out: Point[] = [];
  const per = finite.length / max;
  for (let b = 0; b < max; b++) {
    const chunk = finite.slice(Math.floor(b * per), Math.floor((b + 1) * per));
    if (chunk.length === 0) continue;
    out.push([chunk.reduce((a, p) => a + p[0], 0) / chunk.length, chunk.reduce((a, p) => a + p[1], 0) / chunk.length]);
  }
  return out;
}

/** TensorBoard-style debiased exponential moving average. */
function smooth(points: Point[], weight = 0.8): Point[] {
  let last = 0;
  return points.map(([x, y], i) => {
    last = last * weight + (1 - weight) * y;
    return [x, last / (1 - weight ** (i + 1))];
  });
}

/** One chart: an inline <svg> with axes, round ticks, one polyline per series and a legend on the right. */
function lineChart(title: string, yLabel: string, series: Series[], yFixed?: [number, number], yFormat: (v: number) => string = fmt): string {
  const W = 760;
  const H = 280;
  const m = { l: 64, r: 170, t: 30, b: 40 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<p class="note">${escapeHtml(title)}: no finite value to draw.</p>`;
  const xs = niceTicks(Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])));
  const ys = yFixed ? niceTicks(yFixed[0], yFixed[1]) : niceTicks(Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])));
  const px = (x: number): number => m.l + ((x - xs.lo) / (xs.hi - xs.lo)) * (W - m.l - m.r);
  const py = (y: number): number => H - m.b - ((y - ys.lo) / (ys.hi - ys.lo)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">`);
  parts.push(`<title>${escapeHtml(title)}</title>`);
  parts.push(`<text class="ctitle" x="${m.l}" y="18">${escapeHtml(title)}</text>`);
  for (const t of ys.ticks) {
    const y = py(t).toFixed(1);
    parts.push(`<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(yFormat(t))}</text>`);
  }
  for (const t of xs.ticks) {
    const x = px(t).toFixed(1);
    parts.push(`<line class="grid" x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${H - m.b + 16}" text-anchor="middle">${escapeHtml(fmtStep(t))}</text>`);
  }
  parts.push(`<rect class="frame" x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}"/>`);
  parts.push(`<text class="axis" x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle">step</text>`);
  parts.push(`<text class="axis" transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`);
  for (const s of series) {
    if (s.points.length === 0) continue;
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    const style = `${s.dashed ? ' stroke-dasharray="5 3"' : ''}${s.faint ? ' stroke-opacity="0.25"' : ''}`;
    if (s.points.length === 1) {
      parts.push(`<circle cx="${px(s.points[0][0]).toFixed(1)}" cy="${py(s.points[0][1]).toFixed(1)}" r="3" fill="${s.color}"/>`);
    } else {
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6"${style} points="${pts}"><title>${escapeHtml(s.name)}</title></polyline>`);
    }
  }
  series.filter((s) => !s.faint).forEach((s, i) => {
    const y = m.t + 8 + i * 18;
    const x = W - m.r + 14;
    parts.push(`<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text class="legend" x="${x + 28}" y="${y}" dominant-baseline="middle">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** A raw curve drawn faint under its smoothed version once there are enough points to need smoothing. */
function withSmoothing(name: string, color: string, raw: Point[], maxPoints: number): Series[] {
  const pts = decimate(raw, maxPoints);
  if (pts.length <= 20) return [{ name, color, points: pts }];
  return [
    { name: `${name} (raw)`, color, points: pts, faint: true },
    { name, color, points: smooth(pts) },
  ];
}

function headColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

function lossChart(run: ReportRun, maxPoints: number): string {
  const series = [
    ...withSmoothing('batch', TOTAL_COLOR, run.log.map((e) => [e.step, e.loss]), maxPoints),
    ...run.heads.flatMap((h, i) =>
      withSmoothing(h, headColor(i), run.log.filter((e) => h in e.perHead).map((e) => [e.step, e.perHead[h]]), maxPoints),
    ),
  ];
  return lineChart('Training loss', 'cross-entropy', series);
}

function accuracyChart(run: ReportRun, maxPoints: number): string | null {
  const series: Series[] = run.heads.flatMap((h, i) => {
    const evals = run.log.filter((e) => e.evals?.[h]).map((e) => ({ step: e.step, ...e.evals![h] }));
    return [
      { name: `${h} top-1`, color: headColor(i), points: decimate(evals.map((e) => [e.step, e.top1 * 100]), maxPoints) },
      { name: `${h} top-5`, color: headColor(i), dashed: true, points: decimate(evals.map((e) => [e.step, e.top5 * 100]), maxPoints) },
    ];
  });
  if (series.every((s) => s.points.length === 0)) return null;
  return lineChart('Validation accuracy', 'accuracy (%)', series.filter((s) => s.points.length > 0), [0, 100], (v) => `${v}`);
}

function lrChart(run: ReportRun, maxPoints: number): string {
  const points = decimate(run.log.map((e) => [e.step, e.lr]), maxPoints);
  return lineChart('Learning rate', 'lr', [{ name: 'lr', color: PALETTE[0], points }], [0, Math.max(...points.map((p) => p[1]))]);
}

/** The classes to show: all when few, else those with the most errors (as true or as predicted class), in id order. */
function shownClasses(matrix: number[][], max: number): number[] {
  const C = matrix.length;
  if (C <= max) return Array.from({ length: C }, (_, i) => i);
  const errors = matrix.map((row, i) => row.reduce((a, v, j) => a + (i === j ? 0 : v + matrix[j][i]), 0));
  return errors
    .map((e, i) => [e, i])
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, max)
    .map((p) => p[1])
    .sort((a, b) => a - b);
}

function confusionTable(head: string, conf: ReportConfusion, maxClasses: number): string {
  const C = conf.labels.length;
  if (conf.matrix.length !== C || conf.matrix.some((r) => r.length !== C)) {
    throw new Error(`renderReport: confusion matrix of '${head}' is not ${C}×${C}`);
  }
  const shown = shownClasses(conf.matrix, maxClasses);
  const rowSums = conf.matrix.map((r) => r.reduce((a, b) => a + b, 0));
  const lab = (i: number): string => escapeHtml(conf.labels[i]);
  const note =
    shown.length < C ? `<p class="note">Showing the ${shown.length} of ${C} classes with the most errors; the full matrix is in the confusion CSV.</p>` : '';
  const header = `<tr><th class="corner">true \\ predicted</th>${shown.map((j) => `<th class="pred"><span>${lab(j)}</span></th>`).join('')}</tr>`;
  const rows = shown.map((i) => {
    const cells = shown.map((j) => {
      const v = conf.matrix[i][j];
      const frac = rowSums[i] > 0 ? v / rowSums[i] : 0;
      const cls = `${i === j ? 'diag' : ''}${frac > 0.5 ? ' dark' : ''}`.trim();
      const tip = `true ${conf.labels[i]}, predicted ${conf.labels[j]}: ${v} (${(frac * 100).toFixed(1)}% of the row)`;
      return `<td${cls ? ` class="${cls}"` : ''} style="background:rgba(31,119,180,${frac.toFixed(3)})" title="${escapeHtml(tip)}">${v}</td>`;
    });
    return `<tr><th>${lab(i)}</th>${cells.join('')}</tr>`;
  });
  return `<h3>${escapeHtml(head)}</h3>\n${note}<div class="scroll"><table class="confusion">\n${header}\n${rows.join('\n')}\n</table></div>`;
}

/** `{model: {depth: 2}}` -> [['model.depth', '2']]; arrays of plain values stay on one line. */
function flatten(value: unknown, prefix: string, out: Array<[string, string]>, seen: WeakSet<object>): void {
  if (value !== null && typeof value === 'object') {
    if (seen.has(value)) {
      out.push([prefix, '[circular]']);
      return;
    }
    seen.add(value);
    const isPlainArray = Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object');
    const entries = Object.entries(value);
    if (isPlainArray || entries.length === 0) out.push([prefix, JSON.stringify(value)]);
    else for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out, seen);
    return;
  }
  out.push([prefix, typeof value === 'string' ? value : String(value)]);
}

function configTable(config: object): string {
  const rows: Array<[string, string]> = [];
  flatten(config, '', rows, new WeakSet());
  return `<table class="kv">\n${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n')}\n</table>`;
}

function summaryTable(run: ReportRun): string {
  const last = run.log[run.log.length - 1];
  const bad = run.log.filter((e) => !Number.isFinite(e.loss));
  const head = run.heads.map((h) => {
    const losses = run.log.filter((e) => Number.isFinite(e.perHead[h]));
    const evals = run.log.filter((e) => e.evals?.[h]).map((e) => ({ step: e.step, ...e.evals![h] }));
    const lastEval = evals[evals.length - 1];
    const best = evals.reduce<(typeof evals)[number] | undefined>((b, e) => (!b || e.top1 > b.top1 ? e : b), undefined);
    const pct = (v: number | undefined): string => (v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);
    return (
      `<tr><th>${escapeHtml(h)}</th><td>${losses.length ? fmt(losses[losses.length - 1].perHead[h]) : '–'}</td>` +
      `<td>${pct(lastEval?.top1)}</td><td>${pct(lastEval?.top5)}</td><td>${best ? `${pct(best.top1)} (step ${best.step})` : '–'}</td></tr>`
    );
  });
  const facts = [
    `Steps logged: ${run.log.length}${last ? `, last step ${last.step}, batch loss ${fmt(last.loss)}, lr ${fmt(last.lr)}` : ''}.`,
    bad.length ? ` <strong>${bad.length} logged step${bad.length === 1 ? '' : 's'} had a non-finite loss (first at step ${bad[0].step}).</strong>` : '',
  ].join('');
  return (
    `<p>${facts}</p>\n<table class="kv">\n<tr><th>head</th><th>last loss</th><th>last top-1</th><th>last top-5</th><th>best top-1</th></tr>\n` +
    `${head.join('\n')}\n</table>`
  );
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; } .note, .meta { color: #666; }
svg.chart { display: block; margin: 12px 0; max-width: 100%; height: auto; }
svg .grid { stroke: #eee; } svg .frame { fill: none; stroke: #999; }
svg .tick, svg .legend { font-size: 11px; fill: #444; } svg .axis { font-size: 12px; fill: #444; }
svg .ctitle { font-size: 13px; font-weight: 600; fill: #222; }
table { border-collapse: collapse; margin: 8px 0; }
table.kv th, table.kv td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; font-variant-numeric: tabular-nums; }
table.kv th { background: #f6f6f6; font-weight: 600; }
.scroll { overflow: auto; max-height: 720px; }
table.confusion td, table.confusion th { border: 1px solid #e4e4e4; padding: 2px 4px; font-size: 11px; text-align: right; }
table.confusion th { background: #fafafa; text-align: left; white-space: nowrap; }
table.confusion th.pred span { writing-mode: vertical-rl; transform: rotate(180deg); display: inline-block; max-height: 140px; }
table.confusion td.diag { outline: 2px solid #2ca02c; outline-offset: -2px; } table.confusion td.dark { color: #fff; }
`;

/**
 * The whole report page.
 * @example
 * const html = renderReport({ title: 'tiny run', config: { lr: 0.005 }, heads: ['k400'], log: [
 *   { step: 0, loss: 2.3, perHead: { k400: 2.3 }, lr: 0 }, { step: 1, loss: 2.1, perHead: { k400: 2.1 }, lr: 0.005 } ] });
 * html.startsWith('<!doctype html>') // true
 */
export function renderReport(run: ReportRun, opts: ReportOptions = {}): string {
  const maxPoints = opts.maxPoints ?? 1000;
  const maxClasses = opts.maxConfusionClasses ?? 40;
  const body: string[] = [`<h1>${escapeHtml(run.title)}</h1>`];
  if (run.generatedAt) body.push(`<p class="meta">Generated ${escapeHtml(run.generatedAt)}</p>`);
  body.push('<h2>Summary</h2>', summaryTable(run));
  body.push('<h2>Curves</h2>');
  if (run.log.length === 0) body.push('<p class="note">The training log is empty.</p>');
  else {
    body.push(lossChart(run, maxPoints));
    body.push(accuracyChart(run, maxPoints) ?? '<p class="note">No evaluation in this log.</p>');
    body.push(lrChart(run, maxPoints));
  }
  const confusion = Object.entries(run.confusion ?? {});
  if (confusion.length > 0) {
    body.push('<h2>Confusion matrices</h2>', '<p class="note">Rows: true class; columns: predicted class; shade: share of the row.</p>');
    for (const [head, conf] of confusion) body.push(confusionTable(head, conf, maxClasses));
  }
  body.push('<h2>Config</h2>', configTable(run.config));
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(run.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
