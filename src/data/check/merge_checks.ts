// `cover data merge-checks`: the reports of a sharded `cover data check --shard i/N` (one per job of an array) added up
// into the report of the whole split, with the same totals an unsharded check gives: entries, samples, ok, problems by
// kind, per class, video time. The shards must be the N parts of one split of one dataset, each exactly once. A report
// is a file the user hands over: every count in it must be a whole number >= 0 (the shard's part below its count, at
// most 1,000,000 parts as --shard allows), or the report is refused in one line instead of adding NaN up.

import * as fs from 'fs';
import { ConfigError } from '../../errors';
import { fsProblem } from '../../fs_problem';
import { CHECK_PROBLEM_KINDS, CheckProblem, CheckProblemKind, CheckReport, ClassCount } from './check';

const MERGE_FIX = 'give the reports of every shard 0/N..N-1/N of one `cover data check --shard i/N --out FILE` run';

/** Reads a shard report written by `cover data check --shard i/N --out FILE`. */
export function readShardReport(file: string): CheckReport {
  let r: CheckReport;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8')) as CheckReport;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new ConfigError('file not found', { path: file, suggestion: MERGE_FIX });
    if (e.code) {
      const { message, suggestion } = fsProblem(e, 'file');
      throw new ConfigError(`cannot read the report: ${message}`, { path: file, suggestion });
    }
    throw new ConfigError(`is not a JSON check report (${String(e.message).split('\n')[0]})`, { path: file, suggestion: MERGE_FIX });
  }
  if (!r || typeof r !== 'object' || !r.shard || !Array.isArray(r.perClass) || !Array.isArray(r.problems) || !r.problemsByKind || typeof r.problemsByKind !== 'object') {
    throw new ConfigError('is not the report of a sharded check (no "shard" field)', { path: file, suggestion: MERGE_FIX });
  }
  const bad = badNumber(r);
  if (bad) throw new ConfigError(`holds ${bad}, not a whole number >= 0 in range`, { path: file, suggestion: MERGE_FIX });
  return r;
}

/** The most parts --shard allows (cli/parse.ts shardArg). */
const MAX_SHARDS = 1_000_000;

/** The first count of a report that is not a whole number >= 0 in its range (`shard.index 3 of 2`), or null. */
function badNumber(r: CheckReport): string | null {
  const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  const s = r.shard!;
  if (!count(s.count) || s.count < 1 || s.count > MAX_SHARDS) return `shard.count ${JSON.stringify(s.count)}`;
  if (!count(s.index) || s.index >= s.count) return `shard.index ${JSON.stringify(s.index)} (of ${s.count})`;
  for (const k of ['splitSamples', 'splitEntries'] as const) if (!count(s[k])) return `shard.${k} ${JSON.stringify(s[k])}`;
  for (const k of ['entries', 'samples', 'ok', 'problemCount', 'videos', 'images'] as const) if (!count(r[k])) return `${k} ${JSON.stringify(r[k])}`;
  if (!(Number.isFinite(r.videoSeconds) && r.videoSeconds >= 0)) return `videoSeconds ${JSON.stringify(r.videoSeconds)}`;
  for (const [k, v] of Object.entries(r.problemsByKind)) if (!count(v)) return `problemsByKind.${k} ${JSON.stringify(v)}`;
  for (const [i, c] of r.perClass.entries()) {
    if (!c || !count(c.samples) || !count(c.ok) || c.ok > c.samples) return `perClass[${i}] ${JSON.stringify(c)}`;
  }
  return null;
}

/**
 * Adds shard reports up to the whole split's report (`maxProblems` problems listed, in the split's order).
 * @example
 * mergeChecks([readShardReport('k400.0.json'), readShardReport('k400.1.json')]).ok // as `cover data check k400` says
 */
export function mergeChecks(reports: CheckReport[], files: string[] = [], maxProblems = 20): CheckReport {
  if (reports.length === 0) throw new ConfigError('no shard reports given', { suggestion: MERGE_FIX });
  const first = reports[0];
  const count = first.shard!.count;
  const seen = new Map<number, string>();
  reports.forEach((r, i) => {
    const where = files[i] ?? `report ${i + 1}`;
    const s = r.shard!;
    if (r.name !== first.name || r.split !== first.split || r.root !== first.root || s.splitSamples !== first.shard!.splitSamples || r.perClass.length !== first.perClass.length) {
      throw new ConfigError(`is a check of ${r.name} (${r.split}, ${r.root}, ${s.splitSamples} samples, ${r.perClass.length} classes), not of ${first.name} (${first.split}, ${first.root}, ${first.shard!.splitSamples} samples, ${first.perClass.length} classes) like ${files[0] ?? 'the first'}`, { path: where, suggestion: MERGE_FIX });
    }
    if (s.count !== count) throw new ConfigError(`is shard ${s.index}/${s.count}, but ${files[0] ?? 'the first'} is one of ${count}`, { path: where, suggestion: MERGE_FIX });
    if (seen.has(s.index)) throw new ConfigError(`is shard ${s.index}/${count} again (also ${seen.get(s.index)})`, { path: where, suggestion: MERGE_FIX });
    seen.set(s.index, where);
  });
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new ConfigError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} of ${first.name} (${first.split}) ${missing.length > 1 ? 'are' : 'is'} missing`, {
      suggestion: `run \`cover data check ... --shard ${missing[0]}/${count} --out FILE\` and merge its report too`,
    });
  }
  const problemsByKind = Object.fromEntries(CHECK_PROBLEM_KINDS.map((k) => [k, 0])) as Record<CheckProblemKind, number>;
  const perClass: ClassCount[] = first.perClass.map((c) => ({ ...c, samples: 0, ok: 0 }));
  let problemCount = 0;
  const problems: CheckProblem[] = [];
  const sum = (f: (r: CheckReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  for (const r of reports) {
    for (const k of CHECK_PROBLEM_KINDS) problemsByKind[k] += r.problemsByKind[k] ?? 0;
    r.perClass.forEach((c, i) => {
      perClass[i].samples += c.samples;
      perClass[i].ok += c.ok;
    });
    problemCount += r.problemCount;
    problems.push(...r.problems);
  }
  // The reader's problems (shard 0 holds them all) first, then the samples' in the split's order, as one check lists them.
  problems.sort((a, b) => (a.sample ?? -1) - (b.sample ?? -1));
  const { shard: _shard, ...rest } = first;
  return {
    ...rest,
    entries: first.shard!.splitEntries,
    samples: sum((r) => r.samples),
    ok: sum((r) => r.ok),
    problemsByKind,
    problemCount,
    problems: problems.slice(0, maxProblems),
    perClass,
    videoSeconds: sum((r) => r.videoSeconds),
    videos: sum((r) => r.videos),
    images: sum((r) => r.images),
    clean: problemCount === 0,
  };
}
