// Pure rendering helpers for the CLI: tables (cli-table3, without colour codes when the output is not a terminal)
// and number formats shared by the commands.

import Table from 'cli-table3';

export function table(head: string[], opts: { colAligns?: ('left' | 'right' | 'center')[] } = {}): InstanceType<typeof Table> {
  const plain = !process.stdout.isTTY || process.env.NO_COLOR !== undefined;
  // cli-table3 takes a key that is present but undefined as a value, so only set what is given.
  return new Table({ head, ...(opts.colAligns ? { colAligns: opts.colAligns } : {}), ...(plain ? { style: { head: [], border: [] } } : {}) });
}

export function pct(x: number, digits = 1): string {
  return `${(100 * x).toFixed(digits)}`;
}

/** Seconds as `1h02m`, `3m05s` or `12s`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
