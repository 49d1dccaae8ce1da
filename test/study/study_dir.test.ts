// A study's folder: the same plan continues, another plan is refused unless --overwrite (which removes that study's own
// files only), and a folder that is not a study is never written into.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../../src/errors';
import { claimStudyDir } from '../../src/study/study_dir';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-study-dir-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const planA = { spec: { steps: 4 }, config: { preset: 'tiny' }, arms: [{ id: 'seed0/single_k400' }] };
const planB = { spec: { steps: 5 }, config: { preset: 'tiny' }, arms: [{ id: 'seed0/single_k400' }] };

function writeStudy(dir: string): void {
  fs.mkdirSync(path.join(dir, 'seed0', 'single_k400'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'study.json'), JSON.stringify({ generator: 'cover study', plan: planA, arms: [{ id: 'seed0/single_k400' }, { id: '../escape' }] }));
  fs.writeFileSync(path.join(dir, 'study.md'), '# cover study');
  fs.writeFileSync(path.join(dir, 'seed0', 'single_k400', 'log.jsonl'), '{"type":"start","step":0}\n');
  fs.writeFileSync(path.join(dir, 'seed0', 'notes.txt'), 'mine');
}

test('new, continue, refuse, replace', () => {
  const dir = path.join(tmp, 'a');
  expect(claimStudyDir(dir, planA)).toBe('new');
  writeStudy(dir);
  expect(claimStudyDir(dir, planA)).toBe('continue');
  const err = (() => {
    try {
      claimStudyDir(dir, planB);
    } catch (e) {
      return e as UsageError;
    }
  })();
  expect(err).toBeInstanceOf(UsageError);
  expect(err!.oneLine()).toBe(`${dir}: already holds another study (steps 4, not 5) (fix: run that study's command again to continue it, replace it with --overwrite, or choose another --out)`);
  expect(fs.existsSync(path.join(dir, 'seed0', 'single_k400', 'log.jsonl'))).toBe(true);

  expect(claimStudyDir(dir, planB, { overwrite: true })).toBe('replaced');
  expect(fs.readdirSync(dir)).toEqual(['seed0']);
  expect(fs.readdirSync(path.join(dir, 'seed0'))).toEqual(['notes.txt']); // the user's file stays
});

test('a folder with other files in it is refused, even with --overwrite', () => {
  const dir = path.join(tmp, 'thesis');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'thesis.tex'), 'precious');
  expect(() => claimStudyDir(dir, planA, { overwrite: true })).toThrow(/--out is a folder with other files in it, not a cover study/);
  expect(fs.readFileSync(path.join(dir, 'thesis.tex'), 'utf8')).toBe('precious');
});
