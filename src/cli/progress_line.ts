// One progress line for long work (eval, predict over windows, data check, demo-data): done/total, the rate and an
// ETA, on stderr so that stdout stays the result. On a terminal the line is rewritten in place; in a pipe or a log file
// a plain line is written every PLAIN_EVERY_MS (and a last one when any was), so a CI log still shows long work moving
// while work shorter than that stays silent.
// The ETA comes from the recent rate (the last WINDOW_MS), not the average since the start: the first items of a run
// wait for decoders and caches to warm, and an average over them promised "1h41m" to a run that took 20 minutes.

import { duration } from './render';

/** How often a plain (non-terminal) progress line is written. */
const PLAIN_EVERY_MS = 10_000;
/** The span of recent updates the rate is measured over. */
const WINDOW_MS = 30_000;

export interface ProgressLineOptions {
  /** What is counted, e.g. 'samples', 'windows', 'files'. */
  unit: string;
  /** Where the line goes (default stderr); `isTTY` decides between rewriting and plain lines. */
  stream?: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };
  /** No progress at all (--json: a consumer reads stdout and wants stderr for errors; --quiet). */
  silent?: boolean;
  /** Milliseconds between plain lines in a pipe (default 10 s; 0 with --verbose: every update). */
  everyMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

export interface ProgressLine {
  /** `done` of `total` (total may change, e.g. per head). */
  update(done: number, total: number, label?: string): void;
  /** Clears a terminal line; writes the last plain line. */
  end(): void;
}

/** The progress line a command's --json, --quiet and --verbose ask for. */
export function progressFor(o: { json?: boolean; quiet?: boolean; verbose?: boolean }, unit: string): ProgressLine {
  return progressLine({ unit, silent: o.json || o.quiet, everyMs: o.verbose ? 0 : undefined });
}

export function progressLine(opts: ProgressLineOptions): ProgressLine {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  if (opts.silent) return { update: () => {}, end: () => {} };
  const tty = !!stream.isTTY;
  const rate = new RecentRate();
  let lastPlain: number | null = null; // the first update's time, then each plain line's
  let wrote = false;
  let last: { done: number; total: number; label?: string } | null = null;
  const text = (done: number, total: number, label?: string): string => {
    const perS = rate.perSecond();
    const pct = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : '';
    const eta = perS > 0 && done < total ? `, ETA ${duration((total - done) / perS)}` : '';
    return `${label ? `${label}: ` : ''}${done}/${total} ${opts.unit}${pct}${perS > 0 ? `, ${perS.toFixed(1)}/s` : ''}${eta}`;
  };
  return {
    update(done, total, label) {
      const t = now();
      if (last && (last.label !== label || done < last.done)) rate.reset(); // a new head or phase: a new rate
      rate.add(t, done);
      last = { done, total, label };
      if (tty) {
        stream.write(`\r\x1b[2K${text(done, total, label)}`);
      } else if (lastPlain === null && opts.everyMs !== 0) {
        lastPlain = t;
      } else if (t - (lastPlain ?? -Infinity) >= (opts.everyMs ?? PLAIN_EVERY_MS) || (done === total && wrote)) {
        lastPlain = t;
        wrote = true;
        stream.write(`${text(done, total, label)}\n`);
      }
    },
    end() {
      if (tty && last) stream.write('\r\x1b[2K');
    },
  };
}

/**
 * The rate of the last WINDOW_MS of updates (at least two updates): what an ETA should extrapolate, once the first
 * slow items (cold caches, decoders starting) are behind.
 */
export class RecentRate {
  private samples: Array<{ t: number; done: number }> = [];

  add(t: number, done: number): void {
    this.samples.push({ t, done });
    while (this.samples.length > 2 && this.samples[1].t < t - WINDOW_MS) this.samples.shift();
  }

  /** Items a second over the window; 0 before two updates. */
  perSecond(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    return first && last.t > first.t ? ((last.done - first.done) * 1000) / (last.t - first.t) : 0;
  }

  reset(): void {
    this.samples = [];
  }
}
