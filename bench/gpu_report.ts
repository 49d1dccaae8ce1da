// The GPU check's table (bench/gpu_check.sh's last step): reads DIR/rows.tsv (one line per part: name, exit status,
// seconds, peak GPU memory) and each part's DIR/NAME.json, writes DIR/gpu_check.md and DIR/gpu_check.json.
//   node dist/bench/gpu_report.js DIR --mode cuda|cpu --seconds 312

import * as fs from 'fs';
import * as path from 'path';

/** One part as gpu_check.sh ran it. `rc`: the exit status, 'skip' (the run's budget was used) or 'n/a'. */
export interface PartRow {
  name: string;
  rc: string;
  seconds: number;
  /** The GPU's peak used memory while the part ran (nvidia-smi, MiB); null on the cpu. */
  gpuPeakMiB: number | null;
  /** The part's last JSON line, or null when it printed none. */
  result: Record<string, unknown> | null;
  /** The last line of its log (for a failure without JSON). */
  lastLine: string;
}

/** Worst |cuda loss - cpu loss| accepted over the steps at fp32 (cover's own bound: kernels sum in other orders). */
export const LOSS_TOLERANCE = 1e-2;

export function status(r: PartRow): string {
  if (r.rc === 'skip') return 'skipped: the run\'s time budget was used';
  if (r.rc === 'n/a') return 'n/a: TF32 is a GPU mode';
  if (r.rc === '124' || r.rc === '137') return `timed out after ${r.seconds} s`;
  if (r.result?.skipped) return `skipped: ${String(r.result.skipped)}`;
  if (r.rc !== '0') return `failed: ${String(r.result?.error ?? r.lastLine).slice(0, 200)}`;
  return 'ok';
}

const fmt = (x: unknown, digits = 1) => (typeof x === 'number' ? x.toFixed(digits) : '-');
const exp = (x: unknown) => (typeof x === 'number' ? x.toExponential(1) : '-');

/** What one part found, in a few words. */
export function summary(r: PartRow, rows: Map<string, PartRow>): string {
  const j = r.result ?? {};
  if (r.rc !== '0' || j.skipped) return '';
  if (r.name === 'env') return `PyTorch ${j.torch ?? '-'} (CUDA ${j.cuda ?? 'none'}), ${j.gpu || 'no GPU'}, nccl.h ${j.ncclHeader ? 'found' : 'absent'}, Python ${j.python}, g++ ${j.gxx}, Node ${j.node}`;
  if (r.name === 'build') return `libtorch ${j.version} (${j.source}), ${j.cuda ? 'CUDA' : 'CPU only'}, C++${j.std}`;
  if (r.name === 'doctor') {
    const t = (j.torch ?? {}) as Record<string, unknown>;
    return `torch backend ${t.status}: libtorch ${t.version}, ${t.device ?? '-'} ${t.precision ?? ''}, ${t.cudaDevices} GPU(s)`;
  }
  if (r.name.startsWith('parity-')) {
    const cases = (j.cases ?? []) as { featuresMaxAbsErr: number; logitsMaxAbsErr: number }[];
    const worst = cases.reduce((m, c) => Math.max(m, c.featuresMaxAbsErr, c.logitsMaxAbsErr), 0);
    return `${j.pass ? 'pass' : 'FAIL'}: max abs error ${exp(worst)} (tolerance ${exp(j.tolerance)})`;
  }
  if (r.name.startsWith('losses-')) {
    const l = (j.losses ?? []) as number[];
    const ref = rows.get('losses-ref')?.result?.losses as number[] | undefined;
    let cmp = '';
    if (r.name !== 'losses-ref' && ref && ref.length === l.length) {
      const d = Math.max(...l.map((v, i) => Math.abs(v - ref[i])));
      cmp = `; against cpu: max |Δloss| ${exp(d)} (${d <= LOSS_TOLERANCE ? 'pass' : 'FAIL'}, tolerance ${exp(LOSS_TOLERANCE)})`;
    }
    return `${j.preset} batch ${j.batch}, ${l.length} steps on ${j.device}: loss ${fmt(l[0], 4)} -> ${fmt(l[l.length - 1], 4)}${cmp}`;
  }
  if (r.name.startsWith('allreduce-')) return `${j.backend}, ${j.mb} MB of ${j.preset}'s parameters: ${j.medianMs} ms; values back unchanged: ${j.maxErr === 0 ? 'yes' : `no (${exp(j.maxErr)})`}`;
  if (r.name === 'decoder') return `NVDEC: ${j.nvdec}`;
  if (r.name.startsWith('step-')) return `${fmt(j.msPerStep)} ms/step`;
  return '';
}

