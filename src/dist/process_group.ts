// One data-parallel job as this process sees it: the c10d process group it joined (torch addon, dist.cc: a TCPStore
// served by rank 0, Gloo on cpu, NCCL on cuda), the collectives cover runs on it, and what happens when a rank fails.
//
// Failure: a rank that fails (an error in its own work) writes `failed` = {rank, cause} to the store and closes its
// connections; the others, blocked in a collective with it, get an error at once, read the report and stop with the
// same line. A rank that dies without a word (SIGKILL, out of memory) closes its connections too: the survivors mark
// themselves alive in the store and name the rank that did not. Rank 0 serves the store, so when it fails it waits
// (briefly) until the others have read its report before its process, and the store, go away. A rank that hangs is
// caught by the group's timeout (COVER_DIST_TIMEOUT seconds, 1800 by default as in PyTorch).

import * as tf from '@tensorflow/tfjs-core';
import { torchCollectives, TorchCollectives } from '../engine/backends/torch';
import { BackendError, CoverError, ErrorCode } from '../errors';
import { LaunchEnv } from './launch_env';

export const DEFAULT_TIMEOUT_S = 1800;
/** How long a survivor waits for a failing rank's report, or for the other survivors to say they are alive. */
const REPORT_WAIT_MS = 3000;
const FAILED_KEY = 'failed';
const ACKS_KEY = 'acks';

/** A failure of the job: the same line on every rank, naming the rank that failed and why. */
export class RankFailedError extends CoverError {
  constructor(
    readonly rank: number,
    readonly reason: string,
    checkpoint: string,
    private readonly exit: number,
    code: ErrorCode,
  ) {
    super(code, `rank ${rank} failed: ${reason}; all ranks stopped (${checkpoint})`);
  }

  override get exitCode(): number {
    return this.exit;
  }
}

interface FailureReport {
  rank: number;
  cause: string;
  exitCode: number;
  code: ErrorCode;
}

function firstLine(err: unknown): string {
  const e = err as { message?: unknown };
  return (typeof e?.message === 'string' ? e.message : String(err)).split('\n')[0].trim();
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The timeout of every collective, from COVER_DIST_TIMEOUT (seconds). */
export function distTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.COVER_DIST_TIMEOUT;
  if (v === undefined || v === '') return DEFAULT_TIMEOUT_S * 1000;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new BackendError(`COVER_DIST_TIMEOUT=${v} is not a whole number of seconds`, { suggestion: `unset it (${DEFAULT_TIMEOUT_S} s) or give e.g. 600` });
  return Number(v) * 1000;
}

export class ProcessGroup {
  /**
   * What a failure line says about the checkpoint; the trainer keeps it current: the step of the last checkpoint known
   * to be complete, or null when none was written.
   */
  savedStep: number | null = null;
  /** Milliseconds spent inside the last allreduce() (the collective itself, buckets flattened and copied back). */
  lastAllreduceMs = 0;
  private failed = false;

  private constructor(
    readonly env: LaunchEnv,
    private readonly c: TorchCollectives,
    readonly backend: string,
    readonly timeoutMs: number,
  ) {}

  /** Joins the job's process group (blocks until every rank has connected to rank 0's store, or the timeout). */
  static join(env: LaunchEnv, timeoutMs = distTimeoutMs()): ProcessGroup {
    const c = torchCollectives();
    if (!c) throw new BackendError('data-parallel training runs on the torch backend, which is not the active one', { suggestion: 'use --backend torch' });
    try {
      const info = c.dist.init(env.rank, env.world, env.addr, env.port, timeoutMs);
      return new ProcessGroup(env, c, info.backend, timeoutMs);
    } catch (err) {
      throw new BackendError(`rank ${env.rank} of ${env.world} could not join the process group at ${env.addr}:${env.port}: ${firstLine(err).replace(/^dist\.init: /, '')}`, {
        suggestion: `check that rank 0 runs and that ${env.addr}:${env.port} is reachable from here (MASTER_ADDR, MASTER_PORT), or raise COVER_DIST_TIMEOUT`,
      });
    }
  }

  get rank(): number {
    return this.env.rank;
  }

  get world(): number {
    return this.env.world;
  }

  /** Rank 0 alone writes the run's files. */
  get isWriter(): boolean {
    return this.env.rank === 0;
  }

  /** Sum over ranks of scale * t for each float32 tensor, as new tensors (the caller disposes them). */
  allreduce(tensors: tf.Tensor[], scale = 1): tf.Tensor[] {
    const t0 = performance.now();
    const ids = this.collective(() => this.c.dist.allreduce(tensors.map((t) => this.c.idOf(t)), { scale }));
    this.lastAllreduceMs = performance.now() - t0;
    return ids.map((id, i) => this.c.adopt(id, tensors[i].shape));
  }

