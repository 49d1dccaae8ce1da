import { Command } from 'commander';
export function parityCommand(): Command {
  return new Command('parity').description('check the model against a reference fixture');
}
