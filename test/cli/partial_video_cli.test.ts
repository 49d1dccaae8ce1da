// A video cut short by a broken download, through the built CLI (run `npm run build` first): `cover data check` names
// it with the frames and seconds that decode against what its header declares (exit 1); `cover predict` covers only
// what decodes and says so in one line (and in --json). The files are generated here with ffmpeg: 9 s of testsrc at
// 24 fps (216 frames), index at the start, cut at 20% of the bytes; and one with its index at the end, cut in half.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ffmpeg } from '../helpers/media';
import { useBackend } from '../helpers/tf';
import { head, tinyCheckpoint } from '../helpers/tiny_checkpoint';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-partialcli-'));
const ds = path.join(tmp, 'ds');
const ck = path.join(tmp, 'ck');
const cut = path.join(ds, 'clip.mp4');
const noIndex = path.join(ds, 'no-index.mp4');

function cover(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, cwd: tmp });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

beforeAll(async () => {
  if (!fs.existsSync(path.resolve(__dirname, '../../dist/src/cli/commands/data.js'))) throw new Error('run `npm run build` before these tests');
  fs.mkdirSync(ds);
  const src = ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=24:duration=9', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'];
  const whole = path.join(ds, 'whole.mp4');
  ffmpeg([...src, '-movflags', '+faststart', whole]);
  const data = fs.readFileSync(whole);
  fs.writeFileSync(cut, data.subarray(0, Math.floor(data.length * 0.2)));
  const atEnd = path.join(tmp, 'index-at-end.mp4');
  ffmpeg([...src, atEnd]);
  const end = fs.readFileSync(atEnd);
  fs.writeFileSync(noIndex, end.subarray(0, Math.floor(end.length / 2)));
  fs.writeFileSync(path.join(ds, 'train.csv'), 'path,label\nwhole.mp4,a\nclip.mp4,b\nno-index.mp4,a\n');
  await useBackend('wasm');
  await tinyCheckpoint(ck, [head('k400', ['a', 'b', 'c'])]);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('cover data check names the file cut short with both numbers, and the unopenable one as cut short; exit 1', () => {
  const r = cover('data', 'check', path.join(ds, 'train.csv'));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(1);
  expect(r.stdout).toContain('2 problems: decode-failed 1, cut-short 1');
  expect(r.stdout).toMatch(
    new RegExp(
      `cut-short +${escape(cut)} \\(.*train\\.csv:3\\): only (\\d+) of 216 frames decode \\((\\d\\.\\d) s of 9\\.0 s\\): the file is cut short \\(fix: download it again\\)\\n`,
    ),
  );
  const [, frames, seconds] = /only (\d+) of 216 frames decode \((\d\.\d) s/.exec(r.stdout)!;
  expect(Number(frames)).toBeLessThan(60); // about 20% of the bytes
  expect(Number(seconds)).toBeCloseTo(Number(frames) / 24, 1);
  expect(r.stdout).toMatch(new RegExp(`decode-failed +${escape(noIndex)} \\(.*train\\.csv:4\\): cannot be read as a video: moov atom not found .*cut short.*\\(fix: download it again`));
  expect(r.stdout).toMatch(/3 entries: 3 videos \(9\.0 s in all\); 1 ok/);
  const j = JSON.parse(cover('data', 'check', path.join(ds, 'train.csv'), '--json').stdout);
  expect(j.problemsByKind['cut-short']).toBe(1);
  expect(j.problems.find((p: { kind: string }) => p.kind === 'cut-short').message).toMatch(/^only \d+ of 216 frames decode/);
});

test('cover predict on a file cut short: one note line, and windows only within what decodes', () => {
  const r = cover('predict', cut, '--checkpoint', ck, '--backend', 'wasm');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const m = /^note: clip\.mp4 decodes only (\d\.\d) s of its declared 9\.0 s; predictions cover 0-(\d\.\d) s$/m.exec(r.stdout);
  expect(m).not.toBeNull();
  const decodedS = Number(m![1]);
  expect(m![2]).toBe(m![1]);
  expect(r.stdout.match(/^note: /gm)).toHaveLength(1);
  expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^${escape(cut)}: ${m![1]} s at 24 fps, \\d+ windows of 0\\.3 s`));
  const ends = [...r.stdout.matchAll(/^\d+\.\d-(\d+\.\d)s /gm)].map((x) => Number(x[1]));
  expect(ends.length).toBeGreaterThan(1);
  expect(Math.max(...ends)).toBeLessThanOrEqual(decodedS);

  const j = JSON.parse(cover('predict', cut, '--checkpoint', ck, '--backend', 'wasm', '--json').stdout);
  expect(j.partial).toMatchObject({ declaredFrames: 216, declaredS: 9 });
  expect(j.partial.note).toBe(m![0]);
  expect(j.durationS).toBe(j.partial.decodedS);
  expect(j.windows.length).toBe(ends.length);
  for (const w of j.windows) expect(w.endS).toBeLessThanOrEqual(j.partial.decodedS + 1e-9);
});

test('cover predict on a whole file prints no note; --json has partial: null', () => {
  const r = cover('predict', path.join(ds, 'whole.mp4'), '--checkpoint', ck, '--backend', 'wasm', '--json');
  expect(r.status).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j.partial).toBeNull();
  expect(j.durationS).toBe(9);
});

test('cover predict on an mp4 whose index was cut off: one line on stderr saying it is cut short, exit 2', () => {
  const r = cover('predict', noIndex, '--checkpoint', ck, '--backend', 'wasm');
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(
    `cover: error: ${noIndex}: cannot be read as a video: moov atom not found (its index, kept at the end of an mp4, is missing: the file is cut short) (fix: download it again, or remove it from the dataset)\n`,
  );
});