  /** Sum over ranks of a few numbers. */
  sumValues(values: ArrayLike<number>): Float32Array {
    const t = tf.tensor1d(Float32Array.from(values));
    try {
      const [s] = this.allreduce([t]);
      const out = s.dataSync() as Float32Array;
      s.dispose();
      return out;
    } finally {
      t.dispose();
    }
  }

  /** Every rank's values, in rank order; lengths may differ between ranks. */
  gatherValues(values: Float32Array): Float32Array[] {
    const lengths = this.gatherEqual(Float32Array.of(values.length)).map((l) => l[0]);
    const longest = Math.max(1, ...lengths);
    const padded = new Float32Array(longest);
    padded.set(values);
    return this.gatherEqual(padded).map((v, r) => v.slice(0, lengths[r]));
  }

  private gatherEqual(values: Float32Array): Float32Array[] {
    const t = tf.tensor1d(values);
    try {
      const ids = this.collective(() => this.c.dist.allgather(this.c.idOf(t)));
      return ids.map((id) => {
        const g = this.c.adopt(id, [values.length]);
        const v = g.dataSync() as Float32Array;
        g.dispose();
        return v;
      });
    } finally {
      t.dispose();
    }
  }

  barrier(): void {
    this.collective(() => this.c.dist.barrier());
  }

  /**
   * This rank failed: tells the others (through the store), closes its connections so that they stop waiting, and
   * returns the error to throw. Rank 0 waits until the others have read the report (its store goes when it exits).
   */
  reportFailure(err: unknown): CoverError {
    if (err instanceof RankFailedError) return err;
    const cover = err instanceof CoverError ? err : null;
    const report: FailureReport = {
      rank: this.rank,
      cause: cover ? cover.oneLine() : firstLine(err),
      exitCode: cover ? cover.exitCode : 1,
      code: cover ? cover.code : 'BACKEND',
    };
    this.failed = true;
    try {
      this.c.dist.storeSet(FAILED_KEY, JSON.stringify(report));
      this.c.dist.leave();
      if (this.rank === 0 && this.world > 1) this.waitForAcks();
    } catch {
      // the store is gone too: the others find out from their closed connections
    }
    return this.failure(report);
  }

  /** Leaves the group; every rank calls it at the end of a run. */
  destroy(): void {
    this.c.dist.destroy();
  }

  private failure(r: FailureReport): RankFailedError {
    const kept = this.savedStep === null ? 'no checkpoint had been written' : `the last checkpoint, step ${this.savedStep}, is intact`;
    return new RankFailedError(r.rank, r.cause, kept, r.exitCode, r.code);
  }

  private waitForAcks(): void {
    const until = Date.now() + REPORT_WAIT_MS;
    while (Date.now() < until && this.c.dist.storeAdd(ACKS_KEY, 0) < this.world - 1) sleepSync(50);
  }

  /** Runs a collective; when a peer fails, finds out which and why, and throws the job's failure line. */
  private collective<T>(fn: () => T): T {
    if (this.failed) throw new Error('dist: a collective after this rank failed');
    try {
      return fn();
    } catch (err) {
      if (err instanceof CoverError) throw err;
      throw this.diagnose(firstLine(err));
    }
  }

  private diagnose(what: string): RankFailedError {
    this.failed = true;
    const d = this.c.dist;
    try {
      d.leave();
      const reported = d.storeGet(FAILED_KEY, REPORT_WAIT_MS);
      if (reported !== null) {
        d.storeAdd(ACKS_KEY, 1);
        return this.failure(JSON.parse(reported) as FailureReport);
      }
      d.storeSet(`alive/${this.rank}`, '1');
      const silent = [];
      for (let r = 0; r < this.world; r++) {
        if (r !== this.rank && d.storeGet(`alive/${r}`, silent.length === 0 ? REPORT_WAIT_MS : 10) === null) silent.push(r);
      }
      const timedOut = /timed? ?out/i.test(what);
      const cause = timedOut ? `it did not answer within ${this.timeoutMs / 1000} s (${what})` : 'it stopped without reporting an error (killed, or out of memory?)';
      if (silent.length > 0) return this.failure({ rank: silent[0], cause, exitCode: 1, code: 'BACKEND' });
      return this.failure({ rank: this.rank, cause: what, exitCode: 1, code: 'BACKEND' });
    } catch {
      // The store is gone: it lived in rank 0's process.
      return this.failure({ rank: 0, cause: 'it stopped without reporting an error, and its rendezvous store went with it (killed, or out of memory?)', exitCode: 1, code: 'BACKEND' });
    }
  }
}