/** The training-step table: cover and PyTorch eager side by side, per batch and precision. */
function stepTable(rows: PartRow[], mode: string): string[] {
  const mem = mode === 'cuda' ? 'peak GPU MiB' : 'max RSS MiB';
  const out = [`| batch (micro) | precision | cover ms/step | PyTorch ms/step | cover / PyTorch | cover ${mem} | PyTorch ${mem} |`, '|---|---|---|---|---|---|---|'];
  const by = new Map(rows.map((r) => [r.name, r]));
  const keys = [...new Set(rows.filter((r) => r.name.startsWith('step-')).map((r) => r.name.replace(/-(cover|torch)$/, '')))];
  for (const k of keys) {
    const [, batch, precision] = k.split('-');
    const c = by.get(`${k}-cover`);
    const t = by.get(`${k}-torch`);
    const cell = (r: PartRow | undefined) => (r && status(r) === 'ok' ? fmt(r.result?.msPerStep) : r ? status(r) : '-');
    const memCell = (r: PartRow | undefined) => (!r || status(r) !== 'ok' ? '-' : mode === 'cuda' ? String(r.gpuPeakMiB ?? '-') : String(r.result?.maxRssMiB ?? '-'));
    const cm = c?.result?.msPerStep as number | undefined;
    const tm = t?.result?.msPerStep as number | undefined;
    const micro = (c?.result?.microBatch ?? t?.result?.microBatch ?? '?') as number;
    out.push(`| ${batch} (${micro}) | ${precision} | ${cell(c)} | ${cell(t)} | ${cm && tm ? `${(cm / tm).toFixed(2)}x` : '-'} | ${memCell(c)} | ${memCell(t)} |`);
  }
  return out;
}

/** The parts that failed, timed out, or ran and found a failure (parity, losses): the check's exit status is 1 if any. */
export function failures(rows: PartRow[]): string[] {
  const by = new Map(rows.map((r) => [r.name, r]));
  return rows.filter((r) => /^(failed|timed out)/.test(status(r)) || /\bFAIL\b/.test(summary(r, by))).map((r) => r.name);
}

export function gpuReport(rows: PartRow[], mode: string, seconds: number): { markdown: string; json: object; failed: string[] } {
  const by = new Map(rows.map((r) => [r.name, r]));
  const env = by.get('env')?.result ?? {};
  const lines = [
    `# cover GPU check (${mode === 'cuda' ? 'on the GPU' : 'dry run, --device cpu, small sizes'}), ${seconds} s`,
    '',
    `Machine: ${env.gpu || 'no GPU'}; PyTorch ${env.torch ?? '-'}; Node ${env.node ?? '-'}.`,
    '',
    '| part | status | s | what it found |',
    '|---|---|---|---|',
    ...rows.filter((r) => !r.name.startsWith('step-')).map((r) => `| ${r.name} | ${status(r)} | ${r.seconds} | ${summary(r, by)} |`),
    '',
    `Training step (${mode === 'cuda' ? 'base' : 'tiny'}, AdamW, clipping; median ms after 1 warm-up step):`,
    '',
    ...stepTable(rows, mode),
    '',
  ];
  const failed = failures(rows);
  lines.push(failed.length ? `Failed: ${failed.join(', ')}.` : 'Every part that ran passed.', '');
  const json = { mode, seconds, failed, parts: rows.map((r) => ({ name: r.name, status: status(r), seconds: r.seconds, gpuPeakMiB: r.gpuPeakMiB, result: r.result })) };
  return { markdown: lines.join('\n'), json, failed };
}

/** rows.tsv and the parts' files, as gpu_check.sh left them in `dir`. */
export function readRows(dir: string): PartRow[] {
  const tsv = fs.readFileSync(path.join(dir, 'rows.tsv'), 'utf8').split('\n').filter(Boolean);
  return tsv.map((line) => {
    const [name, rc, seconds, peak] = line.split('\t');
    const read = (ext: string) => {
      try {
        return fs.readFileSync(path.join(dir, `${name}.${ext}`), 'utf8');
      } catch {
        return '';
      }
    };
    return { name, rc, seconds: Number(seconds), gpuPeakMiB: peak ? Number(peak) : null, result: parseOutput(read('out')), lastLine: lastLine(read('log')) };
  });
}

/** A part's stdout as JSON: all of it (cover's --json objects span lines), else its last line that is an object. */
export function parseOutput(out: string): Record<string, unknown> | null {
  const tries = [out, ...out.split('\n').filter((l) => l.startsWith('{')).reverse()];
  for (const t of tries) {
    try {
      const v = JSON.parse(t) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not this one
    }
  }
  return null;
}

/** The log's last line that names an error (a stack's first line, cover's one-line refusal), else its last line. */
function lastLine(log: string): string {
  const lines = log.trim().split('\n');
  return [...lines].reverse().find((l) => /error/i.test(l) && !/^\s+at /.test(l)) ?? lines[lines.length - 1] ?? '';
}


if (require.main === module) {
  const dir = process.argv[2];
  const arg = (n: string, d: string) => (process.argv.includes(n) ? process.argv[process.argv.indexOf(n) + 1] : d);
  const { markdown, json, failed } = gpuReport(readRows(dir), arg('--mode', 'cuda'), Number(arg('--seconds', '0')));
  fs.writeFileSync(path.join(dir, 'gpu_check.md'), markdown);
  fs.writeFileSync(path.join(dir, 'gpu_check.json'), JSON.stringify(json, null, 2) + '\n');
  process.stdout.write(`\n${markdown}`);
  process.exitCode = failed.length ? 1 : 0;
}
