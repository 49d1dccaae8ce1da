// `cover pretrain`: image-only training (images are single-frame videos, T = 1) of the non-temporal parameters, from
// scratch or from imported ViT weights; its checkpoint is where `cover cotrain --init` starts.

import { Command } from 'commander';
import { addTrainOptions, nprocOption, TrainCliOptions } from '../train_options';
import { namesArg } from '../parse';
import { trainAction } from './train_common';

export function pretrainCommand(): Command {
  const cmd = new Command('pretrain')
    .description('train the non-temporal parameters on image datasets (T = 1); the checkpoint seeds cotrain')
    .option('--datasets <list>', 'comma-separated image dataset names', namesArg('--datasets'), 'imnet');
  addTrainOptions(cmd).addOption(nprocOption());
  cmd.addHelpText(
    'after',
    `
Examples:
  cover pretrain                                              # the demo suite's image set
  cover pretrain --data imnet=/data/imagenet --init vit_base_patch16_224.safetensors --preset base
  cover cotrain --init runs/pretrain/checkpoint              # then co-train from it`,
  );
  return cmd.action(async (o: TrainCliOptions & { datasets: string }) => {
    await trainAction('pretrain', o.datasets.split(',').map((s) => s.trim()).filter(Boolean), o, cmd);
  });
}
