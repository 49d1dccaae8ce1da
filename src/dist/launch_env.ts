// Where this process sits in a data-parallel job, read from the launcher's environment, as PyTorch's env:// rendezvous
// reads it: torchrun (and `cover ... --nproc N`) set RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT; SLURM's
// srun sets SLURM_PROCID, SLURM_NTASKS (SLURM_STEP_NUM_TASKS for the step), SLURM_LOCALID and SLURM_NODELIST, and the
// master is MASTER_ADDR or the first host of the node list. torchrun's variables win when both are there (srun
// starting torchrun). A value that contradicts another is one ConfigError naming both, before anything starts.

import { ConfigError } from '../errors';

export type Launcher = 'torchrun' | '--nproc' | 'slurm';

export interface LaunchEnv {
  rank: number;
  world: number;
  /** Rank on this machine (picks the GPU on cuda). */
  localRank: number;
  /** Host of rank 0's rendezvous store. */
  addr: string;
  port: number;
  launcher: Launcher;
}

/** MASTER_PORT when srun gives none: PyTorch's default port moved by the job id, so two jobs on a node differ. */
export const SLURM_BASE_PORT = 29500;

const LAUNCH_FIX = 'torchrun and srun set these for you; when setting them by hand, give 0 <= RANK < WORLD_SIZE and MASTER_ADDR/MASTER_PORT of rank 0';

function whole(env: NodeJS.ProcessEnv, name: string, min: number): number {
  const v = env[name]!;
  if (!/^\s*\d+\s*$/.test(v) || Number(v) < min) throw new ConfigError(`${name}=${v} is not a whole number of at least ${min}`, { suggestion: LAUNCH_FIX });
  return Number(v);
}

function required(env: NodeJS.ProcessEnv, names: string[], because: string): void {
  const missing = names.filter((n) => !env[n]);
  if (missing.length > 0) throw new ConfigError(`${because}, but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set`, { suggestion: LAUNCH_FIX });
}

/**
 * The first host of a SLURM node list: `node[03-05,09],gpu1` -> `node03` (zero padding kept).
 * @example firstHost('gpu[001-004]') // 'gpu001'
 */
export function firstHost(nodelist: string): string {
  const m = /^([^,[]+)(?:\[([^\]]+)\])?/.exec(nodelist.trim());
  if (!m) throw new ConfigError(`SLURM_NODELIST=${nodelist} names no host`, { suggestion: 'set MASTER_ADDR to the host of rank 0' });
  const first = m[2] ? m[2].split(',')[0].split('-')[0] : '';
  return `${m[1]}${first}`;
}

function check(e: LaunchEnv, names: { rank: string; world: string; local: string }): LaunchEnv {
  if (e.world < 1) throw new ConfigError(`${names.world}=${e.world}: a job has at least 1 process`, { suggestion: LAUNCH_FIX });
  if (e.rank >= e.world) throw new ConfigError(`${names.rank}=${e.rank} is not below ${names.world}=${e.world}`, { suggestion: LAUNCH_FIX });
  if (e.localRank > e.rank) throw new ConfigError(`${names.local}=${e.localRank} is above ${names.rank}=${e.rank} (ranks on one machine are a subset of all ranks)`, { suggestion: LAUNCH_FIX });
  if (!(e.port >= 1 && e.port <= 65535)) throw new ConfigError(`MASTER_PORT=${e.port} is not a port (1 to 65535)`, { suggestion: LAUNCH_FIX });
  return e;
}

/** The job this process belongs to, or null when no launcher's variables are set (a plain single process). */
export function readLaunchEnv(env: NodeJS.ProcessEnv = process.env): LaunchEnv | null {
  if (env.RANK || env.WORLD_SIZE) {
    required(env, ['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'], env.RANK ? `RANK=${env.RANK} is set` : `WORLD_SIZE=${env.WORLD_SIZE} is set`);
    const rank = whole(env, 'RANK', 0);
    return check(
      {
        rank,
        world: whole(env, 'WORLD_SIZE', 1),
        localRank: env.LOCAL_RANK ? whole(env, 'LOCAL_RANK', 0) : rank,
        addr: env.MASTER_ADDR!,
        port: whole(env, 'MASTER_PORT', 1),
        launcher: env.COVER_NPROC ? '--nproc' : 'torchrun',
      },
      { rank: 'RANK', world: 'WORLD_SIZE', local: 'LOCAL_RANK' },
    );
  }
  if (env.SLURM_PROCID && (env.SLURM_STEP_NUM_TASKS || env.SLURM_NTASKS)) {
    const worldVar = env.SLURM_STEP_NUM_TASKS ? 'SLURM_STEP_NUM_TASKS' : 'SLURM_NTASKS';
    const world = whole(env, worldVar, 1);
    if (world === 1) return null; // one task: nothing to join
    const nodes = env.SLURM_STEP_NODELIST || env.SLURM_JOB_NODELIST || env.SLURM_NODELIST;
    if (!env.MASTER_ADDR && !nodes) required(env, ['MASTER_ADDR'], `${worldVar}=${world} is set`);
    const jobId = env.SLURM_JOB_ID && /^\d+$/.test(env.SLURM_JOB_ID) ? Number(env.SLURM_JOB_ID) : 0;
    return check(
      {
        rank: whole(env, 'SLURM_PROCID', 0),
        world,
        localRank: env.SLURM_LOCALID ? whole(env, 'SLURM_LOCALID', 0) : 0,
        addr: env.MASTER_ADDR || firstHost(nodes!),
        port: env.MASTER_PORT ? whole(env, 'MASTER_PORT', 1) : SLURM_BASE_PORT + (jobId % 1000),
        launcher: 'slurm',
      },
      { rank: 'SLURM_PROCID', world: worldVar, local: 'SLURM_LOCALID' },
    );
  }
  return null;
}
