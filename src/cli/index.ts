// cover's command line: one commander program, each subcommand a thin file under commands/ that parses its options,
// calls one library function and renders the result. Errors are handled once, in handleError.

import { Command } from 'commander';
import { coverVersion } from '../version';
import { DecodeDevice, setDecodeDevice } from '../data/decode/video/av_addon';
import { handleError } from './handle_error';
import { formatParseError } from './parse';
import { cotrainCommand } from './commands/cotrain';
import { doctorCommand } from './commands/doctor';
import { pretrainCommand } from './commands/pretrain';
import { transferCommand } from './commands/transfer';
import { reportCommand } from './commands/report';
import { parityCommand } from './commands/parity';
import { dataCommand } from './commands/data';
import { demoDataCommand } from './commands/demo_data';
import { evalCommand } from './commands/eval';
import { predictCommand } from './commands/predict';
import { exportCommand } from './commands/export';
import { studyCommand } from './commands/study';
import { planCommand } from './commands/plan';


export function buildProgram(): Command {
  const program = new Command('cover')
    .description('Train, evaluate and run video action-recognition models the CoVeR way:\none TimeSformer, many video and image datasets, one head per dataset.')
    .version(coverVersion());
  program.addCommand(pretrainCommand());
  program.addCommand(cotrainCommand());
  program.addCommand(transferCommand());
  program.addCommand(reportCommand());
  program.addCommand(doctorCommand());
  program.addCommand(parityCommand());
  program.addCommand(dataCommand());
  program.addCommand(demoDataCommand());
  program.addCommand(evalCommand());
  program.addCommand(predictCommand());
  program.addCommand(exportCommand());
  program.addCommand(studyCommand());
  program.addCommand(planCommand());
  oneLineErrors(program, []);
  // --decode-device is the decoder's, for the whole process: set before any command reads a video.
  program.hook('preAction', (_program, action) => {
    const d = (action.opts() as { decodeDevice?: DecodeDevice }).decodeDevice;
    if (d) setDecodeDevice(d);
  });
  return program;
}

/**
 * Every command, nested ones included: errors are thrown (to main's handleError) instead of exiting, and commander's
 * messages become cover's one error line, which names the command's --help instead of printing the usage after it.
 */
function oneLineErrors(cmd: Command, path: string[]): void {
  const where = path.join(' ');
  cmd.exitOverride().configureOutput({ outputError: (text, write) => write(formatParseError(text, where)) });
  for (const c of cmd.commands) oneLineErrors(c, [...path, c.name()]);
}

/** Runs the CLI and returns the process exit code (bin/cover.js exits with it). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return handleError(err);
  }
}
