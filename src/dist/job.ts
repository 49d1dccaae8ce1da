// Joining a data-parallel job from a training command: which backend it needs (the torch backend, whose c10d process
// group carries the all-reduce), and the DataParallel object the trainer is given. A single process (no launcher, or a
// job of one rank) gets null and trains as before.

import { BackendRequest } from '../engine/backend';
import { ConfigError } from '../errors';
import { DataParallel } from './data_parallel';
import { LaunchEnv, readLaunchEnv } from './launch_env';
import { ProcessGroup } from './process_group';

/** The job this process is a rank of, or null when it is the only process. */
export function currentJob(env: NodeJS.ProcessEnv = process.env): LaunchEnv | null {
  const launch = readLaunchEnv(env);
  return launch && launch.world > 1 ? launch : null;
}

/** What to ask initBackend for in a job of `world` ranks: torch (auto included); another backend is one line. */
export function backendForJob(world: number, requested: BackendRequest, launcher: string): BackendRequest {
  if (requested === 'auto' || requested === 'torch') return 'torch';
  throw new ConfigError(`--backend ${requested}: data-parallel training (${world} ranks, ${launcher}) runs on the torch backend's c10d process group`, {
    suggestion: 'use --backend torch (apt-get install libtorch-dev libgloo-dev, then npm ci, if it is not built)',
  });
}

/** Joins the job's process group (the torch backend must be active). `local` is this rank's Ctrl-C. */
export function joinJob(job: LaunchEnv, local?: AbortSignal): DataParallel {
  return new DataParallel(ProcessGroup.join(job), local);
}
