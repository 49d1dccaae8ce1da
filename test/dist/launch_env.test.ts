// The launcher's variables (src/dist/launch_env.ts): srun's SLURM_* and torchrun's RANK/WORLD_SIZE/MASTER_*, read as
// PyTorch's env:// rendezvous reads them, and one ConfigError line for values that contradict each other.

import { firstHost, readLaunchEnv, SLURM_BASE_PORT } from '../../src/dist/launch_env';
import { ConfigError } from '../../src/errors';

function oneLine(env: NodeJS.ProcessEnv): string {
  try {
    readLaunchEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('readLaunchEnv: SLURM (srun)', () => {
  const srun = { SLURM_PROCID: '3', SLURM_NTASKS: '8', SLURM_LOCALID: '1', SLURM_JOB_ID: '123456', SLURM_NODELIST: 'gpu[007-010],login1' };

  test('rank, world and local rank from SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID; the master is the first host of the node list', () => {
    expect(readLaunchEnv(srun)).toEqual({ rank: 3, world: 8, localRank: 1, addr: 'gpu007', port: SLURM_BASE_PORT + 456, launcher: 'slurm' });
  });

  test("the step's task count and node list win over the job's; MASTER_ADDR and MASTER_PORT win over the node list", () => {
    expect(readLaunchEnv({ ...srun, SLURM_STEP_NUM_TASKS: '4', SLURM_STEP_NODELIST: 'cn12' })).toMatchObject({ world: 4, addr: 'cn12' });
    expect(readLaunchEnv({ ...srun, MASTER_ADDR: '10.0.0.5', MASTER_PORT: '29400' })).toMatchObject({ addr: '10.0.0.5', port: 29400 });
  });

  test('torchrun started by srun: torchrun\'s variables win', () => {
    const env = { ...srun, RANK: '1', WORLD_SIZE: '2', LOCAL_RANK: '1', MASTER_ADDR: 'gpu007', MASTER_PORT: '29500' };
    expect(readLaunchEnv(env)).toEqual({ rank: 1, world: 2, localRank: 1, addr: 'gpu007', port: 29500, launcher: 'torchrun' });
  });

  test('one task, or no launcher at all, is a plain single process', () => {
    expect(readLaunchEnv({ SLURM_PROCID: '0', SLURM_NTASKS: '1', SLURM_NODELIST: 'cn1' })).toBeNull();
    expect(readLaunchEnv({ SLURM_JOB_ID: '5' })).toBeNull();
    expect(readLaunchEnv({})).toBeNull();
  });

  test('values that contradict each other are one line naming the variables', () => {
    expect(oneLine({ ...srun, SLURM_PROCID: '8' })).toBe('SLURM_PROCID=8 is not below SLURM_NTASKS=8');
    expect(oneLine({ ...srun, SLURM_NTASKS: 'eight' })).toBe('SLURM_NTASKS=eight is not a whole number of at least 1');
    expect(oneLine({ ...srun, SLURM_LOCALID: '5' })).toMatch(/^SLURM_LOCALID=5 is above SLURM_PROCID=3 /);
    expect(oneLine({ SLURM_PROCID: '0', SLURM_NTASKS: '2' })).toBe('SLURM_NTASKS=2 is set, but MASTER_ADDR is not set');
    expect(oneLine({ ...srun, MASTER_PORT: '70000' })).toBe('MASTER_PORT=70000 is not a port (1 to 65535)');
  });

  test('firstHost: ranges, lists and zero padding of a SLURM node list', () => {
    expect(firstHost('node[03-05,09],gpu1')).toBe('node03');
    expect(firstHost('gpu[001-004]')).toBe('gpu001');
    expect(firstHost('cn7,cn8')).toBe('cn7');
  });
});
