// `cover demo-data`'s library side: generates the demo suite (k400 appearance clips, ssv2 motion clips, mit event
// clips, imnet images) as real files in the real layouts, deterministically from a seed, then writes `demo.json`
// (what was made) and `SHA256SUMS` (`sha256sum -c` format) so a second run or another machine can check the bytes.
// The suite is built in `<out>.tmp-<pid>` and swapped in at the end: an interrupted run leaves the old suite intact.

import { createHash } from 'crypto';
import { createReadStream, promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError, fileError, UsageError } from '../errors';
import { DatasetFormat } from '../data/types';
import { requireFfmpeg } from '../data/decode/video/find_ffmpeg';
import { runPool, writeText } from './encode';
import { writeImnet } from './imnet';
import { writeK400 } from './k400';
import { writeMit } from './mit';
import { DemoContext, DemoDataset, DemoSize, SIZE_PRESETS, batchClips, encodeBatch } from './plan';
import { loadSprites } from './sprites';
import { writeSsv2 } from './ssv2';

export const DEMO_DATASETS = ['k400', 'ssv2', 'mit', 'imnet'] as const;
export type DemoDatasetName = (typeof DEMO_DATASETS)[number];

const WRITERS: Record<DemoDatasetName, (ctx: DemoContext, finalRoot: string) => Promise<DemoDataset>> = {
  k400: writeK400,
  ssv2: writeSsv2,
  mit: writeMit,
  imnet: writeImnet,
};

export const DEMO_MARKER = 'demo.json';
export const SUMS_FILE = 'SHA256SUMS';
const GENERATOR = 'cover demo-data';

