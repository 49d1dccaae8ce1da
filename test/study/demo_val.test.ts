// The small demo suite's val sets are large enough for a study to answer (about 250 clips a head, one standard error
// near 3 points at 50%), and a study refuses a small suite written by an earlier cover with the old 40-100 val clips.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SIZE_PRESETS } from '../../src/demo/plan';
import { UsageError } from '../../src/errors';
import { binomialStdErr } from '../../src/study/stats';
import { runStudy } from '../../src/study/study';
import { RunConfig } from '../../src/run/run_config';

test("the small suite's val sets resolve about 3 points at 50% top-1", () => {
  const p = SIZE_PRESETS.small;
  const perHead = { k400: p.val * p.classes.k400, ssv2: p.val * p.classes.ssv2, mit: p.val * p.classes.mit, imnet: p.imageVal * p.classes.imnet };
  expect(perHead).toEqual({ k400: 250, ssv2: 300, mit: 300, imnet: 250 });
  for (const n of Object.values(perHead)) expect(binomialStdErr(0.5, n)).toBeLessThan(0.0325);
});

test('a study refuses an old small suite with too few val clips, before any training', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-study-oldsuite-'));
  const demo = path.join(tmp, 'demo');
  fs.mkdirSync(demo);
  const ds = (name: string, kind: string, classes: number, val: number) => ({ name, format: 'x', root: name, kind, classes: Array.from({ length: classes }, (_, i) => `c${i}`), train: 48 * classes, val });
  fs.writeFileSync(
    path.join(demo, 'demo.json'),
    JSON.stringify({ generator: 'cover demo-data', size: 'small', seed: 0, spriteSource: 'procedural shapes', datasets: [ds('k400', 'video', 5, 40), ds('ssv2', 'video', 6, 48), ds('mit', 'video', 6, 48), ds('imnet', 'image', 5, 100)] }),
  );
  const base = { out: path.join(tmp, 'study'), data: {}, temperature: 1, batchSize: 8 } as unknown as RunConfig;
  const err = await runStudy({ spec: { videos: ['k400', 'ssv2'], images: ['imnet'], transferTo: [], seeds: [0], steps: 2, finetuneSteps: 1, budget: 'steps', start: 'scratch' }, base, demoDir: demo, demoSize: 'small' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UsageError);
  expect((err as UsageError).oneLine()).toBe(
    `${demo}: holds the small demo suite of an earlier cover, with 40 val clips for k400 where this one has 250; a study needs them to tell its arms apart (fix: move it away (it is generated again), or give --demo-dir a new folder)`,
  );
  expect(fs.existsSync(path.join(tmp, 'study'))).toBe(false);
  fs.rmSync(tmp, { recursive: true, force: true });
});
