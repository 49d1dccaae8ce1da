// Every numeric and structured option of every command is checked when the command line is parsed: a bad value is one
// line on stderr naming the option and the value, exit 2, no stack trace, and the command's action never starts.
//
// The option list comes from the commander program itself (buildProgram() of the built CLI in dist/), so a new option
// or argument without a row in SPECS below fails the first test. Most rows run in-process (the program's parse with
// every action replaced by a sentinel, the errors through the CLI's handleError); a handful spawn the real bin
// (`node bin/cover.js`) to show the same line, exit code and that nothing was started or written.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Command, Option } from 'commander';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/cover.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildProgram } = require(path.join(ROOT, 'dist/src/cli/index.js')) as { buildProgram: () => Command };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { handleError } = require(path.join(ROOT, 'dist/src/cli/handle_error.js')) as { handleError: (e: unknown, w?: (s: string) => void) => number };

// ---- what each option takes: its bad values ---------------------------------------------------------------------------

/** Free text (a path, a folder): nothing to check when parsed. */
const TEXT = 'text' as const;
type Spec = typeof TEXT | string[];

const uniq = (xs: string[]) => [...new Set(xs)];
/** A whole number in [min, max]: negative, fraction, hex, exponent forms, junk, empty, and just outside the range. */
function int(min: number, max?: number): string[] {
  return uniq(['-1', '1.5', '0x10', '1e3', '1e308', 'abc', '', '12abc', ...(min > 0 ? [String(min - 1)] : []), ...(max !== undefined ? [String(max + 1)] : [])]);
}
/** A number in a range: junk, hex, non-finite, empty, and outside the range. */
function num(r: { min: number; above?: boolean; max?: number; below?: boolean }): string[] {
  return uniq([
    'abc', '0x10', 'Infinity', '-Infinity', 'NaN', '', '1.2.3',
    String(r.min - 1),
    ...(r.above ? [String(r.min)] : []),
    ...(r.max !== undefined ? ['1e308', r.below ? String(r.max) : String(r.max * 2 + 1)] : []),
  ]);
}
const CHOICE = ['bogus', ''];
const NAMES = ['', 'a b', 'k400,,ssv2', 'k400,k400', '1abc', 'k400;ssv2'];
const DATA = ['noequals', 'k400=', '=/data/k400', '1k=/data', 'k400=kinetcs:/data/k400', 'k400=manifest:'];
const VIEWS = ['2x2', '0x3', '11x3', '100000x3', '1x', 'x3', 'abc', '1.5x3', '1x3x3', '-1x3', ''];
const MAX_BAD = ['-1', '1.5', 'abc', '0x10', '1e308', 'Infinity', ''];

