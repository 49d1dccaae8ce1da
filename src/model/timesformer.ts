// TimeSformer with one classification head per dataset: the CoVeR model. Ported from facebookresearch/TimeSformer
// timesformer/models/vit.py (VisionTransformer.forward_features / forward), arXiv 2102.05095; multi-head co-training
// after CoVeR, arXiv 2112.07175. Stages: patchEmbed -> addPosTimeEmbed -> blocks -> norm -> CLS pool -> head.
// Images are single-frame videos (T = 1) through the same graph (docs/notes/cover-spec.md §2.3).
// Shape legend: B clips, T frames, H x W pixels, N patches per frame, D embed. Token layout: see tokens.ts.

import * as tf from '@tensorflow/tfjs-core';
import './register_gradients';
import { ModelConfig, gridSize, validateModelConfig } from '../config/model_config';
import { Block } from './block';
import { ForwardContext, evalContext } from './context';
import { dropout, dropPathRates } from './dropout';
import { HeadInfo, Heads } from './heads';
import { layerNorm } from './layer_norm';
import { backboneParamSpecs } from './param_spec';
import { ParamStore } from './params';
import { patchEmbed } from './patch_embed';
import { recomputed } from './recompute';
import { nearestGridIndices, nearestIndices, selectRows } from './resample';
import { tile } from './tile';

export class TimeSformer {
  readonly config: ModelConfig;
  readonly params = new ParamStore();
  readonly heads: Heads;
  private readonly blocks: Block[];

  /** A freshly initialised model (docs/notes/cover-spec.md §1.7); `seed` makes it reproducible. */
  constructor(config: ModelConfig, heads: HeadInfo[] = [], seed = 0) {
    this.config = validateModelConfig({ ...config });
    this.params.add(backboneParamSpecs(this.config), seed);
    this.heads = new Heads(this.params, this.config.embedDim);
    for (const h of heads) this.heads.add(h, seed);
    const dpr = dropPathRates(this.config.dropPathRate, this.config.depth);
    this.blocks = dpr.map((rate, i) => new Block(this.params, i, this.config, rate));
  }

  /** x [B, T, H, W, 3] (normalised RGB) -> CLS features after the final norm [B, D]. */
  forwardFeatures(x: tf.Tensor, ctx: ForwardContext = evalContext()): tf.Tensor2D {
    return tf.tidy(() => {
      if (x.rank !== 5 || x.shape[4] !== this.config.inChans) {
        throw new Error(`TimeSformer expects [B, T, H, W, ${this.config.inChans}], got [${x.shape}]`);
      }
      const [B, T, H, W] = x.shape;
      const p = this.config.patchSize;
      const D = this.config.embedDim;
      const Hp = H / p;
      const Wp = W / p;
      const N = Hp * Wp;

      const patches = patchEmbed(x, this.params, p); // [B*T, N, D]
      const pos = this.posEmbed(Hp, Wp); // [1+N, D]
      const clsRow = tf.add(tf.reshape(this.params.get('cls_token'), [1, 1, D]), tf.slice(pos, [0, 0], [1, D])); // [1, 1, D]
      let tokens = tf.concat([tile(clsRow, [B * T, 1, 1]), tf.add(patches, tf.slice(pos, [1, 0], [N, D]))], 1); // [B*T, 1+N, D]
      tokens = dropout(tokens, this.config.dropRate, ctx);

      let seq: tf.Tensor;
      if (this.config.attentionType === 'space_only') {
        seq = tokens; // [B*T, 1+N, D]: each frame is its own sequence; no time embedding.
      } else {
        // The reference keeps x[:B, 0] as the clip's CLS: rows of (b t), all equal to cls + pos[0] when dropout is off.
        const cls = tf.slice(tokens, [0, 0, 0], [B, 1, D]); // [B, 1, D]
        const framePatches = tf.slice(tokens, [0, 1, 0], [B * T, N, D]); // [B*T, N, D]
        const byLocation = tf.transpose(tf.reshape(framePatches, [B, T, N, D]), [0, 2, 1, 3]); // (b t) n m -> b n t m
        const timed = dropout(tf.add(byLocation, tf.reshape(this.timeEmbed(T), [1, 1, T, D])), this.config.dropRate, ctx); // [B, N, T, D]
        seq = tf.concat([cls, tf.reshape(timed, [B, N * T, D])], 1); // [B, 1+N*T, D], (n t) order
      }

      const geo = { B, T, N };
      // Recomputing the last block would buy nothing: the backward pass starts with it, so its activations are freed
      // before the next block's are recomputed, and the peak is the same.
      const last = this.blocks.length - 1;
      this.blocks.forEach((block, i) => {
        seq = ctx.training && ctx.recompute && i < last
          ? recomputed((x, c) => block.apply(x, geo, c), block.variables(), seq, ctx)
          : block.apply(seq, geo, ctx);
      });

      let cls = tf.reshape(tf.slice(seq, [0, 0, 0], [seq.shape[0], 1, D]), [seq.shape[0], D]); // CLS of each sequence
      if (this.config.attentionType === 'space_only') cls = tf.mean(tf.reshape(cls, [B, T, D]), 1); // frames averaged
      // LayerNorm is per token, so normalising the CLS token alone equals the reference's norm(x)[:, 0].
      return layerNorm(cls, this.params.get('norm.weight'), this.params.get('norm.bias'), this.config.layerNormEps) as tf.Tensor2D;
    });
  }

