// The audit's message defects, each at its write or print site (in process): file names' control characters never reach
// the terminal raw; the max-bad refusal gives one fix, not one per sample plus its own; a full disk or a permission
// problem at each write site is one FileError naming the file (exit 3 for the disk, 2 for the path), never
// "ENOSPC: ENOSPC:" or a stack trace.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BadSamples } from '../../src/data/feed/bad_samples';
import { CoverError, DatasetError, FileError, printable } from '../../src/errors';
import { checkWritableFolder } from '../../src/run/run_dir';
import { appendLog, truncateLog } from '../../src/run/run_log';
import { writeAtomically } from '../../src/checkpoint/safetensors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-msg-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
// The module object itself: `import * as` gives a read-only view that jest cannot spy on, and cover's own reads go
// through the module object, so a spy here is what cover's code calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs = require('fs') as typeof fs;
afterEach(() => jest.restoreAllMocks());

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: the system's own words, write`), { code });
}

function thrown(f: () => unknown): CoverError {
  try {
    f();
  } catch (err) {
    if (err instanceof CoverError) return err;
    throw err;
  }
  throw new Error('did not throw');
}

test('control characters in names are escapes, never sent raw (an ANSI colour, a carriage return, a newline)', () => {
  const name = '/data/\u001b[31mred\r.mp4';
  expect(printable(name)).toBe('/data/\\x1b[31mred\\x0d.mp4');
  const line = new DatasetError('cannot be read', { path: name, suggestion: 'remove it' }).oneLine();
  expect(line).toBe('/data/\\x1b[31mred\\x0d.mp4: cannot be read (fix: remove it)');
  expect(new DatasetError('x', { path: 'a\nb' }).oneLine()).toBe('a\\nb: x');
});

test('the max-bad refusal names the first samples without their own fixes: one "(fix: ...)" in the line', () => {
  const bad = new BadSamples([{ dataset: 'x', root: '/d', samples: 8, droppedRows: 0 }], 0);
  const err = thrown(() =>
    bad.count({ dataset: 'x', sampleIdx: 0, path: '/d/a.jpg', reason: 'undecodable', problem: '/d/a.jpg: cannot be read as an image (fix: re-download the image)' }),
  );
  const line = err.oneLine();
  expect(line.match(/\(fix: /g)).toHaveLength(1);
  expect(line).toBe(
    "/d: dataset 'x': 1 unreadable sample (1 undecodable file), more than --max-bad 0 (0 of 8 rows) allows; first: /d/a.jpg: cannot be read as an image (fix: run `cover data check` on the dataset, fix or remove the files, or raise --max-bad)",
  );
});

describe('each write site on a full disk or a forbidden path is one FileError naming the file', () => {
  const log = path.join(tmp, 'log.jsonl');
  test.each([
    ['ENOSPC', 3, 'the disk is full (ENOSPC) (fix: free some space on that disk, or choose a folder on another one)'],
    ['EDQUOT', 3, 'the disk quota is used up (EDQUOT) (fix: free some space, or choose a folder on another disk)'],
    ['EROFS', 2, 'the file system is read-only (EROFS) (fix: choose a folder on a writable disk)'],
    ['EACCES', 2, 'permission denied (EACCES) (fix: check the permissions of the folder (ls -ld), or choose another path)'],
  ])('%s appending to log.jsonl, rewriting it, and writing a file atomically (exit %i)', (code, exit, words) => {
    jest.spyOn(realFs, 'appendFileSync').mockImplementation(() => {
      throw errno(code);
    });
    const append = thrown(() => appendLog(log, { type: 'step', step: 1 }));
    expect(append).toBeInstanceOf(FileError);
    expect(append.exitCode).toBe(exit);
    expect(append.oneLine()).toBe(`${log}: cannot append to the run log: ${words}`);

    fs.writeFileSync(log, '{"type":"step","step":1}\n{"type":"step","step":2}\n');
    jest.spyOn(realFs, 'fsyncSync').mockImplementation(() => {
      throw errno(code);
    });
    const rewrite = thrown(() => truncateLog(log, 1));
    expect(rewrite.oneLine()).toBe(`${log}: cannot write it: ${words}`);
    expect(fs.readFileSync(log, 'utf8')).toBe('{"type":"step","step":1}\n{"type":"step","step":2}\n'); // kept whole
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]); // no temporary file left

    const result = path.join(tmp, 'result.json');
    expect(thrown(() => writeAtomically(result, (fd) => fs.writeSync(fd, '{}'))).oneLine()).toBe(`${result}: cannot write it: ${words}`);
  });
});

test('an --out this user may not write into is refused before any work, naming the folder', () => {
  jest.spyOn(realFs, 'accessSync').mockImplementation(() => {
    throw errno('EACCES');
  });
  const out = path.join(tmp, 'not-mine', 'run');
  const err = thrown(() => checkWritableFolder(out));
  expect(err.oneLine()).toBe(`${tmp}: cannot write the run folder there: permission denied (EACCES) (fix: check the permissions of the folder (ls -ld), or choose another path)`);
  expect(err.exitCode).toBe(2);
});
