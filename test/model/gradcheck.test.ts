// The whole model's analytic gradients against central finite differences (float64-free check: float32 with a large
// step, on a few entries of every kind of parameter), so a wrong hand-written gradient anywhere cannot hide.
import * as tf from '@tensorflow/tfjs-core';
import { getPreset } from '../../src/config/presets';
import { TimeSformer } from '../../src/model/timesformer';
import { evalContext } from '../../src/model/context';
import { accumulateGradients } from '../../src/train/train_step';
import { crossEntropy } from '../../src/train/loss';
import { randomClips, randomizeWeights, useBackend } from '../helpers/tf';

test('analytic gradients match finite differences on every kind of parameter', async () => {
  await useBackend('cpu');
  const cfg = { ...getPreset('tiny'), dropPathRate: 0 };
  const heads = [{ name: 'h', numClasses: 3, labels: ['a', 'b', 'c'] }];
  const model = new TimeSformer(cfg, heads, 1);
  randomizeWeights(model, 5);
  const x = randomClips(2, 2, 32, 3);
  const labels = Int32Array.from([0, 2]);
  const loss = () =>
    tf.tidy(() => tf.mean(crossEntropy(model.forwardHead(model.forwardFeatures(x, evalContext()), 'h'), labels)).dataSync()[0]);
  const { grads } = accumulateGradients(model, [{ head: 'h', x, labels }], { seed: 0 });
  const names = ['patch_embed.proj.weight', 'pos_embed', 'time_embed', 'cls_token', 'blocks.0.temporal_attn.qkv.weight', 'blocks.0.temporal_fc.weight',
    'blocks.1.attn.qkv.weight', 'blocks.1.attn.proj.bias', 'blocks.0.norm1.weight', 'blocks.1.mlp.fc1.weight', 'blocks.1.mlp.fc2.weight', 'norm.bias', 'heads.h.weight'];
  const eps = 1e-2;
  for (const name of names) {
    const v = model.namedWeights().get(name)!;
    const g = grads.get(name)!.dataSync();
    const base = v.dataSync().slice();
    // the entry with the largest analytic gradient, and one other
    let k = 0;
    for (let i = 0; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[k])) k = i;
    for (const i of [k, Math.floor(g.length / 2)]) {
      const at = (delta: number) => {
        const w = base.slice();
        w[i] += delta;
        v.assign(tf.tensor(w, v.shape));
        return loss();
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base, v.shape));
      expect({ name, i, diff: Math.abs(numeric - g[i]) < 2e-3 + 0.05 * Math.abs(g[i]) }).toEqual({ name, i, diff: true });
    }
  }
  grads.forEach((t) => t.dispose());
  x.dispose();
  model.dispose();
});