  /** features [B, D] -> logits [B, C] of dataset head `name`. */
  forwardHead(features: tf.Tensor, name: string): tf.Tensor2D {
    return this.heads.apply(features, name) as tf.Tensor2D;
  }

  /** Features once, then every named head: x [B, T, H, W, 3] -> {head: logits [B, C]}. */
  forward(x: tf.Tensor, headNames: string[] = this.heads.names(), ctx: ForwardContext = evalContext()): Map<string, tf.Tensor2D> {
    const out = new Map<string, tf.Tensor2D>();
    const feats = this.forwardFeatures(x, ctx);
    try {
      for (const name of headNames) out.set(name, this.forwardHead(feats, name));
    } finally {
      feats.dispose();
    }
    return out;
  }

  /** The spatial position embedding for an Hp x Wp grid: [1+N, D]; resized by 2-D nearest when the grid differs. */
  private posEmbed(Hp: number, Wp: number): tf.Tensor2D {
    return tf.tidy(() => {
      const pos = this.params.get('pos_embed');
      const D = this.config.embedDim;
      const P = gridSize(this.config);
      const table = tf.reshape(pos, [1 + P * P, D]) as tf.Tensor2D;
      if (Hp === P && Wp === P) return table;
      const grid = selectRows(tf.slice(table, [1, 0], [P * P, D]), nearestGridIndices(Hp, Wp, P, P)); // [Hp*Wp, D]
      return tf.concat([tf.slice(table, [0, 0], [1, D]), grid], 0) as tf.Tensor2D;
    });
  }

  /** The time embedding for T frames: [T, D]; 1-D nearest from the trained length (T = 1 takes row 0). */
  private timeEmbed(T: number): tf.Tensor2D {
    return tf.tidy(() => {
      const Tt = this.config.numFrames;
      const table = tf.reshape(this.params.get('time_embed'), [Tt, this.config.embedDim]) as tf.Tensor2D;
      return T === Tt ? table : selectRows(table, nearestIndices(T, Tt));
    });
  }

  /** All parameters by reference state_dict name (internal layout), heads included as `heads.<name>.*`. */
  namedWeights(): Map<string, tf.Variable> {
    return this.params.namedVariables();
  }

  trainableVariables(): tf.Variable[] {
    return [...this.params.namedVariables().values()].filter((v) => v.trainable);
  }

  numParams(): number {
    return this.params.numParams();
  }

  dispose(): void {
    this.params.dispose();
  }
}
