// What the data benches share: plain aligned text tables (they stay readable in a log file and a terminal alike), and
// the way a bench file runs alone (`node dist/bench/<name>.js [--clips N] [--json]`).

/** The header and rows as lines, each column padded to its widest cell, two spaces apart. */
export function alignedLines(head: string[], body: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), ...body.map(line)];
}

/** Runs a bench from the command line: `--clips N`, `--json` for the result as JSON, else its rendered text. */
export function runAlone<R>(name: string, bench: (opts: { clips?: number }) => Promise<R>, render: (r: R) => string): void {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--clips');
  bench({ clips: i >= 0 ? Number(argv[i + 1]) : undefined })
    .then((r) => process.stdout.write((argv.includes('--json') ? JSON.stringify(r, null, 2) : render(r)) + '\n'))
    .catch((e: unknown) => {
      process.stderr.write(`bench ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    });
}