export interface DemoOptions {
  /** Suite folder (default `.cover/demo/<size>` under the current folder). */
  out?: string;
  size?: DemoSize;
  seed?: number;
  /** Folder with (fashion-)MNIST IDX files to use as objects, or `shapes` for the drawn shapes. */
  sprites?: string;
  /** Generate only these datasets (default all four); each file is the same as in the full suite. */
  only?: DemoDatasetName[];
  /** Encodes in flight (default 2). */
  concurrency?: number;
  /** Replace a demo suite already in `out` that is not the one asked for (by default that is refused). */
  overwrite?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface DemoSuiteReport {
  root: string;
  size: DemoSize;
  seed: number;
  /** Where the objects came from: `fashion-mnist (<dir>)` or `procedural shapes`. */
  spriteSource: string;
  datasets: DemoDataset[];
  files: number;
  bytes: number;
  sumsFile: string;
  seconds: number;
  /** True when `out` already held this very suite (same size, seed, objects and datasets) and nothing was written. */
  reused: boolean;
}

/** What a suite's demo.json records. */
export interface DemoMarker {
  generator: string;
  size: DemoSize;
  seed: number;
  spriteSource: string;
  /** Each dataset, `root` relative to the suite. */
  datasets: DemoDataset[];
}

/** Where the demo suites live: one folder per size, so that generating one never replaces another a run was trained on. */
export const DEMO_HOME = path.join('.cover', 'demo');

/** The default folder of the demo suite of `size`: `.cover/demo/<size>` under the current folder. */
export function defaultDemoDir(size: DemoSize): string {
  return path.join(DEMO_HOME, size);
}

/**
 * Generates the demo suite.
 * @example
 * const r = await generateDemoSuite({ out: '/tmp/demo', size: 'tiny', seed: 0 });
 * r.datasets.map((d) => `${d.name} ${d.train}+${d.val}`) // ['k400 16+8', 'ssv2 16+8', 'mit 16+8', 'imnet 16+8']
 */
export async function generateDemoSuite(opts: DemoOptions = {}): Promise<DemoSuiteReport> {
  const t0 = Date.now();
  const size = opts.size ?? 'small';
  const out = path.resolve(opts.out ?? defaultDemoDir(size));
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed ${seed} is not a whole number >= 0`, { suggestion: 'give e.g. --seed 0' });
  await assertReplaceable(out);
  const sprites = await loadSprites(opts.sprites);
  const names = DEMO_DATASETS.filter((n) => !opts.only || opts.only.includes(n));
  const existing = await readDemoMarker(out);
  if (existing && !opts.overwrite) {
    const differs = markerDifference(existing, { size, seed, spriteSource: sprites.source, datasets: names });
    if (differs === null) return reusedReport(out, existing);
    throw new UsageError(`holds ${describeSuite(existing)}, not the one asked for (${differs}); cover will not replace it`, {
      path: out,
      suggestion: 'choose another --out, or add --overwrite to replace it; a run trained on it will then no longer evaluate',
    });
  }
  const { ffmpeg } = await requireFfmpeg();
  const tmp = `${out}.tmp-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  try {
    const ctx: DemoContext = { dir: tmp, seed, preset: SIZE_PRESETS[size], sprites, ffmpeg, clips: [], jobs: [] };
    const datasets: DemoDataset[] = [];
    for (const name of names) datasets.push(await WRITERS[name](ctx, out));
    // Clips go 8 to an ffmpeg process (its start-up costs more than encoding a short clip); images one job each.
    const total = ctx.clips.length + ctx.jobs.length;
    let done = 0;
    const jobs = [
      ...batchClips(ctx.clips, 8).map((batch) => async () => {
        await encodeBatch(ctx, batch);
        opts.onProgress?.((done += batch.length), total);
      }),
      ...ctx.jobs.map((job) => async () => {
        await job();
        opts.onProgress?.(++done, total);
      }),
    ];
    await runPool(jobs, opts.concurrency ?? 2);
    const marker: DemoMarker = {
      generator: GENERATOR,
      size,
      seed,
      spriteSource: sprites.source,
      datasets: datasets.map((d) => ({ ...d, root: path.basename(d.root) })),
    };
    await writeText(path.join(tmp, DEMO_MARKER), JSON.stringify(marker, null, 2) + '\n');
    const { files, bytes } = await writeSums(tmp);
    await swapIn(tmp, out);
    return { root: out, size, seed, spriteSource: sprites.source, datasets, files, bytes, sumsFile: path.join(out, SUMS_FILE), seconds: (Date.now() - t0) / 1000, reused: false };
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw fileError(err, out, 'write the demo suite', 'folder');
  }
}

/** The demo.json of the suite in `dir`; null when there is none (no folder, an empty one, or one that is not a suite). */
export async function readDemoMarker(dir: string): Promise<DemoMarker | null> {
  try {
    const m = JSON.parse(await fs.readFile(path.join(path.resolve(dir), DEMO_MARKER), 'utf8')) as Partial<DemoMarker>;
    if (m.generator !== GENERATOR || !Array.isArray(m.datasets)) return null;
    return m as DemoMarker;
  } catch {
    return null;
  }
}

/** `the small demo suite (seed 0: k400, ssv2, mit, imnet)`, for messages. */
export function describeSuite(m: Pick<DemoMarker, 'size' | 'seed' | 'datasets'>): string {
  return `the ${m.size} demo suite (seed ${m.seed}: ${m.datasets.map((d) => d.name).join(', ')})`;
}

/**
 * How an existing suite differs from the one asked for (`size small, not tiny; ...`), or null when it holds it: same
 * size, seed and objects (so the same bytes) and every dataset asked for.
 */
function markerDifference(m: DemoMarker, asked: { size: DemoSize; seed: number; spriteSource: string; datasets: readonly string[] }): string | null {
  const missing = asked.datasets.filter((n) => !m.datasets.some((d) => d.name === n));
  const diffs = [
    m.size !== asked.size ? `size ${m.size}, not ${asked.size}` : '',
    m.seed !== asked.seed ? `seed ${m.seed}, not ${asked.seed}` : '',
    m.spriteSource !== asked.spriteSource ? `objects from ${m.spriteSource}, not ${asked.spriteSource}` : '',
    missing.length > 0 ? `no ${missing.join(', ')}` : '',
  ].filter(Boolean);
  return diffs.length > 0 ? diffs.join('; ') : null;
}

/** The report of a suite that is already there (nothing written): files and bytes from its SHA256SUMS. */
async function reusedReport(root: string, m: DemoMarker): Promise<DemoSuiteReport> {
  const sumsFile = path.join(root, SUMS_FILE);
  const rels = (await fs.readFile(sumsFile, 'utf8').catch(() => '')).split('\n').filter((l) => l.trim() !== '').map((l) => l.slice(66));
  let bytes = 0;
  for (const rel of rels) bytes += (await fs.stat(path.join(root, rel)).catch(() => ({ size: 0 }))).size;
  const datasets = m.datasets.map((d) => ({ ...d, root: path.join(root, d.root) }));
  return { root, size: m.size, seed: m.seed, spriteSource: m.spriteSource, datasets, files: rels.length, bytes, sumsFile, seconds: 0, reused: true };
}

/** Each demo dataset's root and format, as the commands open them (k400, ssv2, mit, imnet). */
export function demoSuitePaths(root: string): Record<DemoDatasetName, { root: string; format: DatasetFormat }> {
  const r = path.resolve(root);
  return {
    k400: { root: path.join(r, 'k400'), format: 'kinetics' },
    ssv2: { root: path.join(r, 'ssv2'), format: 'ssv2' },
    mit: { root: path.join(r, 'mit'), format: 'mit' },
    imnet: { root: path.join(r, 'imnet'), format: 'imagefolder' },
  };
}

/** Re-hashes a suite against its SHA256SUMS: the files whose bytes differ or that are missing. */
export async function verifyDemoSuite(root: string): Promise<{ checked: number; mismatched: string[] }> {
  const sums = path.join(path.resolve(root), SUMS_FILE);
  let text: string;
  try {
    text = await fs.readFile(sums, 'utf8');
  } catch {
    throw new DatasetError(`no ${SUMS_FILE}: not a cover demo suite`, { path: sums, suggestion: 'run `cover demo-data` to generate one' });
  }
  const mismatched: string[] = [];
  let checked = 0;
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const [hash, rel] = [line.slice(0, 64), line.slice(66)];
    checked++;
    const got = await sha256(path.join(path.resolve(root), rel)).catch(() => null);
    if (got !== hash) mismatched.push(rel);
  }
  return { checked, mismatched };
}

