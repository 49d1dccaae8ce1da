// The progress line of long commands (src/cli/progress_line.ts), on a terminal and in a pipe, with a fake clock: a
// terminal line is rewritten in place with the rate and an ETA; a pipe gets a plain line every 10 s of long work and
// none for short work; the ETA follows the recent rate, not the average over a slow start.
import { progressLine } from '../../src/cli/progress_line';

function fake(isTTY: boolean) {
  const out: string[] = [];
  return { stream: { isTTY, write: (s: string) => out.push(s) > 0 }, out };
}

test('on a terminal: one line rewritten in place, with done/total, percent, rate and ETA; cleared at the end', () => {
  let t = 0;
  const { stream, out } = fake(true);
  const p = progressLine({ unit: 'samples', stream, now: () => t });
  p.update(0, 100, 'k400');
  t = 10_000;
  p.update(20, 100, 'k400');
  expect(out[1]).toBe('\r\x1b[2Kk400: 20/100 samples (20%), 2.0/s, ETA 40s');
  p.end();
  expect(out.at(-1)).toBe('\r\x1b[2K');
});

test('in a pipe: nothing for short work; a plain line every 10 s of long work, and a last one', () => {
  let t = 0;
  const short = fake(false);
  const p = progressLine({ unit: 'windows', stream: short.stream, now: () => t });
  for (let i = 0; i <= 5; i++) {
    t = i * 1000;
    p.update(i, 5);
  }
  p.end();
  expect(short.out).toEqual([]);

  const long = fake(false);
  const q = progressLine({ unit: 'files', stream: long.stream, now: () => t });
  for (let i = 0; i <= 30; i++) {
    t = i * 1000;
    q.update(i, 30);
  }
  q.end();
  expect(long.out).toEqual(['10/30 files (33%), 1.0/s, ETA 20s\n', '20/30 files (66%), 1.0/s, ETA 10s\n', '30/30 files (100%), 1.0/s\n']);
});

test('the ETA follows the recent rate: a slow, warming start does not stretch it', () => {
  let t = 0;
  const { stream, out } = fake(true);
  const p = progressLine({ unit: 'samples', stream, now: () => t });
  // 10 samples in the first 100 s (cold cache), then 10 a second.
  p.update(0, 1000);
  t = 100_000;
  p.update(10, 1000);
  for (let s = 1; s <= 60; s++) {
    t = 100_000 + s * 1000;
    p.update(10 + 10 * s, 1000);
  }
  // 610 of 1000 done at 10/s: 39 s left (the average since the start, 610 in 160 s, would say 102 s).
  expect(out.at(-1)).toBe('\r\x1b[2K610/1000 samples (61%), 10.0/s, ETA 39s');
});

test('--json consumers: silent', () => {
  const { stream, out } = fake(true);
  const p = progressLine({ unit: 'samples', stream, silent: true });
  p.update(1, 2);
  p.end();
  expect(out).toEqual([]);
});

test('--verbose in a pipe: a plain line at every update', () => {
  let t = 0;
  const { stream, out } = fake(false);
  const p = progressLine({ unit: 'samples', stream, now: () => t, everyMs: 0 });
  for (let i = 1; i <= 3; i++) {
    t = i * 100;
    p.update(i, 3);
  }
  expect(out).toEqual(['1/3 samples (33%)\n', '2/3 samples (66%), 10.0/s, ETA 0s\n', '3/3 samples (100%), 10.0/s\n']);
});
