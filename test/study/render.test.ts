// The study's tables from known arm results over 3 seeds: "±" labelled as the s.d. over seeds, each paired difference as
// its mean, 95% t interval and per-seed values, McNemar's test per seed from the arms' clips, the claims' verdicts, and
// the start the study used.
import { renderStudyMarkdown } from '../../src/study/render_md';
import { ArmRecord, StudyResult, summarize } from '../../src/study/summary';
import { formatP } from '../../src/study/tables';

const spec = { videos: ['k400', 'ssv2'], images: ['imnet'], transferTo: [], seeds: [0, 1, 2], steps: 10, finetuneSteps: 5, budget: 'steps' as const, start: 'pretrain' as const, pretrainSteps: 10 };

function arm(seed: number, kind: ArmRecord['kind'], datasets: string[], top1: Record<string, number>): ArmRecord {
  const id = `seed${seed}/${kind === 'single' ? `single_${datasets[0]}` : kind}`;
  const evals = Object.fromEntries(Object.entries(top1).map(([h, t]) => [h, { top1: t, top5: 1, meanClassAccuracy: t, n: 20 }]));
  return { id, seed, kind, label: kind, datasets, steps: 10, ownClips: {}, status: 'trained', evals, ...(kind === 'pretrain' ? {} : { from: `seed${seed}/pretrain` }) };
}

test('paired differences with their t interval, McNemar per seed, ± as the s.d. over seeds, the start', () => {
  const arms: ArmRecord[] = [];
  [0.5, 0.6, 0.7].forEach((a, seed) => {
    const b = a + [0.05, 0.02, 0.07][seed]; // (b) − (a) on k400: +5, +2, +7 points
    arms.push(arm(seed, 'pretrain', ['imnet'], { imnet: 0.8 }), arm(seed, 'single', ['k400'], { k400: a }), arm(seed, 'single', ['ssv2'], { ssv2: 0.3 }));
    arms.push(arm(seed, 'videos', ['k400', 'ssv2'], { k400: b, ssv2: 0.3 }), arm(seed, 'cover', ['k400', 'ssv2', 'imnet'], { k400: b, ssv2: 0.3, imnet: 0.85 }));
  });
  // Seed 0's clips: (b) gets 6 k400 clips right that (a) gets wrong, and none the other way (binomtest(0, 6): p = 0.03125).
  const right = (n: number) => new Map([['k400', new Map(Array.from({ length: 20 }, (_, i) => [`k400/${i}.mp4`, i < n]))]]);
  const clips = (id: string) => (id === 'seed0/single_k400' ? right(10) : id === 'seed0/videos' ? right(16) : null);
  const r: StudyResult = {
    generator: 'cover study', version: 'test', complete: true, spec, budget: { kind: 'steps', description: 'equal steps' },
    config: { preset: 'tiny', batchSize: 4, optimizer: 'adamw', lr: 5e-4, schedule: 'cosine', views: '1x3' }, arms, summary: summarize(spec, arms, clips), seconds: 0,
  };
  const md = renderStudyMarkdown(r);
  expect(md).toContain("| start | image pretraining: `cover pretrain` on imnet for 10 steps (cover's choice: the budget of a single arm, --pretrain-steps to change it), once per seed; every arm of the seed starts from it |");
  expect(md).toContain('## Top-1 per head (%, mean ± s.d. over seeds)');
  expect(md).toContain("±: the sample standard deviation of the 3 seeds' top-1, how much one run varies with its seed; it is not an uncertainty of the mean");
  expect(md).toContain('| imnet (images) | 20 | 80.0 ± 0.0 | - | 85.0 ± 0.0 |');
  // scipy.stats.t.interval(0.95, 2, loc=0.04667, scale=0.02517/sqrt(3)) = (-0.01585, 0.10918)
  expect(md).toContain('| k400 | +4.7 [-1.6, +10.9] (+5.0, +2.0, +7.0) | +4.7 [-1.6, +10.9] (+5.0, +2.0, +7.0) | +0.0 [+0.0, +0.0] (+0.0, +0.0, +0.0) |');
  expect(md).toContain('mean ± t(0.975, 2) × s.d. / √3 with t = 4.30');
  expect(md).toContain('| k400 | (b) − (a) | 6 vs 0, p 0.031 | - | - |');
  expect(md).toContain('| ssv2 | (b) − (a) | - | - | - |');
  expect(md).toContain('k400 +4.7 [-1.6, +10.9] (+5.0, +2.0, +7.0), interval includes 0, McNemar p < 0.05 in 1 of 1 seeds; ssv2 +0.0 [+0.0, +0.0] (+0.0, +0.0, +0.0), interval includes 0 |');
  expect(md).toContain('| seed1/videos | videos (from seed1/pretrain) |');
});

test('p-values in two significant digits', () => {
  expect([0.5, 0.109375, 0.03125, 0.0018833, 0.0000785, 1].map(formatP)).toEqual(['0.50', '0.11', '0.031', '0.0019', '<0.001', '1.00']);
});
