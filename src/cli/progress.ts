// Progress of a training run: an ora spinner line on a terminal (step, loss per head, clips/s, ETA), plain lines every
// few steps otherwise (logs, CI), nothing with --json. Also the Ctrl-C handling shared by the training commands:
// the first Ctrl-C stops after the current step with a checkpoint, a second one quits at once.

import { StepProgress } from '../train/trainer';
import { duration } from './render';

export interface Progress {
  line(s: string): void;
  step(p: StepProgress): void;
  done(): void;
}

export function createProgress(opts: { json?: boolean; every?: number }): Progress {
  const out = (s: string) => (opts.json ? process.stderr.write(`${s}\n`) : process.stdout.write(`${s}\n`));
  const fmt = (p: StepProgress) =>
    `step ${p.step}/${p.steps}  loss ${p.loss.toFixed(3)}  ${Object.entries(p.perHead)
      .map(([h, l]) => `${h} ${l.toFixed(2)}`)
      .join('  ')}  lr ${p.lr.toExponential(1)}  ${p.clipsPerSec.toFixed(1)} clips/s  ETA ${duration(p.etaSeconds)}`;
  if (process.stdout.isTTY && !opts.json) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const oraMod = require('ora') as { default: (o: object) => { start(): { text: string; stop(): void; clear(): void; render(): void } } };
    const spinner = oraMod.default({ text: 'starting', discardStdin: false }).start();
    return {
      line: (s) => {
        spinner.clear();
        process.stdout.write(`${s}\n`);
        spinner.render();
      },
      step: (p) => {
        spinner.text = fmt(p);
      },
      done: () => spinner.stop(),
    };
  }
  const every = opts.every ?? 10;
  return {
    line: out,
    step: (p) => {
      if (p.step % every === 0 || p.step === p.steps || p.step === 1) out(fmt(p));
    },
    done: () => {},
  };
}

/** An AbortSignal raised by the first Ctrl-C (SIGINT/SIGTERM); the second one exits at once with 130. */
export function interruptSignal(say: (s: string) => void): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const handler = () => {
    if (ctl.signal.aborted) process.exit(130);
    say('stopping after this step and saving a checkpoint (Ctrl-C again to quit now)');
    ctl.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ctl.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
