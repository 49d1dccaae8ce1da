// `cover plan`: what a training step of a preset needs in memory (weights, gradients, optimizer slots, activations at
// the micro-batch) against a device's memory, with no data and no allocation, so that a GPU job is sized before a GPU
// is rented. The numbers are the memory preflight's own (model/memory.ts), the ones a run checks before its first step.

import { Command, InvalidArgumentError, Option } from 'commander';
import { getPreset, PRESET_NAMES } from '../../config/presets';
import { sizeForMemory, StepPath } from '../../model/memory';
import { gib } from '../../engine/capacity';
import { RUN_DEFAULTS, RUN_LIMITS } from '../../run/run_config';
import { jsonOption } from '../options';
import { intArg, sizeArg } from '../parse';
import { table } from '../render';

interface PlanCliOptions {
  preset: string;
  batchSize: number;
  microBatch?: number;
  optimizer: 'adamw' | 'sgd';
  classes: number[];
  path: StepPath;
  recompute: 'off' | 'blocks';
  memory: number;
  freezeTemporal?: boolean;
  json?: boolean;
}

/** `--classes 400,174`: one head's class count each, at most 64 heads of up to 100,000 classes (config.json's bounds). */
function classesArg(v: string): number[] {
  const list = v.split(',').map((c) => (/^\s*\d+\s*$/.test(c) ? Number(c) : NaN));
  if (list.length > 64 || !list.every((n) => n >= 1 && n <= 100_000)) {
    throw new InvalidArgumentError(`--classes takes class counts from 1 to 100000, comma-separated (at most 64 heads), got '${v}'`);
  }
  return list;
}

export function planCommand(): Command {
  return new Command('plan')
    .description("what a training step needs in memory against a device's, with no data and no allocation (size a GPU job before renting one)")
    .addOption(new Option('--preset <name>', 'model size').choices(PRESET_NAMES).default('base'))
    .option('--batch-size <n>', 'clips per step', intArg('--batch-size', { min: 1, max: RUN_LIMITS.maxBatchSize }), RUN_DEFAULTS.batchSize)
    .option('--micro-batch <n>', 'clips per forward/backward pass (default: the batch)', intArg('--micro-batch', { min: 1, max: RUN_LIMITS.maxBatchSize }))
    .addOption(new Option('--optimizer <name>', 'adamw keeps 2 slots per parameter, sgd 1').choices(['adamw', 'sgd']).default('sgd'))
    .option('--classes <list>', 'classes of each head, comma-separated (CoVeR: 400,174,339,1000)', classesArg, [400])
    .addOption(new Option('--path <kind>', 'which kernels run the step: torch (libtorch), fused (wasm + accelerator), tfjs').choices(['torch', 'fused', 'tfjs']).default('torch'))
    .addOption(new Option('--recompute <mode>', "blocks: activation checkpointing, each block's activations held one block at a time").choices(['off', 'blocks']).default('off'))
    .requiredOption('--memory <size>', "the device's memory, e.g. 80GiB (H100), 141GB (H200), 24GiB", sizeArg('--memory'))
    .option('--freeze-temporal', 'train the non-temporal parameters only, as cover pretrain does')
    .addOption(jsonOption())
    .addHelpText('after', `
Examples:
  cover plan --preset base --batch-size 8 --memory 80GiB
  cover plan --preset large --batch-size 64 --micro-batch 4 --recompute blocks --memory 141GB --classes 400,174,339,1000`)
    .action((o: PlanCliOptions) => {
      const sized = sizeForMemory(
        { model: getPreset(o.preset), headClasses: o.classes, optimizer: o.optimizer, batchSize: o.batchSize, microBatch: o.microBatch ?? o.batchSize, path: o.path, freezeTemporal: o.freezeTemporal, recompute: o.recompute === 'blocks' },
        o.memory,
      );
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ preset: o.preset, batchSize: o.batchSize, microBatch: o.microBatch ?? o.batchSize, optimizer: o.optimizer, path: o.path, recompute: o.recompute, ...sized }, null, 2)}\n`);
        return;
      }
      const p = sized.plan;
      const t = table(['part', 'GiB'], { colAligns: ['left', 'right'] });
      t.push([`weights (${(p.params / 1e6).toFixed(1)} M parameters)`, gib(p.weightsBytes)]);
      t.push(['gradients', gib(p.gradsBytes)]);
      t.push([`${o.optimizer} slots`, gib(p.slotsBytes)]);
      t.push([`activations (micro-batch ${o.microBatch ?? o.batchSize}${o.recompute === 'blocks' ? ', blocks recomputed' : ''}) and input`, gib(p.activationsBytes)]);
      t.push(['total', gib(p.totalBytes)]);
      const verdict = sized.fits
        ? `fits in ${gib(sized.memoryBytes)} GiB`
        : sized.largestMicroBatch > 0
          ? `does not fit in ${gib(sized.memoryBytes)} GiB; --micro-batch ${sized.largestMicroBatch} does (gradients accumulate to the same step)`
          : `does not fit in ${gib(sized.memoryBytes)} GiB even one clip a pass: ${o.recompute === 'off' ? '--recompute blocks, ' : ''}a smaller preset, or more memory`;
      const onePass = sized.largestBatchOnePass > 0 ? `; one pass holds at most ${sized.largestBatchOnePass} clip${sized.largestBatchOnePass === 1 ? '' : 's'}` : '';
      process.stdout.write(
        `cover plan: ${o.preset}, batch ${o.batchSize}, ${o.optimizer}, ${o.path} kernels${o.recompute === 'blocks' ? ', blocks recomputed' : ''}\n${t.toString()}\n${verdict}${onePass}\n` +
          `(estimated: activations measured on the CPU backends; a GPU's allocator holds memory differently, so check with one step)\n`,
      );
    });
}
