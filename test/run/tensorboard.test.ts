// TensorBoard events files (src/run/tensorboard.ts, tfrecord.ts): read back with a reader written from the specs
// (test/helpers/tfevents.ts), by a training run on the tiny preset (RUN/tb/ beside log.jsonl, resumed into a second
// file), and, where a python with the `tensorboard` package is found, by TensorBoard's own EventAccumulator.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileError } from '../../src/errors';
import { crc32c, frameRecord, maskedCrc32c, varint } from '../../src/run/tfrecord';
import { EVENTS_PREFIX, FILE_VERSION, isOwnEventsFolder, scalarsOfLogEntry, TensorBoardWriter } from '../../src/run/tensorboard';
import { initBackend } from '../../src/engine/backend';
import { resolveRunDatasets } from '../../src/run/run_datasets';
import { RunConfig } from '../../src/run/run_config';
import { claimRunDir } from '../../src/run/run_dir';
import { runTraining } from '../../src/train/trainer';
import { tinySuite } from '../helpers/tiny_suite';
import { decodeMessage, readEvents, readRecords } from '../helpers/tfevents';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cover-tb-'));
const f32 = (x: number) => Math.fround(x);

test('CRC-32C, its mask, varints and the TFRecord framing follow the specs', () => {
  expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // CRC-32C's check value
  expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  const crc = crc32c(Buffer.from('abc'));
  expect(maskedCrc32c(Buffer.from('abc'))).toBe(((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
  expect([...varint(0)]).toEqual([0]);
  expect([...varint(300)]).toEqual([0xac, 0x02]);
  expect(decodeMessage(Buffer.concat([Buffer.from([0x10]), varint(2 ** 40 + 5)]))[0].value).toBe(BigInt(2 ** 40 + 5));
  const rec = frameRecord(Buffer.from('hello'));
  expect(rec.length).toBe(8 + 4 + 5 + 4);
  expect(rec.readBigUInt64LE(0)).toBe(5n);
});

test('the writer writes a file TensorBoard finds, a version event, then scalars with tags, steps and times', () => {
  const dir = path.join(tmp(), 'tb');
  const now = 1718000000123;
  const tb = TensorBoardWriter.open(dir, { now });
  tb.scalar('train/loss', 2.5, 1, 1718000001.5);
  tb.scalars({ 'train/lr': 0.001, 'train/loss/k400': 1.1 }, 2, 1718000002);
  tb.logEntry({ type: 'start', step: 0, config: {} }); // nothing
  tb.close();
  const names = fs.readdirSync(dir);
  expect(names).toHaveLength(1);
  expect(names[0]).toMatch(new RegExp(`^events\\.out\\.tfevents\\.1718000000\\.${os.hostname().replace(/[.]/g, '\\.')}\\.${process.pid}\\.\\d+$`));
  const events = readEvents(path.join(dir, names[0]));
  expect(events).toHaveLength(3);
  expect(events[0]).toMatchObject({ wallTime: now / 1000, step: 0, fileVersion: FILE_VERSION, writer: 'cover', values: [] });
  expect(events[0].fields).toEqual(['1:1', '2:0', '3:2', '10:2']);
  expect(events[1]).toMatchObject({ wallTime: 1718000001.5, step: 1, values: [{ tag: 'train/loss', value: 2.5 }] });
  expect(events[1].fields).toEqual(['1:1', '2:0', '5:2']);
  expect(events[2].step).toBe(2);
  expect(events[2].values).toEqual([{ tag: 'train/lr', value: f32(0.001) }, { tag: 'train/loss/k400', value: f32(1.1) }]);
  expect(isOwnEventsFolder(dir)).toBe(true);
});

test('a resumed run starts its file with a SessionLog START at the first step it writes again', () => {
  const dir = path.join(tmp(), 'tb');
  TensorBoardWriter.open(dir, { restartAt: 41 }).close();
  const [e] = fs.readdirSync(dir).map((n) => readEvents(path.join(dir, n)));
  expect(e.map((x) => [x.step, x.fileVersion, x.sessionStatus])).toEqual([[0, FILE_VERSION, undefined], [41, undefined, 1]]);
  expect(e[1].fields).toEqual(['1:1', '2:0', '7:2']);
});

test('log.jsonl entries become grouped tags', () => {
  expect(scalarsOfLogEntry({ type: 'step', step: 3, loss: 2, perHead: { k400: 1.5, imnet: 2.5 }, lr: 0.1, gradNorm: 4, time: 5000, dataMs: 12, stepMs: 340 })).toEqual({
    step: 3,
    wallTime: 5,
    values: { 'train/loss': 2, 'train/lr': 0.1, 'train/grad_norm': 4, 'train/loss/k400': 1.5, 'train/loss/imnet': 2.5, 'time/data_ms': 12, 'time/step_ms': 340 },
  });
  const final = scalarsOfLogEntry({ type: 'eval', step: 4, final: true, evals: { k400: { top1: 0.5, top5: 1, meanClassAccuracy: 0.25, n: 8 } } });
  expect(final?.values).toEqual({ 'eval/k400/top1': 0.5, 'eval/k400/top5': 1, 'eval/k400/mean_class_acc': 0.25 });
  expect(scalarsOfLogEntry({ type: 'stop', step: 2, reason: 'non-finite', loss: 'NaN' })?.values ?? {}).toEqual({});
  expect(scalarsOfLogEntry({ type: 'start', step: 0 })).toBeNull();
});

test('a write error is one FileError line; a foreign tb/ is not the run folder\'s own', () => {
  const root = tmp();
  fs.writeFileSync(path.join(root, 'tb'), 'a file where the folder goes');
  let err: unknown;
  try {
    TensorBoardWriter.open(path.join(root, 'tb'));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FileError);
  expect(String((err as Error).message)).not.toContain('\n');
  const foreign = path.join(root, 'run', 'tb');
  fs.mkdirSync(foreign, { recursive: true });
  fs.writeFileSync(path.join(foreign, `${EVENTS_PREFIX}1.host`), frameRecord(Buffer.from('someone else')));
  expect(isOwnEventsFolder(foreign)).toBe(false);
  expect(() => claimRunDir(path.join(root, 'run'), { overwrite: true })).toThrow(expect.objectContaining({ path: foreign, message: expect.stringMatching(/not written by cover/) }));
  expect(fs.readdirSync(foreign)).toHaveLength(1);
});

/** A python that imports tensorboard, or null. */
function tensorboardPython(): string | null {
  for (const py of [process.env.COVER_TB_PYTHON, '/tmp/hfenv/bin/python', 'python3'].filter((p): p is string => !!p)) {
    if (spawnSync(py, ['-c', 'import tensorboard'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

/** TensorBoard's own reading of a folder: tag -> [step, value][] (EventAccumulator, purging as TensorBoard does). */
function accumulate(py: string, dir: string): Record<string, Array<[number, number]>> {
  const script = [
    'import json, sys',
    'from tensorboard.backend.event_processing.event_accumulator import EventAccumulator',
    'acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0}); acc.Reload()',
    'print(json.dumps({t: [[e.step, e.value] for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}))',
  ].join('\n');
  const r = spawnSync(py, ['-c', script, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, Array<[number, number]>>;
}

test('TensorBoard reads the files back, and a restart drops the earlier file\'s later steps', () => {
  const py = tensorboardPython();
  if (!py) {
    console.log('skipped: no python with the tensorboard package (set COVER_TB_PYTHON to one)');
    return;
  }
  const dir = path.join(tmp(), 'tb');
  const first = TensorBoardWriter.open(dir, { now: 1718000000000 });
  for (let s = 1; s <= 4; s++) first.scalars({ 'train/loss': 10 + s, 'eval/k400/top1': s / 10 }, s, 1718000000 + s);
  first.close();
  const again = TensorBoardWriter.open(dir, { now: 1718000100000, restartAt: 3 });
  for (let s = 3; s <= 5; s++) again.scalar('train/loss', 20 + s, s, 1718000100 + s);
  again.close();
  expect(accumulate(py, dir)).toEqual({
    'train/loss': [[1, 11], [2, 12], [3, 23], [4, 24], [5, 25]],
    'eval/k400/top1': [[1, f32(0.1)], [2, f32(0.2)]],
  });
});

test('a training run writes RUN/tb/ with the log\'s scalars; a resumed one adds a file from its checkpoint on', async () => {
  await initBackend({ backend: 'wasm' });
  const { datasets, data } = await resolveRunDatasets(['k400', 'imnet'], {}, { demoDir: tinySuite(), demoSize: 'tiny' });
  const cfg: RunConfig = {
    kind: 'cotrain', datasets, data, out: path.join(tmp(), 'run'), preset: 'tiny', steps: 3, batchSize: 4, microBatch: 2,
    optimizer: 'sgd', lr: 0.01, weightDecay: 1e-4, warmup: 1, schedule: 'step', labelSmoothing: 0.1, mixup: 0, dropPath: 0,
    clipGrad: 1, seed: 3, temperature: 1, evalEvery: 2, evalSamples: 4, views: '1x1', checkpointEvery: 2, freezeTemporal: false,
    samplingRate: 2, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], maxBad: 0.5, concurrency: 2,
  };
  await runTraining(cfg);
  await runTraining({ ...cfg }, { resume: true, extendSteps: 4 });
  const tbDir = path.join(cfg.out, 'tb');
  const files = fs.readdirSync(tbDir).sort();
  expect(files).toHaveLength(2);
  files.forEach((f) => expect(() => readRecords(path.join(tbDir, f))).not.toThrow());
  const [a, b] = files.map((f) => readEvents(path.join(tbDir, f)));
  expect(b[1]).toMatchObject({ step: 4, sessionStatus: 1 });

  // Every scalar the log holds is in the events, at its step, as a float32.
  const log = fs.readFileSync(path.join(cfg.out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as object);
  const want = log.map(scalarsOfLogEntry).filter((s) => s && Object.keys(s.values).length > 0);
  const got = [...a, ...b].filter((e) => e.values.length > 0);
  expect(got.map((e) => e.step)).toEqual(want.map((s) => s!.step));
  got.forEach((e, i) => expect(e.values).toEqual(Object.entries(want[i]!.values).map(([tag, v]) => ({ tag, value: f32(v) }))));
  const tags = new Set(got.flatMap((e) => e.values.map((v) => v.tag)));
  for (const t of ['train/loss', 'train/lr', 'train/loss/k400', 'train/loss/imnet', 'time/data_ms', 'time/step_ms', 'eval/k400/top1', 'eval/imnet/top5', 'eval/k400/mean_class_acc']) {
    expect(tags).toContain(t);
  }

  const py = tensorboardPython();
  if (py) expect(accumulate(py, tbDir)['train/loss'].map(([s]) => s)).toEqual([1, 2, 3, 4]);
  else console.log('skipped the TensorBoard read: no python with the tensorboard package');

  // --overwrite takes tb/ with the rest of the run.
  claimRunDir(cfg.out, { overwrite: true });
  expect(fs.existsSync(tbDir)).toBe(false);
}, 300_000);
