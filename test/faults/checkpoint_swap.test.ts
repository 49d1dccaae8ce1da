// Fault injection on the checkpoint swap (src/checkpoint/folder.ts): a save killed at each of its steps leaves a state
// from which the next start (recoverFolder, under the run's lock) gets back a whole checkpoint, and files cover did not
// write (eval CSVs, a user's notes) survive every save, every recovery and --overwrite. Each state below is what the
// disk holds after a SIGKILL between two of the save's system calls; the kill itself is exercised end to end in
// test/cli/resume.test.ts and test/faults/run_cli.test.ts.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCheckpointConfig } from '../../src/checkpoint/checkpoint';
import { awaitFolder, recoverFolder } from '../../src/checkpoint/folder';
import { CoverError } from '../../src/errors';
import { claimRunDir } from '../../src/run/run_dir';
import { useBackend } from '../helpers/tf';
import { head, tinyCheckpoint } from '../helpers/tiny_checkpoint';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-swap-'));
beforeAll(() => useBackend('cpu'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const LABELS = ['a', 'b', 'c'];
let n = 0;

/** A checkpoint at `dir` whose config says `step`, with the user's notes and an eval CSV beside cover's files. */
async function checkpointAt(dir: string, step: number, withForeign = true): Promise<void> {
  await tinyCheckpoint(dir, [head('k400', LABELS)], { extra: { run: { step } } });
  if (withForeign) {
    fs.writeFileSync(path.join(dir, 'NOTES.md'), 'my notes\n');
    fs.mkdirSync(path.join(dir, 'eval'));
    fs.writeFileSync(path.join(dir, 'eval', 'confusion_k400.csv'), 'x\n');
  }
}

function stepOf(dir: string): number {
  return (readCheckpointConfig(dir).extra as { run: { step: number } }).run.step;
}

/** A fresh run folder with a checkpoint of step 1 (and foreign files): returns [out, checkpoint dir]. */
async function run(): Promise<[string, string]> {
  const out = path.join(tmp, `run${n++}`);
  const ck = path.join(out, 'checkpoint');
  fs.mkdirSync(out);
  await checkpointAt(ck, 1);
  return [out, ck];
}

test('a save keeps the files cover did not write in checkpoint/ (eval CSVs, notes), and --overwrite keeps the notes', async () => {
  const [out, ck] = await run();
  await tinyCheckpoint(ck, [head('k400', LABELS)], { extra: { run: { step: 2 } } });
  expect(stepOf(ck)).toBe(2);
  expect(fs.readFileSync(path.join(ck, 'NOTES.md'), 'utf8')).toBe('my notes\n');
  expect(fs.existsSync(path.join(ck, 'eval', 'confusion_k400.csv'))).toBe(true);
  expect(fs.readdirSync(out)).toEqual(['checkpoint']); // nothing left beside it

  fs.writeFileSync(path.join(out, 'log.jsonl'), '{"type":"start","step":0}\n');
  claimRunDir(out, { overwrite: true });
  // cover's files and eval's CSVs of the replaced run are gone; the user's notes stay.
  expect(fs.readdirSync(ck)).toEqual(['NOTES.md']);
  // A new run saves into the folder that holds only the notes, and keeps them.
  await checkpointAt(ck, 1, false);
  expect(fs.readdirSync(ck).sort()).toEqual(['NOTES.md', 'config.json', 'weights.safetensors']);
});

describe('a save killed at each step: the next start recovers a whole checkpoint and every foreign file', () => {
  // The save's steps: (1) write tmp, config.json last; (2) move foreign files into tmp; (3) rename dir -> old;
  // (4) rename tmp -> dir; (5) remove old.
  test.each([
    ['1, tmp half written (no config.json)', 1, 'tmp-partial'],
    ['1, tmp complete', 1, 'tmp-complete'],
    ['2, half the foreign files moved into tmp', 1, 'foreign-half-moved'],
    ['3, dir renamed to old, tmp complete', 2, 'between-renames'],
    ['3, dir renamed to old, tmp half written (an older cover)', 1, 'between-renames-partial'],
    ['4, new dir in place, old not yet removed', 2, 'old-left'],
  ])('killed after step %s: the checkpoint is at step %i, with the notes and the eval CSV', async (_name, expectStep, state) => {
    const [out, ck] = await run();
    const tmpDir = `${ck}.tmp-999991`;
    const oldDir = `${ck}.old-999991`;
    await checkpointAt(tmpDir, 2, false);
    switch (state) {
      case 'tmp-partial':
        fs.rmSync(path.join(tmpDir, 'config.json'));
        break;
      case 'tmp-complete':
        break;
      case 'foreign-half-moved':
        fs.renameSync(path.join(ck, 'NOTES.md'), path.join(tmpDir, 'NOTES.md'));
        break;
      case 'between-renames':
        for (const f of ['NOTES.md', 'eval']) fs.renameSync(path.join(ck, f), path.join(tmpDir, f));
        fs.renameSync(ck, oldDir);
        break;
      case 'between-renames-partial':
        fs.rmSync(path.join(tmpDir, 'config.json'));
        fs.renameSync(ck, oldDir);
        break;
      case 'old-left':
        for (const f of ['NOTES.md', 'eval']) fs.renameSync(path.join(ck, f), path.join(tmpDir, f));
        fs.renameSync(ck, oldDir);
        fs.renameSync(tmpDir, ck);
        break;
    }
    const said: string[] = [];
    recoverFolder(ck, (l) => said.push(l));
    expect(stepOf(ck)).toBe(expectStep);
    expect(fs.readFileSync(path.join(ck, 'NOTES.md'), 'utf8')).toBe('my notes\n');
    expect(fs.existsSync(path.join(ck, 'eval', 'confusion_k400.csv'))).toBe(true);
    expect(fs.readdirSync(out)).toEqual(['checkpoint']);
    expect(said.length).toBeGreaterThan(0);
    expect(said.every((l) => /killed/.test(l))).toBe(true);
  });
});

test('leftovers of a save still running in another process are not touched', async () => {
  const [, ck] = await run();
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
  try {
    const tmpDir = `${ck}.tmp-${live.pid}`;
    await checkpointAt(tmpDir, 2, false);
    recoverFolder(ck);
    expect(fs.existsSync(tmpDir)).toBe(true);
  } finally {
    live.kill();
  }
});

test('a reader waits for a save that is between its two renames, then reads the new checkpoint', async () => {
  const [, ck] = await run();
  const tmpDir = `${ck}.tmp-999992`;
  await checkpointAt(tmpDir, 2, false);
  fs.renameSync(ck, `${ck}.old-999992`);
  // Another process finishes the swap 300 ms from now; the reader blocks meanwhile.
  const finisher = spawn(process.execPath, ['-e', `setTimeout(() => require('fs').renameSync(${JSON.stringify(tmpDir)}, ${JSON.stringify(ck)}), 300)`]);
  const exited = new Promise((r) => finisher.once('spawn', r));
  await exited;
  expect(stepOf(ck)).toBe(2);
  await new Promise((r) => finisher.once('exit', r));
});

test('a reader that finds only what a killed save left names it and says how to get it back', async () => {
  const [, ck] = await run();
  const tmpDir = `${ck}.tmp-999993`;
  await checkpointAt(tmpDir, 2, false);
  fs.renameSync(ck, `${ck}.old-999993`);
  let line = '';
  try {
    awaitFolder(ck, 100);
  } catch (err) {
    line = (err as CoverError).oneLine();
  }
  expect(line).toBe(`${ck}: is missing: a save was killed and left a complete checkpoint in checkpoint.tmp-999993 (fix: continue the run with --resume, which restores it, or give ${tmpDir} itself)`);
});

test('a folder whose checkpoint files are not cover\'s is never written over', async () => {
  const dir = path.join(tmp, 'foreign');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type":"timesformer"}');
  await expect(tinyCheckpoint(dir, [head('k400', LABELS)])).rejects.toThrow(/is not a cover checkpoint, so it will not be replaced/);
  expect(fs.readdirSync(dir)).toEqual(['config.json']);
});
