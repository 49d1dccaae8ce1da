// What the trainer needs from a data-parallel job, in one object: this rank's share of the data (the feed reads it,
// data/feed/shard.ts), the gradient averaging of each step, evaluations gathered from every rank's share, who writes the run's files (rank 0), a stop that every rank agrees on (Ctrl-C on one rank
// stops all of them after the same step), what the last intact checkpoint is, and one failure line for every rank.
// A single process has none of this: the trainer then runs as it always did.

import { DatasetError } from '../errors';
import type { Shard } from '../data/feed/shard';
import type { DataParallelRun } from '../train/trainer';
import type { BatchGradients } from '../train/train_step';
import { averageGradients } from './grad_sync';
import { ProcessGroup } from './process_group';

export class DataParallel implements DataParallelRun {
  private readonly agreed = new AbortController();
  /** A checkpoint rank 0 was writing; ranks > 0 count it as intact once the next collective shows rank 0 went on. */
  private pendingSave: number | null = null;

  /** `local`: this rank's own stop request (its Ctrl-C); the trainer watches `signal`, raised on every rank together. */
  constructor(
    readonly pg: ProcessGroup,
    private readonly local?: AbortSignal,
  ) {}

  get shard(): Shard {
    return { rank: this.pg.rank, world: this.pg.world };
  }

  get allreduceMs(): number {
    return this.pg.lastAllreduceMs;
  }

  get isWriter(): boolean {
    return this.pg.isWriter;
  }

  /** Raised on every rank after the same step when any rank was asked to stop. */
  get signal(): AbortSignal {
    return this.agreed.signal;
  }

  /** StepOptions.reduce for this job: averages the gradients of `params` (the trained ones, in the model's order). */
  reducer(params: { name: string; shape: number[] }[], heads: string[]): (local: BatchGradients) => BatchGradients {
    return (local) => {
      const r = averageGradients(this.pg, local, params, heads, this.local?.aborted ?? false);
      this.collectiveDone();
      if (r.stop) this.agreed.abort();
      if (r.samples === 0) {
        r.grads.forEach((g) => g.dispose());
        throw new DatasetError(`every sample of the batch was unreadable, on all ${this.pg.world} ranks`, { suggestion: 'run `cover data check`' });
      }
      return r;
    };
  }

  /** A checkpoint of `step` is being written (by rank 0), or was found on resume (`done`). */
  checkpointAt(step: number, done = false): void {
    if (done || this.isWriter) {
      this.pg.savedStep = step;
      this.pendingSave = null;
    } else {
      this.pendingSave = step;
    }
  }

  /** Rank 0 goes first (claiming the run folder, generating demo data), then the others; a failure stops all. */
  async writerFirst<T>(fn: () => Promise<T>): Promise<T> {
    if (this.isWriter) {
      const r = await this.guard(fn);
      this.pg.barrier();
      return r;
    }
    this.pg.barrier();
    return this.guard(fn);
  }

  /** Runs fn; when it fails on this rank, tells the others and throws the job's failure line. */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.pg.reportFailure(err);
    }
  }

  /** Every rank's value (JSON: an evaluation's counts and bad samples), in rank order. */
  gatherJson<T>(value: T): T[] {
    const bytes = new TextEncoder().encode(JSON.stringify(value));
    const r = this.pg.gatherValues(Float32Array.from(bytes));
    this.collectiveDone();
    return r.map((v) => JSON.parse(new TextDecoder().decode(Uint8Array.from(v))) as T);
  }

  /** The end of a run: every rank waits for rank 0's last writes, then leaves the group. */
  finish(): void {
    this.pg.barrier();
    this.collectiveDone();
    this.pg.destroy();
  }

  private collectiveDone(): void {
    if (this.pendingSave !== null) this.checkpointAt(this.pendingSave, true);
  }
}
