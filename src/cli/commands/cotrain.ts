// `cover cotrain --datasets k400,ssv2,mit,imnet`: one TimeSformer co-trained on video and image datasets, one head each,
// batches mixed in proportion to dataset size (CoVeR). With no --data it trains on the demo suite.

import { Command } from 'commander';
import { addTrainOptions, nprocOption, TrainCliOptions } from '../train_options';
import { namesArg } from '../parse';
import { trainAction } from './train_common';

export function cotrainCommand(): Command {
  const cmd = new Command('cotrain')
    .description('co-train one model on several video and image datasets, one head per dataset (CoVeR)')
    .option('--datasets <list>', 'comma-separated dataset names (k400,k600,k700,ssv2,mit,imnet, or names given with --data)', namesArg('--datasets'), 'k400,ssv2,mit,imnet');
  addTrainOptions(cmd).addOption(nprocOption());
  cmd.addHelpText(
    'after',
    `
Examples:
  cover cotrain                                   # the demo suite, generated on first use
  cover cotrain --datasets k400,ssv2 --data k400=/data/kinetics400 --data ssv2=/data/smth-smth-v2 --preset base --steps 100000
  cover cotrain --datasets k400,mine --data k400=/data/k400 --data mine=manifest:/data/mine/train.csv
  cover cotrain --resume --out runs/cotrain       # continue a stopped or killed run exactly`,
  );
  return cmd.action(async (o: TrainCliOptions & { datasets: string }) => {
    await trainAction('cotrain', o.datasets.split(',').map((s) => s.trim()).filter(Boolean), o, cmd);
  });
}