/** By flag, for every command that has it (ENGINE: --backend, --threads, --accel, --device, --precision, --decode-device). */
const SPECS: Record<string, Spec> = {
  '--backend': CHOICE,
  '--threads': int(1, 256),
  '--accel': CHOICE,
  '--device': [...CHOICE, 'gpu', 'CUDA', 'cuda:0'],
  '--precision': [...CHOICE, 'fp16', 'float32', 'FP32'],
  '--decode-device': [...CHOICE, 'gpu', 'CUDA', 'nvdec'],
  '--data': DATA,
  '--preset': CHOICE,
  '--init': TEXT,
  '--out': TEXT,
  '--steps': int(1, 100_000_000),
  '--epochs': num({ min: 0, above: true, max: 10_000 }),
  '--batch-size': int(1, 1024),
  '--micro-batch': int(1, 1024),
  '--recompute': CHOICE,
  '--optimizer': CHOICE,
  '--recipe': CHOICE,
  '--lr': num({ min: 0, above: true, max: 10 }),
  '--weight-decay': num({ min: 0, max: 1 }),
  '--warmup': int(0),
  '--schedule': CHOICE,
  '--label-smoothing': num({ min: 0, max: 1, below: true }),
  '--mixup': num({ min: 0, max: 100 }),
  '--drop-path': num({ min: 0, max: 1, below: true }),
  '--clip-grad': num({ min: 0 }),
  '--seed': int(0, 4294967295),
  '--temperature': num({ min: 0, above: true, max: 100 }),
  '--fixed-counts': ['k400', 'k400=-1', 'k400=1.5', 'k400=0x4', 'k400=0', 'k400=2,k400=2', 'k400=99999', '=4', 'k400=4,', ''],
  '--eval-every': int(0),
  '--eval-samples': int(1),
  '--views': VIEWS,
  '--checkpoint-every': int(1),
  '--sampling-rate': int(1, 64),
  '--max-bad': MAX_BAD,
  '--concurrency': int(1, 64),
  '--cache-dir': TEXT,
  '--memory-cache': num({ min: 0, max: 1_048_576 }),
  '--demo': CHOICE,
  '--demo-dir': TEXT,
  '--datasets': NAMES,
  '--images': NAMES,
  '--transfer-to': NAMES,
  '--seeds': int(1, 100),
  '--budget': CHOICE,
  '--finetune-steps': int(1),
  '--pretrain-steps': int(1),
  '--checkpoint': TEXT,
  '--split': CHOICE,
  '--max-samples': int(1),
  '--csv-dir': TEXT,
  '--config': TEXT, // a file or folder; what it holds is test/cli/run_file.test.ts's
  '--head': ['', ',', 'a b', 'k400,k400', 'k400,'],
  '--top': int(1),
  '--window': num({ min: 0, above: true, max: 86400 }),
  '--memory': ['80', '0GiB', '80XB', '-1GiB', '1e3GiB', 'abc', '', '128TiB'],
  '--classes': ['', '0', '400,', 'a', '1.5', '100001', '400,,174'],
  '--path': CHOICE,
  '--stride': num({ min: 0, above: true, max: 86400 }),
  '--format': CHOICE,
  '--max-problems': int(1),
  '--size': CHOICE,
  '--sprites': TEXT,
  '--only': ['', 'k400,zzz', 'k400,k400', 'k400,'],
  '--gemm-ms': int(1, 60000),
  '--tolerance': num({ min: 0, above: true }),
  '--from': TEXT,
  '--cotrained': TEXT,
  '--source-steps': int(1, 100_000_000),
  '--nproc': int(1, 256),
  '--shard': ['', '1', '2/2', '-1/2', '1/0', 'a/b', '1.5/2', '0/2/3', '0/1000001'],
};

/** Positional arguments, as `<command path> <name>`. */
const ARG_SPECS: Record<string, Spec> = {
  'transfer A': ['a b', 'k400,k400', ''],
  'transfer B': ['k400,ssv2', 'a b', ''],
  'report run': TEXT,
  'parity fixture-dir': TEXT,
  'data check name-or-path': TEXT,
  'predict file': TEXT,
  'export checkpoint': TEXT,
  'data merge-checks report': TEXT,
};

// ---- walking the program ----------------------------------------------------------------------------------------------

interface Leaf {
  path: string[];
  cmd: Command;
}

function leaves(cmd: Command, at: string[] = []): Leaf[] {
  if (cmd.commands.length === 0) return [{ path: at, cmd }];
  return cmd.commands.flatMap((c) => leaves(c, [...at, c.name()]));
}

type Arg = { name(): string; required: boolean };
const argsOf = (cmd: Command) => (cmd as unknown as { registeredArguments: Arg[] }).registeredArguments;
const takesValue = (o: Option) => o.required || o.optional;
const specFor = (_leaf: Leaf, flag: string): Spec | undefined => SPECS[flag];

/** Placeholder positional arguments, so that the options are what a row tests. */
function placeholders(leaf: Leaf): string[] {
  return argsOf(leaf.cmd).filter((a) => a.required).map((a) => (a.name() === 'B' ? 'ssv2' : a.name() === 'A' ? 'k400' : `some-${a.name()}`));
}

class ActionReached extends Error {}

