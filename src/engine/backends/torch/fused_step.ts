// The torch backend's whole-step updates (engine/fused.ts FusedStep): AdamW and SGD over every parameter and slot in
// place, and the global gradient norm, each one call into the addon (torch/src/ops_optimizer.cc) instead of ~10 kernels
// per parameter. A variable whose data another tfjs tensor shares (tf.variable(t) and v.assign(t) adopt t's data) gets
// a copy of its own first, so the in-place update changes only the variable; the addon does the same for native views.

import * as tf from '@tensorflow/tfjs-core';
import type { FusedStep } from '../../fused';
import type { TorchBackend } from './backend';

function backend(): TorchBackend {
  return tf.backend() as unknown as TorchBackend;
}

/** The addon ids of `vars`, each variable first made the only owner of its data. */
function ownedIds(be: TorchBackend, vars: tf.Variable[]): number[] {
  return vars.map((v) => {
    if (be.refCount(v.dataId) > 1) {
      const t = tf.engine().makeTensorFromTensorInfo(be.runOp('Clone', [v])[0]);
      v.assign(t); // v now shares t's data, and the old data keeps its other owners
      t.dispose(); // ... and now v is the only owner
    }
    return be.idOf(v);
  });
}

export const TORCH_FUSED_STEP: FusedStep = {
  adamW(params, grads, m, v, weightDecay, a) {
    const be = backend();
    const ids = grads.map((g) => be.idOf(g));
    be.addon.adamw(ownedIds(be, params), ids, ownedIds(be, m), ownedIds(be, v), weightDecay, a.lr, a.beta1, a.beta2, a.eps, a.step, a.gradScale);
  },
  sgd(params, grads, bufs, weightDecay, a) {
    const be = backend();
    const ids = grads.map((g) => be.idOf(g));
    be.addon.sgd(ownedIds(be, params), ids, ownedIds(be, bufs), weightDecay, a.lr, a.momentum, a.nesterov, a.gradScale);
  },
  globalNormSq(grads) {
    const be = backend();
    return be.addon.sumSquares(grads.map((g) => be.idOf(g)));
  },
};
