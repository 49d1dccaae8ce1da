// Placeholder until the backend helper lands `cover doctor`.
import { Command } from 'commander';
export function doctorCommand(): Command {
  return new Command('doctor').description('check backends, threads, ffmpeg and versions');
}