interface Outcome {
  code: number;
  stderr: string;
  stdout: string;
  /** The parsed options, when the action was reached. */
  opts?: Record<string, unknown>;
  args?: unknown[];
}

/** The CLI's parse in-process: buildProgram() of dist, every action a sentinel, errors through handleError. */
async function parse(argv: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const program = buildProgram();
  let opts: Record<string, unknown> | undefined;
  let args: unknown[] | undefined;
  for (const { cmd } of leaves(program)) {
    cmd.action((...a: unknown[]) => {
      const self = a[a.length - 1] as Command;
      opts = self.opts();
      args = a.slice(0, -2);
      throw new ActionReached();
    });
  }
  let stderr = '';
  let stdout = '';
  const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const outSpy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let code = 0;
  try {
    await program.parseAsync(['node', 'cover', ...argv]);
  } catch (e) {
    code = e instanceof ActionReached ? 0 : handleError(e);
  } finally {
    errSpy.mockRestore();
    outSpy.mockRestore();
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
  return { code, stderr, stdout, opts, args };
}

/** A user's mistake: exit 2, one line `cover: error: ...` naming `what` and the value, no stack trace, no action. */
function expectOneLine(r: Outcome, what: string, value?: string): void {
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect({ code: r.code, lines: lines.length, reached: r.opts !== undefined }).toEqual({ code: 2, lines: 1, reached: false });
  expect(lines[0]).toMatch(/^cover: error: /);
  expect(lines[0]).toContain(what);
  if (value !== undefined) expect(lines[0]).toContain(`'${value}'`);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(r.stdout).toBe('');
}

const LEAVES = leaves(buildProgram());

// ---- the table --------------------------------------------------------------------------------------------------------

test('every option that takes a value and every argument of every command has a row here (a new one without a test case fails)', () => {
  const missing: string[] = [];
  for (const leaf of LEAVES) {
    // On/off flags (--json, --resume) take no value: nothing to check when parsed.
    for (const o of leaf.cmd.options as Option[]) if (takesValue(o) && specFor(leaf, o.long!) === undefined) missing.push(`${leaf.path.join(' ')} ${o.long}`);
    for (const a of argsOf(leaf.cmd)) if (ARG_SPECS[`${leaf.path.join(' ')} ${a.name()}`] === undefined) missing.push(`${leaf.path.join(' ')} <${a.name()}>`);
  }
  expect(missing).toEqual([]);
  // Every command the user can run is walked: the list is the program's, not this file's.
  expect(LEAVES.map((l) => l.path.join(' ')).sort()).toEqual(
    ['cotrain', 'data check', 'data merge-checks', 'demo-data', 'doctor', 'eval', 'export', 'parity', 'plan', 'pretrain', 'predict', 'report', 'study', 'transfer'].sort(),
  );
});

const optionRows = LEAVES.flatMap((leaf) =>
  (leaf.cmd.options as Option[])
    .filter((o) => takesValue(o))
    .flatMap((o) => {
      const spec = specFor(leaf, o.long!);
      return spec === TEXT || spec === undefined ? [] : spec.map((bad) => ({ cmd: leaf.path.join(' '), leaf, flag: o.long!, bad }));
    }),
);

test('the table covers every command with numeric or structured options, with several bad values each', () => {
  const byCommand = new Map<string, number>();
  for (const r of optionRows) byCommand.set(r.cmd, (byCommand.get(r.cmd) ?? 0) + 1);
  for (const c of ['cotrain', 'pretrain', 'transfer', 'eval', 'predict', 'data check', 'demo-data', 'doctor', 'parity']) expect(byCommand.get(c) ?? 0).toBeGreaterThan(3);
  expect(optionRows.length).toBeGreaterThan(400);
});

// One jest test per command keeps the report short; each row's failure names the command, flag and value.
describe.each(LEAVES.map((l) => [l.path.join(' '), l] as const))('cover %s', (name, leaf) => {
  const rows = optionRows.filter((r) => r.cmd === name);
  if (rows.length) test('a bad value of each option is one line naming the option and the value, exit 2, before the action', async () => {
    for (const { flag, bad } of rows) {
      const r = await parse([...leaf.path, ...placeholders(leaf), flag, bad]);
      try {
        expectOneLine(r, flag, bad);
      } catch (e) {
        throw new Error(`cover ${name} ${flag} '${bad}': ${(e as Error).message}\nstderr: ${r.stderr}`, { cause: e });
      }
    }
  });

  const envOptions = (leaf.cmd.options as Option[]).filter((o) => o.envVar);
  if (envOptions.length) test('a bad value in an option\'s environment variable names the variable, the option and the value', async () => {
    for (const o of envOptions) {
      const bad = (specFor(leaf, o.long!) as string[]).find((v) => v !== '')!;
      const r = await parse([...leaf.path, ...placeholders(leaf)], { [o.envVar!]: bad });
      expectOneLine(r, `${o.envVar}: ${o.long}`, bad);
    }
  });

  const argRows = argsOf(leaf.cmd).flatMap((a, i) => {
    const spec = ARG_SPECS[`${name} ${a.name()}`];
    return spec === TEXT ? [] : spec.map((bad) => ({ i, name: a.name(), bad }));
  });
  if (argRows.length) test('a bad positional argument is one line naming it and the value', async () => {
    for (const { i, name: arg, bad } of argRows) {
      const args = placeholders(leaf);
      args[i] = bad;
      const r = await parse([...leaf.path, ...args]);
      expectOneLine(r, `<${arg}>`, bad);
    }
  });
});

// ---- what passes, and checks across options -----------------------------------------------------------------------

test('good values pass and arrive parsed (plain digits, decimals, exponents for real numbers, the bounds themselves)', async () => {
  const r = await parse([
    'cotrain', '--datasets', 'k400, ssv2', '--data', 'k400=kinetics:/data/k400', '--data', 'ssv2=C:/data/ssv2', '--steps', '100000000', '--batch-size', '1024',
    '--micro-batch', '2', '--lr', '1e-3', '--weight-decay', '0', '--warmup', '0', '--label-smoothing', '0.1', '--mixup', '0.001', '--drop-path', '0',
    '--clip-grad', '0', '--seed', '4294967295', '--temperature', '.5', '--fixed-counts', 'k400=1000,ssv2=24', '--eval-every', '0', '--eval-samples', '1',
    '--views', '10x1', '--checkpoint-every', '7', '--sampling-rate', '64', '--max-bad', '3', '--concurrency', '64', '--memory-cache', '0', '--threads', '256',
  ]);
  expect(r.stderr).toBe('');
  expect(r.opts).toMatchObject({
    datasets: 'k400,ssv2', data: ['k400=kinetics:/data/k400', 'ssv2=C:/data/ssv2'], steps: 100000000, batchSize: 1024, microBatch: 2, lr: 0.001, weightDecay: 0,
    warmup: 0, labelSmoothing: 0.1, mixup: 0.001, dropPath: 0, clipGrad: 0, seed: 4294967295, temperature: 0.5, fixedCounts: 'k400=1000,ssv2=24',
    evalEvery: 0, evalSamples: 1, views: '10x1', checkpointEvery: 7, samplingRate: 64, maxBad: 3, concurrency: 64, memoryCache: 0, threads: 256,
  });
  const e = await parse(['eval', '--views', ' 2 x 3 ', '--max-bad', '0.5', '--batch-size', '16', '--datasets', 'k400']);
  expect(e.opts).toMatchObject({ views: '2x3', maxBad: 0.5, batchSize: 16, datasets: 'k400' });
  const p = await parse(['predict', 'clip.mp4', '--window', '2.5', '--stride', '1e0', '--top', '3', '--head', 'k400,ssv2']);
  expect(p.opts).toMatchObject({ window: 2.5, stride: 1, top: 3, head: 'k400,ssv2' });
  const t = await parse(['transfer', 'k400,mit', 'ssv2', '--source-steps', '5', '--epochs', '0.5']);
  expect(t.args).toEqual(['k400,mit', 'ssv2']);
  expect(t.opts).toMatchObject({ sourceSteps: 5, epochs: 0.5 });
  const d = await parse(['demo-data', '--seed', '7', '--only', 'k400,imnet']);
  expect(d.opts).toMatchObject({ seed: 7, only: ['k400', 'imnet'] });
  // The torch backend's options: on every command that runs the model, from the command line or the environment.
  for (const cmd of [['cotrain'], ['pretrain'], ['transfer', 'k400', 'ssv2'], ['eval'], ['predict', 'clip.mp4'], ['parity', 'fixtures'], ['doctor']]) {
    const g = await parse([...cmd, '--backend', 'torch', '--device', 'cuda', '--precision', 'bf16', '--threads', '2']);
    expect(g.stderr).toBe('');
    expect(g.opts).toMatchObject({ backend: 'torch', device: 'cuda', precision: 'bf16', threads: 2 });
  }
  const env = await parse(['doctor'], { COVER_BACKEND: 'torch', COVER_DEVICE: 'cpu', COVER_PRECISION: 'tf32' });
  expect(env.opts).toMatchObject({ backend: 'torch', device: 'cpu', precision: 'tf32' });
  // Unset means unset (no default): a backend other than torch must not see a device it was never given.
  const none = await parse(['cotrain']);
  expect(none.opts!.device).toBeUndefined();
  expect(none.opts!.precision).toBeUndefined();
});

test.each([
  [['cotrain', '--fixed-counts', 'k400=3,ssv2=4'], "cover: error: --fixed-counts k400=3,ssv2=4 add up to 7 clips but --batch-size is 8 (fix: make the counts add up to the batch size)"],
  [['cotrain', '--datasets', 'k400,ssv2', '--batch-size', '4', '--fixed-counts', 'k400=2,mit=2'], "cover: error: --fixed-counts names 'mit', which is not in --datasets k400,ssv2 (fix: give counts for k400, ssv2)"],
  [['cotrain', '--epochs', '2', '--steps', '3'], 'cover: error: --epochs cannot be used with --steps (fix: give one of them)'],
  [['cotrain', '--steps'], 'cover: error: --steps needs a value (fix: see cover cotrain --help)'],
  [['cotrain', '--clip-grd', '1'], "cover: error: unknown option '--clip-grd' (fix: did you mean --clip-grad? see cover cotrain --help)"],
  [['data', 'check', 'k400', '--bogus'], "cover: error: unknown option '--bogus' (fix: see cover data check --help)"],
  [['cotrian'], "cover: error: unknown command 'cotrian' (fix: did you mean cotrain? see cover --help)"],
  [['transfer', 'k400'], "cover: error: missing required argument 'B' (fix: see cover transfer --help)"],
  [['eval', '--split', 'dev'], "cover: error: --split takes one of val, test, train, got 'dev'"],
  [['pretrain', '--data', 'imnet=/a', '--data', 'imnet=/b'], "cover: error: --data names 'imnet' twice, got 'imnet=/b' after 'imnet=/a'"],
  [['cotrain', '--steps', '1e3'], "cover: error: --steps takes a whole number from 1 to 100000000, got '1e3' (fix: write it in plain digits: 1000)"],
  [['cotrain', '--seed', '0x10'], "cover: error: --seed takes a whole number from 0 to 4294967295, got '0x10' (fix: write it in plain digits: 16)"],
  [['cotrain', '--device', 'gpu'], "cover: error: --device takes one of auto, cpu, cuda, got 'gpu'"],
  [['eval', '--precision', 'fp16'], "cover: error: --precision takes one of fp32, tf32, bf16, got 'fp16'"],
  [['eval', '--decode-device', 'gpu'], "cover: error: --decode-device takes one of cpu, cuda, got 'gpu'"],
  [['doctor', '--backend', 'pytorch'], "cover: error: --backend takes one of auto, tensorflow, wasm, torch, cpu, got 'pytorch'"],
])('%j: %s', async (argv, line) => {
  const r = await parse(argv);
  expect({ code: r.code, stderr: r.stderr, reached: r.opts !== undefined }).toEqual({ code: 2, stderr: `${line}\n`, reached: false });
});

// ---- the real bin: same lines, nothing started -------------------------------------------------------------------------

describe('the built CLI (node bin/cover.js)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-options-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function cover(args: string[], env: Record<string, string> = {}) {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd: tmp, env: { ...process.env, ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
  }

  test.each([
    [['cotrain', '--clip-grad', '-1'], {}, "cover: error: --clip-grad takes a number of at least 0 (0 = off), got '-1'"],
    [['cotrain', '--epochs', '0'], {}, "cover: error: --epochs takes a number above 0 and at most 10000, got '0'"],
    [['cotrain', '--epochs', '1e308'], {}, "cover: error: --epochs takes a number above 0 and at most 10000, got '1e308'"],
    [['cotrain', '--views', '2x2'], {}, "cover: error: --views takes TxS: T temporal clips from 1 to 10, S spatial crops 1 or 3 (e.g. 1x3), got '2x2'"],
    [['pretrain', '--weight-decay', '-1'], {}, "cover: error: --weight-decay takes a number from 0 to 1 (0 = none), got '-1'"],
    [['transfer', 'ssv2', 'k400', '--mixup', 'abc'], {}, "cover: error: --mixup takes a number from 0 to 100 (0 = off), got 'abc'"],
    [['eval', '--views', '100000x3'], {}, "cover: error: --views takes TxS: T temporal clips from 1 to 10, S spatial crops 1 or 3 (e.g. 1x3), got '100000x3'"],
    [['doctor'], { COVER_THREADS: '1e308' }, "cover: error: COVER_THREADS: --threads takes a whole number from 1 to 256, got '1e308'"],
    [['doctor'], { COVER_DEVICE: 'gpu' }, "cover: error: COVER_DEVICE: --device takes one of auto, cpu, cuda, got 'gpu'"],
    [['cotrain', '--precision', 'fp16'], {}, "cover: error: --precision takes one of fp32, tf32, bf16, got 'fp16'"],
    // Valid values, but only for the torch backend: refused before any backend starts or anything is written.
    [['cotrain', '--device', 'cuda', '--backend', 'wasm'], {}, 'cover: error: --device cuda applies to the torch backend only, not wasm (fix: add --backend torch, or drop --device)'],
    [['doctor', '--precision', 'bf16'], {}, 'cover: error: --precision bf16 applies to the torch backend only, not auto (fix: add --backend torch, or drop --precision)'],
    [['eval', '--threads', '2', '--backend', 'cpu'], {}, 'cover: error: --threads 2 applies to the wasm and torch backends only, not cpu (fix: drop --threads, or use --backend wasm)'],
    [['cotrain', '--bogus'], {}, "cover: error: unknown option '--bogus' (fix: see cover cotrain --help)"],
    // A missing --init is named before the memory its preset would need is checked.
    [['cotrain', '--preset', 'hr', '--init', 'missing/ckpt'], {}, 'cover: error: --init missing/ckpt: no such file or folder (fix: give a cover checkpoint folder or a weights file to import (.safetensors, .pth, .pyth))'],
    [['report', 'missing'], {}, 'cover: error: missing: no such folder (fix: give the --out folder of a pretrain/cotrain run (e.g. runs/cotrain) or of a study (e.g. runs/study))'],
  ])('%j %j: exactly one line, exit 2, nothing written', (args, env, line) => {
    const r = cover(['cotrain', 'pretrain', 'transfer'].includes(args[0]) ? [...args, '--out', path.join(tmp, 'run')] : args, env);
    expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({ status: 2, stderr: `${line}\n`, stdout: '' });
    // Stopped at the parse: no run folder, no demo suite generated, no backend started (well under a training start).
    expect(fs.readdirSync(tmp)).toEqual([]);
    expect(r.ms).toBeLessThan(15_000);
  });
});
