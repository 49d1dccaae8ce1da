// Which part of each global batch a rank reads: the only place where data is split by rank (feed.ts applies it).
// Every rank draws the same global batch from the seed, exactly as one process would; rank r of `world` takes the
// contiguous rows [floor(r*n/world), floor((r+1)*n/world)) of it and decodes only those. Each row keeps the random
// stream of its global position, so the union of the ranks' shares, in rank order, is the one-process batch.
//
// Training needs equal shares (N ranks of B/N clips compute what one process of B clips computes), so its batch size
// must divide by the world size. An evaluation's last global batch may be short; its shares then differ by at most
// one row, and some may be empty.

import { ConfigError } from '../../errors';

export interface Shard {
  rank: number;
  world: number;
}

/** One process: the whole batch. */
export const WHOLE: Shard = { rank: 0, world: 1 };

/** Throws on a rank or world size that is not a whole number, or a rank outside [0, world). */
export function checkShard(shard: Shard): Shard {
  const { rank, world } = shard;
  if (!(Number.isSafeInteger(world) && world >= 1 && Number.isSafeInteger(rank) && rank >= 0 && rank < world)) {
    throw new ConfigError(`rank ${rank} of world size ${world} is not a rank from 0 to world size - 1`, {
      suggestion: 'start the ranks with a launcher (torchrun, srun or --nproc), which sets RANK and WORLD_SIZE',
    });
  }
  return shard;
}

/**
 * Throws when a training batch cannot be split into equal shares.
 * @example
 * checkEvenShares(6, { rank: 0, world: 4 })
 * // ConfigError: --batch-size 6 does not split evenly over --nproc 4 ranks (fix: give a --batch-size that is a multiple of 4, e.g. 8, or another --nproc)
 */
export function checkEvenShares(batchSize: number, shard: Shard): void {
  checkShard(shard);
  if (batchSize % shard.world === 0) return;
  const up = Math.ceil(batchSize / shard.world) * shard.world;
  throw new ConfigError(`--batch-size ${batchSize} does not split evenly over --nproc ${shard.world} ranks`, {
    suggestion: `give a --batch-size that is a multiple of ${shard.world}, e.g. ${up}, or another --nproc`,
  });
}

/** The rows [start, end) of a global batch of `n` rows that `shard` reads. */
export function shareOf(n: number, shard: Shard): [number, number] {
  return [Math.floor((shard.rank * n) / shard.world), Math.floor(((shard.rank + 1) * n) / shard.world)];
}
