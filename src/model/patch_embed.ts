// Patch embedding (vit.py PatchEmbed): a Conv2d(3 -> D, kernel p, stride p) on every frame, computed here as
// reshape + transpose + dense. The weight is stored as the reference conv weight [D, 3, p, p] in checkpoints and kept as
// [p*p*3, D] inside cover (param_spec.ts 'patch' layout); conv2d is avoided because wasm lacks its filter gradient.
// Its init is PyTorch's default Conv2d init, as in the reference (param_spec.ts).

import * as tf from '@tensorflow/tfjs-core';
import { linear } from './linear';
import { ParamStore } from './params';

/** x [B, T, H, W, C] -> [B*T, N, D] with N = (H/p)(W/p) in row-major patch order (h w), rows (b t). */
export function patchEmbed(x: tf.Tensor, params: ParamStore, p: number): tf.Tensor {
  return tf.tidy(() => {
    const [B, T, H, W, C] = x.shape;
    if (H % p !== 0 || W % p !== 0) throw new Error(`patch embed: frame ${H}x${W} is not a multiple of the patch size ${p}`);
    const Hp = H / p;
    const Wp = W / p;
    // Rows of (i, j, c) for pixel row i, column j, channel c of each patch: [B*T*Hp, p, Wp, p*C] -> [B*T*Hp, Wp, p, p*C]
    // (a 4-D transpose: tfjs-wasm's rank-5/6 transposes take a slow generic path).
    const patches = tf.reshape(tf.transpose(tf.reshape(x, [B * T * Hp, p, Wp, p * C]), [0, 2, 1, 3]), [B * T * Hp * Wp, p * p * C]);
    const y = linear(patches, params.get('patch_embed.proj.weight'), params.get('patch_embed.proj.bias')); // [B*T*N, D]
    return tf.reshape(y, [B * T, Hp * Wp, -1]); // [B*T, N, D]
  });
}
