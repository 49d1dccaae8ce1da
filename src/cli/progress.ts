// Progress of a training run: an ora spinner line on a terminal (step, loss per head, clips/s, ETA), plain lines every
// few steps otherwise (logs, CI), nothing with --json. Also the Ctrl-C handling shared by the training commands:
// the first Ctrl-C stops after the current step with a checkpoint, a second one quits at once.

import { StepProgress } from '../train/trainer';
import { duration } from './render';
import { RecentRate } from './progress_line';
import { printable } from '../errors';

export interface Progress {
  line(s: string): void;
  step(p: StepProgress): void;
  done(): void;
}

/**
 * The progress of a run: `quiet` shows nothing but what the command prints at its end; `verbose` a line every step in
 * a pipe (a terminal's spinner shows every step anyway); by default a line every `every` steps (10) in a pipe.
 */
export function createProgress(opts: { json?: boolean; quiet?: boolean; verbose?: boolean; every?: number }): Progress {
  if (opts.quiet) return { line: () => {}, step: () => {}, done: () => {} };
  // Log lines name files: their control characters (a name's ANSI escapes) are shown as escapes, never sent as they are.
  const out = (s: string) => (opts.json ? process.stderr.write(`${shown(s)}\n`) : process.stdout.write(`${shown(s)}\n`));
  // The ETA from the last half minute of steps, not the run's average: the first steps wait for cold decoders and caches.
  const rate = new RecentRate();
  const fmt = (p: StepProgress) => {
    rate.add(Date.now(), p.step);
    const perS = rate.perSecond();
    const eta = perS > 0 ? (p.steps - p.step) / perS : p.etaSeconds;
    return `step ${p.step}/${p.steps}  loss ${p.loss.toFixed(3)}  ${Object.entries(p.perHead)
      .map(([h, l]) => `${h} ${l.toFixed(2)}`)
      .join('  ')}  lr ${p.lr.toExponential(1)}  ${p.clipsPerSec.toFixed(1)} clips/s  ETA ${duration(eta)}`;
  };
  if (process.stdout.isTTY && !opts.json) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const oraMod = require('ora') as { default: (o: object) => { start(): { text: string; stop(): void; clear(): void; render(): void } } };
    const spinner = oraMod.default({ text: 'starting', discardStdin: false }).start();
    return {
      line: (s) => {
        spinner.clear();
        process.stdout.write(`${shown(s)}\n`);
        spinner.render();
      },
      step: (p) => {
        spinner.text = fmt(p);
      },
      done: () => spinner.stop(),
    };
  }
  const every = opts.verbose ? 1 : (opts.every ?? 10);
  return {
    line: out,
    step: (p) => {
      if (p.step % every === 0 || p.step === p.steps || p.step === 1) out(fmt(p));
    },
    done: () => {},
  };
}

/** A log line as shown: its own line breaks kept, every other control character escaped. */
function shown(s: string): string {
  return s.split('\n').map(printable).join('\n');
}

/** The exit code of a run stopped by a signal, as shells report one: 128 + the signal's number. */
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * An AbortSignal raised by the first Ctrl-C (SIGINT) or SIGTERM; a second one exits at once. `exitCode` is then 130
 * or 143, for the command to exit with after its checkpoint, so that `&&` chains and schedulers see a stopped run.
 */
export function interruptSignal(say: (s: string) => void): { signal: AbortSignal; readonly exitCode: number | undefined; dispose(): void } {
  const ctl = new AbortController();
  let exitCode: number | undefined;
  const handler = (name: 'SIGINT' | 'SIGTERM') => {
    if (ctl.signal.aborted) process.exit(SIGNAL_EXIT[name]);
    exitCode = SIGNAL_EXIT[name];
    say(`${name === 'SIGINT' ? 'Ctrl-C' : name}: stopping after this step and saving a checkpoint (${name === 'SIGINT' ? 'Ctrl-C' : name} again to quit now)`);
    ctl.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ctl.signal,
    get exitCode() {
      return exitCode;
    },
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
