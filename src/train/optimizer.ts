// Optimizers with per-parameter weight decay: AdamW (decoupled decay, Loshchilov & Hutter) and SGD with Nesterov momentum
// (the TimeSformer recipe: torch.optim.SGD(momentum=.9, nesterov=True, weight_decay=1e-4), decay added to the gradient).
// Position/time embeddings, the CLS token, norms and biases get no decay (timm's convention; the reference lists the
// embeddings in no_weight_decay()). State is plain named tensors so a run can be checkpointed and resumed exactly.

import * as tf from '@tensorflow/tfjs-core';

export type OptimizerName = 'adamw' | 'sgd';

export interface OptimizerConfig {
  name: OptimizerName;
  weightDecay: number;
  /** SGD momentum (0.9 in the reference). */
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_OPTIMIZER: Record<OptimizerName, OptimizerConfig> = {
  adamw: { name: 'adamw', weightDecay: 0.05, momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  sgd: { name: 'sgd', weightDecay: 1e-4, momentum: 0.9, nesterov: true, beta1: 0, beta2: 0, eps: 0 },
};

/** True for parameters that are not decayed: 1-D tensors (norms, biases) and the learned embeddings / CLS token. */
export function skipsWeightDecay(name: string, rank: number): boolean {
  if (rank <= 1) return true;
  return name === 'cls_token' || name === 'pos_embed' || name === 'time_embed' || name.endsWith('.bias');
}

export class Optimizer {
  /** Number of updates applied so far (Adam's bias correction uses it). */
  step = 0;
  private readonly slots = new Map<string, tf.Variable[]>();

  constructor(readonly config: OptimizerConfig) {}

  /** Applies one update: params[name] -= lr * direction(grads[name]). `grads` stay owned by the caller. */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const c = this.config;
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) throw new Error(`optimizer: gradient for unknown parameter ${name}`);
      const wd = skipsWeightDecay(name, p.rank) ? 0 : c.weightDecay;
      tf.tidy(() => {
        if (c.name === 'adamw') {
          const [m, v] = this.slotsFor(name, p, 2);
          const m1 = tf.add(tf.mul(m, c.beta1), tf.mul(g, 1 - c.beta1));
          const v1 = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
          const mHat = tf.div(m1, 1 - c.beta1 ** this.step);
          const vHat = tf.div(v1, 1 - c.beta2 ** this.step);
          let update = tf.div(mHat, tf.add(tf.sqrt(vHat), c.eps));
          if (wd > 0) update = tf.add(update, tf.mul(p, wd));
          m.assign(m1);
          v.assign(v1);
          p.assign(tf.sub(p, tf.mul(update, lr)));
        } else {
          let d = wd > 0 ? tf.add(g, tf.mul(p, wd)) : g;
          if (c.momentum > 0) {
            const [buf] = this.slotsFor(name, p, 1);
            // The buffer starts at zero, so the first step's buffer is the gradient itself, as in torch.
            const b1 = tf.add(tf.mul(buf, c.momentum), d);
            buf.assign(b1);
            d = c.nesterov ? tf.add(d, tf.mul(b1, c.momentum)) : b1;
          }
          p.assign(tf.sub(p, tf.mul(d, lr)));
        }
      });
    }
  }

  private slotsFor(name: string, p: tf.Variable, n: number): tf.Variable[] {
    let s = this.slots.get(name);
    if (!s) {
      s = Array.from({ length: n }, () => tf.variable(tf.zerosLike(p), false));
      this.slots.set(name, s);
    }
    return s;
  }

  /** Optimizer state as named tensors (copies), for checkpoints: `<param>/slot<i>`. */
  stateTensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, vars] of this.slots) vars.forEach((v, i) => out.set(`${name}/slot${i}`, tf.clone(v)));
    return out;
  }

  /** Restores state written by stateTensors(); `step` is restored separately. */
  loadState(step: number, tensors: Map<string, tf.Tensor>, params: Map<string, tf.Variable>): void {
    this.disposeSlots();
    this.step = step;
    const byParam = new Map<string, tf.Tensor[]>();
    for (const [key, t] of tensors) {
      const [name, slot] = key.split('/slot');
      if (!params.has(name)) throw new Error(`optimizer state for unknown parameter ${name}`);
      const list = byParam.get(name) ?? [];
      list[Number(slot)] = t;
      byParam.set(name, list);
    }
    for (const [name, list] of byParam) {
      this.slots.set(name, list.map((t) => tf.variable(t, false)));
    }
  }

  private disposeSlots(): void {
    for (const vars of this.slots.values()) vars.forEach((v) => v.dispose());
    this.slots.clear();
  }

  dispose(): void {
    this.disposeSlots();
  }
}
