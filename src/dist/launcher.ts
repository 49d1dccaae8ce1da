// `--nproc N`: starts N ranks of the same cover command on this machine, as `torchrun --standalone --nproc_per_node N`
// would: a free port on 127.0.0.1 for rank 0's store, RANK / WORLD_SIZE / LOCAL_RANK / LOCAL_WORLD_SIZE / MASTER_ADDR /
// MASTER_PORT set for each child. What the user sees is rank 0's output; another rank's error lines are shown after
// it unless rank 0 already printed the same line (every rank prints the job's one failure line). When a rank fails,
// the others stop by themselves (they see it in their next collective) and are killed if they have not within a grace
// period. Ctrl-C is forwarded once to every rank (each runs in its own process group, so the terminal's own SIGINT
// does not reach them twice); a second Ctrl-C is forwarded too, and the ranks then quit at once.

import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import * as os from 'os';
import * as readline from 'readline';

/** Most ranks `--nproc` starts on one machine. */
export const MAX_NPROC = 256;

/** How long the other ranks get to stop on their own after one failed, before they are killed. */
export const GRACE_MS = 20000;

/** A free TCP port on 127.0.0.1 (the OS picks one; it is released for rank 0's store to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The command line without `--nproc N` / `--nproc=N`. */
export function withoutNproc(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--nproc') i++;
    else if (!args[i].startsWith('--nproc=')) out.push(args[i]);
  }
  return out;
}

export interface LaunchOptions {
  nproc: number;
  /** The script and arguments of each rank (node runs them). */
  args: string[];
  write?: { out: (s: string) => void; err: (s: string) => void };
}

/** Starts the ranks and resolves with the job's exit code (0 when every rank succeeded). */
export async function launchRanks(o: LaunchOptions): Promise<number> {
  const port = await freePort();
  const write = o.write ?? { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
  const shownByRank0 = new Set<string>();
  const othersErr: string[] = [];
  const children: ChildProcess[] = [];
  const exits: Promise<number>[] = [];
  let firstFailure: number | null = null;
  let killTimer: NodeJS.Timeout | null = null;

  const stopAll = (signal: NodeJS.Signals) => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) try { process.kill(-c.pid, signal); } catch { /* gone */ }
  };
  const onSignal = (signal: NodeJS.Signals) => () => stopAll(signal);
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  for (let rank = 0; rank < o.nproc; rank++) {
    const child = spawn(process.execPath, o.args, {
      env: {
        ...process.env,
        RANK: String(rank),
        WORLD_SIZE: String(o.nproc),
        LOCAL_RANK: String(rank),
        LOCAL_WORLD_SIZE: String(o.nproc),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
        COVER_NPROC: String(o.nproc),
      },
      stdio: ['ignore', rank === 0 ? 'pipe' : 'ignore', 'pipe'],
      detached: true,
    });
    children.push(child);
    if (rank === 0) child.stdout!.on('data', (d: Buffer) => write.out(d.toString()));
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      if (rank === 0) {
        shownByRank0.add(line);
        write.err(`${line}\n`);
      } else {
        othersErr.push(line);
      }
    });
    exits.push(
      new Promise((resolve) => {
        child.on('close', (code, signal) => {
          const c = code ?? 128 + (signal ? signalNumber(signal) : 1);
          // A rank stopped by a signal (130, 143) saved its share and leaves on its own: not a failure to end the others for.
          if (c !== 0 && c !== 130 && c !== 143 && firstFailure === null) {
            firstFailure = c;
            killTimer = setTimeout(() => stopAll('SIGKILL'), GRACE_MS);
          }
          resolve(c);
        });
      }),
    );
  }
  const codes = await Promise.all(exits);
  if (killTimer) clearTimeout(killTimer);
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  for (const line of new Set(othersErr)) if (!shownByRank0.has(line)) write.err(`${line}\n`);
  // Rank 0's code when it failed (it printed the job's line), else the first failure's.
  return codes[0] !== 0 ? codes[0] : (firstFailure ?? 0);
}

function signalNumber(s: NodeJS.Signals): number {
  return os.constants.signals[s] ?? 1;
}
