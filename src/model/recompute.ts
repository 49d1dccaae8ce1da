// Activation checkpointing per block (issue 19, item 2; torch.utils.checkpoint in PyTorch, as the TimeSformer reference
// and timm do with `use_checkpoint` / `set_grad_checkpointing`): the block's forward runs without recording anything
// for the backward pass except its input, and the backward pass runs the block's forward again, this time recorded, and
// differentiates that. A training step then holds one [B, L, D] input per block plus one block's activations at a time,
// instead of every block's activations, for the price of a second forward pass through the blocks (~1/3 more compute).
// The model recomputes every block but the last (timesformer.ts), whose activations the backward pass needs first.
//
// The recomputed forward must be the first one exactly: the dropout and drop-path masks are drawn from the context's
// seeds, which the first pass records and the second replays, so `--recompute blocks` and `off` give the same gradients
// to float rounding (test/model/recompute.test.ts).

import * as tf from '@tensorflow/tfjs-core';
import { gradientsFreeing } from '../engine/backprop';
import { ForwardContext } from './context';

/** The block forward to checkpoint: x -> y of x's shape, reading `params` (the variables its gradient goes to). */
export type BlockForward = (x: tf.Tensor, ctx: ForwardContext) => tf.Tensor;

/**
 * `forward(x, ctx)`, keeping only `x` for the backward pass, which recomputes the forward and differentiates it with
 * respect to x and `params`.
 */
export function recomputed(forward: BlockForward, params: tf.Variable[], x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
  const seeds: number[] = [];
  const recording: ForwardContext = {
    ...ctx,
    nextSeed: () => {
      const s = ctx.nextSeed();
      seeds.push(s);
      return s;
    },
  };
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor;
    save([input]);
    return {
      value: forward(input, recording),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        let next = 0;
        const replay: ForwardContext = { ...ctx, nextSeed: () => seeds[next++] };
        const wrt = [saved[0], ...params];
        const { value, grads } = gradientsFreeing(() => forward(saved[0], replay), wrt, dy);
        value.dispose();
        return grads.map((g, i) => g ?? tf.zerosLike(wrt[i]));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, ...params);
}
