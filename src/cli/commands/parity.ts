// `cover parity <fixture-dir>`: the model against reference outputs; exits 1 above the tolerance.

import { Command, Option } from 'commander';
import { table as makeTable } from '../render';
import { initBackend } from '../../engine/backend';
import { runParity, PARITY_TOLERANCE } from '../../tools/parity';
import { addEngineOptions, EngineOptions, engineRequest, jsonOption } from '../options';
import { numArg } from '../parse';

export function parityCommand(): Command {
  return addEngineOptions(new Command('parity'))
    .description('run a reference fixture (config.json, weights.safetensors, io.safetensors) through the model and compare')
    .argument('<fixture-dir>', 'folder in the format of test/fixtures/timesformer-parity/*')
    .addOption(new Option('--tolerance <x>', 'largest accepted absolute error').default(PARITY_TOLERANCE).argParser(numArg('--tolerance', { min: 0, minExclusive: true })))
    .addOption(jsonOption())
    .action(async (dir: string, opts: EngineOptions & { tolerance: number; json?: boolean }) => {
      await initBackend(engineRequest(opts));
      const result = await runParity(dir, opts.tolerance);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        const table = makeTable(['input', 'shape [B,C,T,H,W]', 'features max |err|', 'logits max |err|', '']);
        for (const c of result.cases) {
          table.push([c.name, c.inputShape.join('x'), c.featuresMaxAbsErr.toExponential(2), c.logitsMaxAbsErr.toExponential(2), c.pass ? 'ok' : 'FAIL']);
        }
        process.stdout.write(`parity ${result.fixture} on ${result.backend} (tolerance ${result.tolerance})\n${table.toString()}\n`);
        process.stdout.write(result.pass ? 'parity: pass\n' : 'parity: FAIL\n');
      }
      process.exitCode = result.pass ? 0 : 1;
    });
}
