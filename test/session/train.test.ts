// train() is what `cover cotrain` does: the same request, in process and through the built CLI (run `npm run build`
// first), gives byte-identical weights and optimizer state, and the same checkpoint config but for its time stamp and
// its folder; the header comes as data before the first step; a resumed run says so in its header.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RunHeader, train } from '../../src/session/train';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-session-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SETTINGS = { preset: 'tiny', steps: 4, batchSize: 4, evalEvery: 0, views: '1x1', checkpointEvery: 2, mixup: 0.2 };

function configWithout(dir: string): unknown {
  const c = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint', 'config.json'), 'utf8'));
  delete c.created;
  delete c.extra.run.config.out;
  return c;
}

test('train() and `cover cotrain` with the same request write the same checkpoint', async () => {
  const demo = tinySuite();
  const cli = path.join(tmp, 'cli');
  const r = spawnSync(process.execPath, [BIN, 'cotrain', '--datasets', 'k400,imnet', '--demo', 'tiny', '--demo-dir', demo, '--preset', 'tiny', '--steps', '4',
    '--batch-size', '4', '--eval-every', '0', '--views', '1x1', '--checkpoint-every', '2', '--mixup', '0.2', '--backend', 'wasm', '--out', cli], { encoding: 'utf8', timeout: 240_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);

  const lib = path.join(tmp, 'lib');
  const headers: RunHeader[] = [];
  const lines: string[] = [];
  const { result, header, writer } = await train(
    { kind: 'cotrain', datasets: ['k400', 'imnet'], demo: { size: 'tiny', dir: demo }, settings: SETTINGS, out: lib, engine: { backend: 'wasm' } },
    { log: (l) => lines.push(l), header: (h) => headers.push(h) },
  );
  expect(writer).toBe(true);
  expect(headers).toEqual([header]);
  expect(header).toMatchObject({ kind: 'cotrain', datasets: ['k400', 'imnet'], demo, resumed: false, preset: 'tiny', steps: 4, batchSize: 4, out: lib, backend: { name: 'wasm' } });
  expect(result.steps).toBe(4);
  for (const f of ['weights.safetensors', 'train_state.safetensors']) {
    expect(fs.readFileSync(path.join(lib, 'checkpoint', f)).equals(fs.readFileSync(path.join(cli, 'checkpoint', f)))).toBe(true);
  }
  expect(configWithout(lib)).toEqual(configWithout(cli));

  // Resumed with a longer run: the header says it resumed, and the settings are the saved ones.
  const again = await train({ kind: 'cotrain', datasets: [], resume: true, settings: { steps: 6 }, out: lib, engine: { backend: 'wasm' } }, { log: (l) => lines.push(l) });
  expect(again.header).toMatchObject({ resumed: true, steps: 6, preset: 'tiny' });
  expect(again.result.steps).toBe(6);
  expect(lines).toContain(`resuming cotrain from step 4 of 6 (${path.join(lib, 'checkpoint')})`);
}, 300_000);
