// One TimeSformer block, ported from facebookresearch/TimeSformer timesformer/models/vit.py (Block.forward),
// TimeSformer paper arXiv 2102.05095. Divided space-time: temporal attention over the T frames of each patch location
// (CLS excluded), temporal_fc, residual; spatial attention within each frame with the clip's CLS token copied into every
// frame and its T outputs averaged; MLP. Joint and space-only blocks are a plain pre-norm ViT block over whatever
// sequence they get. Token layout: see tokens.ts.

import * as tf from '@tensorflow/tfjs-core';
import { AttentionType, ModelConfig } from '../config/model_config';
import { attention, AttentionOpts } from './attention';
import { ForwardContext } from './context';
import { dropPath } from './dropout';
import { layerNorm } from './layer_norm';
import { linear } from './linear';
import { mlp } from './mlp';
import { ParamStore } from './params';
import { tile } from './tile';
import { fromSpatialGroups, fromTemporalGroups, toSpatialGroups, toTemporalGroups } from './tokens';

export interface BlockGeometry {
  B: number;
  T: number;
  N: number;
}

export class Block {
  private readonly prefix: string;
  private readonly attnOpts: AttentionOpts;

  constructor(
    private readonly params: ParamStore,
    index: number,
    private readonly cfg: ModelConfig,
    private readonly dropPathRate: number,
  ) {
    this.prefix = `blocks.${index}`;
    this.attnOpts = { numHeads: cfg.numHeads, attnDropRate: cfg.attnDropRate, projDropRate: cfg.dropRate };
  }

  /** The block's parameters (`blocks.<i>.*`), which its gradient reaches. */
  variables(): tf.Variable[] {
    return this.params.names().filter((n) => n.startsWith(`${this.prefix}.`)).map((n) => this.params.get(n));
  }

  /**
   * divided_space_time / joint_space_time: x [B, 1+N*T, D] -> [B, 1+N*T, D].
   * space_only: x [B*T, 1+N, D] -> [B*T, 1+N, D].
   */
  apply(x: tf.Tensor, geo: BlockGeometry, ctx: ForwardContext): tf.Tensor {
    const type: AttentionType = this.cfg.attentionType;
    switch (type) {
      case 'divided_space_time':
        return this.divided(x, geo, ctx);
      case 'joint_space_time':
      case 'space_only':
        return this.plain(x, ctx);
      default: {
        const never: never = type;
        throw new Error(`unknown attention type ${never}`);
      }
    }
  }

  private ln(x: tf.Tensor, name: string): tf.Tensor {
    const p = this.params;
    return layerNorm(x, p.get(`${this.prefix}.${name}.weight`), p.get(`${this.prefix}.${name}.bias`), this.cfg.layerNormEps);
  }

  private mlpResidual(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const y = mlp(this.ln(x, 'norm2'), this.params, `${this.prefix}.mlp`, this.cfg.dropRate, ctx);
    return tf.add(x, dropPath(y, this.dropPathRate, ctx));
  }

  private plain(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const a = attention(this.ln(x, 'norm1'), this.params, `${this.prefix}.attn`, this.attnOpts, ctx);
      return this.mlpResidual(tf.add(x, dropPath(a, this.dropPathRate, ctx)), ctx);
    });
  }

  private divided(x: tf.Tensor, { B, T, N }: BlockGeometry, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const [xB, L, D] = x.shape;
      if (xB !== B || L !== 1 + N * T) throw new Error(`block: expected [${B}, ${1 + N * T}, D], got [${x.shape}]`);
      const p = this.params;
      // Split, not two slices: the gradient is one Concat, not two full-size pads and their sum.
      const [cls0, patches] = tf.split(x, [1, N * T], 1); // [B, 1, D], [B, N*T, D] (n t)

      // Temporal attention: each patch location attends over its T frames; CLS is not part of it.
      const xt = toTemporalGroups(patches, B, N, T); // [B*N, T, D]
      const rt = dropPath(attention(this.ln(xt, 'temporal_norm1'), p, `${this.prefix}.temporal_attn`, this.attnOpts, ctx), this.dropPathRate, ctx);
      const rtFc = linear(fromTemporalGroups(rt, B, N, T), p.get(`${this.prefix}.temporal_fc.weight`), p.get(`${this.prefix}.temporal_fc.bias`)); // [B, N*T, D]
      const xtRes = tf.add(patches, rtFc); // [B, N*T, D]

      // Spatial attention: each frame's N patches plus a copy of the clip's CLS token.
      const clsPerFrame = tf.reshape(tile(cls0, [1, T, 1]), [B * T, 1, D]); // [B, 1, D] -> [B*T, 1, D], rows (b t)
      const xs = tf.concat([clsPerFrame, toSpatialGroups(xtRes, B, N, T)], 1); // [B*T, 1+N, D]
      const rs = dropPath(attention(this.ln(xs, 'norm1'), p, `${this.prefix}.attn`, this.attnOpts, ctx), this.dropPathRate, ctx); // [B*T, 1+N, D]
      const [rsCls, rsPatch] = tf.split(rs, [1, N], 1); // [B*T, 1, D], [B*T, N, D]
      const rCls = tf.mean(tf.reshape(rsCls, [B, T, D]), 1, true); // [B, 1, D]: CLS averaged over frames
      const rPatch = fromSpatialGroups(rsPatch, B, N, T); // [B, N*T, D]
      const y = tf.add(tf.concat([cls0, xtRes], 1), tf.concat([rCls, rPatch], 1)); // [B, 1+N*T, D]

      return this.mlpResidual(y, ctx);
    });
  }
}