async function writeSums(dir: string): Promise<{ files: number; bytes: number }> {
  const files = (await walk(dir)).filter((f) => f !== SUMS_FILE).sort();
  let bytes = 0;
  const lines: string[] = [];
  for (const rel of files) {
    const p = path.join(dir, rel);
    bytes += (await fs.stat(p)).size;
    lines.push(`${await sha256(p)}  ${rel}`);
  }
  await writeText(path.join(dir, SUMS_FILE), lines.join('\n') + '\n');
  return { files: files.length, bytes };
}

/** Relative paths of all files under dir, with `/` separators. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

/** `out` may be absent, an empty folder, or an earlier demo suite; anything else is the user's and is not touched. */
async function assertReplaceable(out: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(out);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new UsageError(`--out is not a folder cover can write (${code})`, { path: out, suggestion: 'choose another --out folder' });
  }
  if (entries.length === 0) return;
  try {
    const marker = JSON.parse(await fs.readFile(path.join(out, DEMO_MARKER), 'utf8')) as { generator?: string };
    if (marker.generator === GENERATOR) return;
  } catch {
    // not ours: fall through
  }
  throw new UsageError('--out is a folder with other files in it, not a cover demo suite; cover will not overwrite it', {
    path: out,
    suggestion: 'choose an empty or new folder for --out',
  });
}

async function swapIn(tmp: string, out: string): Promise<void> {
  const old = `${out}.old-${process.pid}`;
  let hadOld = false;
  try {
    await fs.rename(out, old);
    hadOld = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.rename(tmp, out);
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
}
