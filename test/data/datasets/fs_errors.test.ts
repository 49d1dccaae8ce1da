// What each errno says and the fix it gets: read from the real errors the file system gives, where a test can make
// them as any user (ENOENT, ENOTDIR, ELOOP, EISDIR), and from the code alone for EACCES (root reads anything).

import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fsProblem, isAbsent } from '../../../src/fs_problem';
import { unreadableError } from '../../../src/data/datasets/fs_errors';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cover-fserr-'));
  await fs.writeFile(path.join(dir, 'file'), 'x');
  await fs.symlink('loop', path.join(dir, 'loop'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => null, (e: unknown) => e);

test('each errno has its own words and fix: a loop is not a permission problem, a folder is not a missing file', async () => {
  const cases: Array<[string, unknown, 'file' | 'folder', { message: string; suggestion: string }]> = [
    ['ENOENT', await failure(fs.readFile(path.join(dir, 'none'))), 'file', { message: 'file not found (ENOENT)', suggestion: 'check the path' }],
    ['ENOTDIR', await failure(fs.readdir(path.join(dir, 'file', 'x'))), 'folder', { message: 'a part of the path is a file, not a folder (ENOTDIR)', suggestion: 'check the path' }],
    ['ELOOP', await failure(fs.readFile(path.join(dir, 'loop'))), 'file', { message: 'is a symbolic link that loops (ELOOP)', suggestion: 'remove the link, or point it at the real file' }],
    ['EISDIR', await failure(fs.readFile(dir)), 'file', { message: 'is a folder, not a file (EISDIR)', suggestion: 'give the file inside it' }],
    ['EACCES', Object.assign(new Error('EACCES'), { code: 'EACCES' }), 'folder', {
      message: 'permission denied (EACCES)',
      suggestion: 'let this user read it (chmod a+rx on it, a+x on the folders above it), or run cover as a user who can',
    }],
  ];
  for (const [code, err, kind, want] of cases) expect([code, fsProblem(err, kind)]).toEqual([code, want]);
  expect([cases[0][1], cases[1][1], cases[2][1]].map(isAbsent)).toEqual([true, true, false]);
  expect(unreadableError(cases[2][1], path.join(dir, 'loop'), 'class list', 'file').oneLine()).toBe(
    `${path.join(dir, 'loop')}: cannot read the class list: is a symbolic link that loops (ELOOP) (fix: remove the link, or point it at the real file)`,
  );
});
