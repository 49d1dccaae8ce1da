// find_ffmpeg: the lookup order (COVER_FFMPEG, ffmpeg-static, @ffmpeg-installer, PATH), the memo, and one clear
// DecodeError for each way an explicit setting can be wrong. Fake ffmpegs are small shell scripts in a temp folder:
// real files, run for real (`-version`).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DecodeError } from '../../src/errors';
import { FFMPEG_FIX, findFfmpeg, requireFfmpeg, resetFfmpegCache } from '../../src/data/decode/video/find_ffmpeg';

const saved = { PATH: process.env.PATH, COVER_FFMPEG: process.env.COVER_FFMPEG, COVER_FFPROBE: process.env.COVER_FFPROBE };
let tmp: string;

function script(dir: string, name: string, body: string, mode = 0o755): string {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(p, mode);
  return p;
}

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-ffmpeg-test-'));
  delete process.env.COVER_FFMPEG;
  delete process.env.COVER_FFPROBE;
  resetFfmpegCache();
});

afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetFfmpegCache();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// Neither npm ffmpeg package installs offline here, so PATH is where the search ends up (docs/notes/engine-probe.md §5).
const npmFfmpegPresent = installed('ffmpeg-static') || installed('@ffmpeg-installer/ffmpeg');

(npmFfmpegPresent ? test.skip : test)('finds ffmpeg on PATH, with its version and the ffprobe beside it, after the npm packages', () => {
  const bin = path.join(tmp, 'bin');
  const ffmpeg = script(bin, 'ffmpeg', 'echo "ffmpeg version 9.9-test Copyright (c) the testers"');
  const ffprobe = script(bin, 'ffprobe', 'echo "ffprobe version 9.9-test"');
  process.env.PATH = `${path.join(tmp, 'empty')}${path.delimiter}${bin}`;
  const loc = findFfmpeg();
  expect(loc).toMatchObject({ ffmpeg, ffprobe, source: 'PATH', version: '9.9-test', problem: null });
  expect(loc.tried.map((t) => t.split(':')[0])).toEqual(['ffmpeg-static', '@ffmpeg-installer/ffmpeg', 'PATH']);
  expect(loc.tried[0]).toBe('ffmpeg-static: not installed');
});

test('COVER_FFMPEG pointing at a real ffmpeg wins over PATH; COVER_FFPROBE likewise', () => {
  script(path.join(tmp, 'bin'), 'ffmpeg', 'echo "ffmpeg version 1.0-path"');
  process.env.PATH = path.join(tmp, 'bin');
  const mine = script(path.join(tmp, 'mine'), 'my-ffmpeg', 'echo "ffmpeg version 2.0-env"');
  const probe = script(path.join(tmp, 'other'), 'my-ffprobe', 'echo "ffprobe version 2.0-env"');
  process.env.COVER_FFMPEG = mine;
  process.env.COVER_FFPROBE = probe;
  expect(requireFfmpeg()).toMatchObject({ ffmpeg: mine, ffprobe: probe, source: 'COVER_FFMPEG', version: '2.0-env', problem: null });
});

test('COVER_FFMPEG at the real Debian ffmpeg reports its version', () => {
  if (!fs.existsSync('/usr/bin/ffmpeg')) throw new Error('this test expects Debian ffmpeg at /usr/bin/ffmpeg (apt-get install ffmpeg)');
  process.env.COVER_FFMPEG = '/usr/bin/ffmpeg';
  const loc = requireFfmpeg();
  expect(loc.source).toBe('COVER_FFMPEG');
  expect(loc.version).toMatch(/^\d+\.\d+/);
  expect(loc.ffprobe).toBe('/usr/bin/ffprobe');
});

test('COVER_FFMPEG pointing at a missing file is a DecodeError naming the path and the fix, not a fallback to PATH', () => {
  script(path.join(tmp, 'bin'), 'ffmpeg', 'echo "ffmpeg version 1.0-path"');
  process.env.PATH = path.join(tmp, 'bin');
  const missing = path.join(tmp, 'nope', 'ffmpeg');
  process.env.COVER_FFMPEG = missing;
  const loc = findFfmpeg();
  expect(loc.ffmpeg).toBeNull();
  expect(loc.problem).toEqual({ variable: 'COVER_FFMPEG', path: missing, message: 'COVER_FFMPEG is set to a file that does not exist' });
  let err: unknown;
  try {
    requireFfmpeg();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DecodeError);
  const d = err as DecodeError;
  expect(d.exitCode).toBe(2);
  expect(d.oneLine()).toBe(
    `${missing}: COVER_FFMPEG is set to a file that does not exist ` +
      '(fix: set COVER_FFMPEG to the full path of a working ffmpeg, or unset it to search ffmpeg-static, @ffmpeg-installer and PATH)',
  );
});

test('COVER_FFMPEG at a file that is not executable, or does not run as ffmpeg, is a clear error', () => {
  const notExec = script(tmp, 'ffmpeg-noexec', 'echo hi', 0o644);
  process.env.COVER_FFMPEG = notExec;
  expect(() => requireFfmpeg()).toThrow('COVER_FFMPEG is set to something that is not an executable file');

  resetFfmpegCache();
  process.env.COVER_FFMPEG = script(tmp, 'ffmpeg-broken', 'exit 1');
  expect(() => requireFfmpeg()).toThrow('COVER_FFMPEG is set to a program that does not run as ffmpeg');
});

test('a wrong COVER_FFPROBE is reported even though ffmpeg was found', () => {
  process.env.COVER_FFMPEG = script(tmp, 'ffmpeg', 'echo "ffmpeg version 3.0"');
  process.env.COVER_FFPROBE = path.join(tmp, 'missing-ffprobe');
  expect(findFfmpeg().ffmpeg).toBe(path.join(tmp, 'ffmpeg'));
  expect(() => requireFfmpeg()).toThrow(new DecodeError('COVER_FFPROBE is set to a file that does not exist'));
});

(npmFfmpegPresent ? test.skip : test)('no ffmpeg anywhere: requireFfmpeg says where it looked and how to install one', () => {
  process.env.PATH = path.join(tmp, 'empty');
  let err: unknown;
  try {
    requireFfmpeg();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DecodeError);
  const d = err as DecodeError;
  expect(d.message).toBe('ffmpeg not found (looked at: ffmpeg-static: not installed; @ffmpeg-installer/ffmpeg: not installed; PATH: no ffmpeg on PATH)');
  expect(d.suggestion).toBe(FFMPEG_FIX);
});

test('the answer is memoised until resetFfmpegCache()', () => {
  const first = script(path.join(tmp, 'a'), 'ffmpeg', 'echo "ffmpeg version 1"');
  process.env.COVER_FFMPEG = first;
  const loc = findFfmpeg();
  process.env.COVER_FFMPEG = script(path.join(tmp, 'b'), 'ffmpeg', 'echo "ffmpeg version 2"');
  expect(findFfmpeg()).toBe(loc);
  resetFfmpegCache();
  expect(findFfmpeg().version).toBe('2');
});
