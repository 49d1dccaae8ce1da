// Optimizers with per-parameter weight decay: AdamW (decoupled decay, Loshchilov & Hutter) and SGD with Nesterov momentum
// (torch.optim.SGD(momentum=.9, nesterov=True), decay added to the gradient). By default position/time embeddings, the
// CLS token, norms and biases get no decay (timm's convention); with `decayAll` every parameter is decayed, as the
// TimeSformer reference's optimizer builder does (models/optimizer.py decays all but "bn" names, although vit.py lists
// the embeddings in no_weight_decay(); recipes.ts 'timesformer'). State is plain named tensors so a run can be
// checkpointed and resumed exactly. Where the backend has a fused step (engine/fused.ts: wasm with the native
// accelerator, torch), one step updates every parameter and slot in place in one native call, with the same math as the
// per-parameter tfjs ops below.

import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors';
import { FusedStep, fusedStep } from '../engine/fused';
import type { OptimizerName } from '../config/optimizer_name';

export interface OptimizerConfig {
  name: OptimizerName;
  weightDecay: number;
  /** SGD momentum (0.9 in the reference). */
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decay every parameter (the TimeSformer reference) instead of sparing embeddings, CLS, norms and biases. */
  decayAll?: boolean;
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

  constructor(readonly config: OptimizerConfig) {
    // Both paths (tfjs below, native fused_optimizer.cc) decay whenever wd != 0; a negative decay is refused here.
    if (!(Number.isFinite(config.weightDecay) && config.weightDecay >= 0)) {
      throw new ConfigError(`weight decay ${config.weightDecay} is not a number of at least 0`, { suggestion: 'use e.g. 0.05 (adamw) or 1e-4 (sgd), 0 for none' });
    }
  }

  /**
   * Applies one update: params[name] -= lr * direction(gradScale * grads[name]). `grads` stay owned by the caller;
   * `gradScale` is global-norm clipping's factor (1: none), applied here so scaled gradients are never materialised.
   */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number, gradScale = 1): void {
    this.step += 1;
    const c = this.config;
    const ps: tf.Variable[] = [];
    for (const name of grads.keys()) {
      const p = params.get(name);
      if (!p) throw new Error(`optimizer: gradient for unknown parameter ${name}`);
      ps.push(p);
    }
    const fused = fusedStep(...grads.values(), ...ps);
    if (fused) {
      this.applyFused(fused, ps, grads, lr, gradScale);
      return;
    }
    for (const [name, gIn] of grads) {
      const p = params.get(name)!;
      const wd = this.decayOf(name, p.rank);
      tf.tidy(() => {
        const g = gradScale === 1 ? gIn : tf.mul(gIn, gradScale);
        if (c.name === 'adamw') {
          const [m, v] = this.slotsFor(name, p, 2);
          const m1 = tf.add(tf.mul(m, c.beta1), tf.mul(g, 1 - c.beta1));
          const v1 = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
          const mHat = tf.div(m1, 1 - c.beta1 ** this.step);
          const vHat = tf.div(v1, 1 - c.beta2 ** this.step);
          let update = tf.div(mHat, tf.add(tf.sqrt(vHat), c.eps));
          if (wd !== 0) update = tf.add(update, tf.mul(p, wd));
          m.assign(m1);
          v.assign(v1);
          p.assign(tf.sub(p, tf.mul(update, lr)));
        } else {
          let d = wd !== 0 ? tf.add(g, tf.mul(p, wd)) : g;
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

  /** apply()'s update over every parameter at once, in one native call (ps[i] belongs to the i-th gradient). */
  private applyFused(fused: FusedStep, ps: tf.Variable[], grads: Map<string, tf.Tensor>, lr: number, gradScale: number): void {
    const c = this.config;
    const names = [...grads.keys()];
    const gs = [...grads.values()];
    const nSlots = c.name === 'adamw' ? 2 : c.momentum > 0 ? 1 : 0;
    const slotVars: tf.Variable[][] = [];
    const decay: number[] = [];
    for (const [i, name] of names.entries()) {
      const p = ps[i];
      decay.push(this.decayOf(name, p.rank));
      slotVars.push(nSlots > 0 ? tf.tidy(() => this.slotsFor(name, p, nSlots)) : []);
    }
    if (c.name === 'adamw') {
      fused.adamW(ps, gs, slotVars.map((s) => s[0]), slotVars.map((s) => s[1]), decay,
        { lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, step: this.step, gradScale });
    } else {
      fused.sgd(ps, gs, nSlots > 0 ? slotVars.map((s) => s[0]) : [], decay,
        { lr, momentum: c.momentum, nesterov: c.nesterov, gradScale });
    }
  }

  /** The weight decay of one parameter. */
  decayOf(name: string, rank: number): number {
    return !this.config.decayAll && skipsWeightDecay(name, rank) ? 0 : this.config.weightDecay;
  }

  /** The parameter's slot variables (zeros on first use: call inside tf.tidy, which frees the zeros tensor). */
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
