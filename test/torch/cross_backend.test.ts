// torch against wasm, the embedded default: 20 `small` training steps from one seed give the same losses, and a run's
// checkpoint moves between the two backends through the built CLI (trained on torch, resumed on wasm, and back).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { lossTrajectory } from '../../bench/train';
import { initBackend } from '../../src/engine/backend';
import { describeTorch } from './torch_helpers';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');

describeTorch('torch and wasm agree', () => {
  test('20 small training steps: the same losses to 1e-4', async () => {
    await initBackend({ backend: 'wasm', accel: 'off' });
    const wasm = lossTrajectory({ preset: 'small', batch: 2, steps: 20 });
    await initBackend({ backend: 'torch' });
    const torch = lossTrajectory({ preset: 'small', batch: 2, steps: 20 });
    expect(torch).toHaveLength(20);
    const worst = Math.max(...wasm.map((l, i) => Math.abs(l - torch[i])));
    expect(worst).toBeLessThan(1e-4);
    expect(wasm[19]).toBeLessThan(wasm[0]); // it trains
  });

  test('a run trained on torch resumes on wasm and the other way round, with the losses of a run on one backend', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-xbackend-'));
    const demo = tinySuite();
    const run = (out: string, backend: string, steps: number, resume = false) => {
      const args = resume
        ? ['cotrain', '--resume', '--out', out, '--steps', String(steps), '--backend', backend]
        : ['cotrain', '--datasets', 'k400', '--demo', 'tiny', '--demo-dir', demo, '--preset', 'tiny', '--steps', String(steps), '--batch-size', '4',
            '--eval-every', '0', '--views', '1x1', '--checkpoint-every', '2', '--out', out, '--backend', backend];
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 });
      expect(r.stderr).not.toMatch(/error/);
      expect(r.status).toBe(0);
    };
    const losses = (out: string) =>
      fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'step').map((e) => e.loss as number);
    try {
      // The reference stops and resumes the same way on one backend (a 2-step run resumed to 4 has another LR schedule
      // than a 4-step run from the start).
      run(path.join(tmp, 'wasm'), 'wasm', 2);
      run(path.join(tmp, 'wasm'), 'wasm', 4, true);
      run(path.join(tmp, 't2w'), 'torch', 2);
      run(path.join(tmp, 't2w'), 'wasm', 4, true);
      run(path.join(tmp, 'w2t'), 'wasm', 2);
      run(path.join(tmp, 'w2t'), 'torch', 4, true);
      const ref = losses(path.join(tmp, 'wasm'));
      expect(ref).toHaveLength(4);
      for (const out of ['t2w', 'w2t']) {
        const l = losses(path.join(tmp, out));
        expect(l).toHaveLength(4);
        expect(Math.max(...l.map((x, i) => Math.abs(x - ref[i])))).toBeLessThan(1e-4);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
