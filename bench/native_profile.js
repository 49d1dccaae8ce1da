#!/usr/bin/env node
// Where a `small` training step spends its time with the native accelerator: wraps every function of the addon with a
// timer and runs N steps (default 30) after 3 warm-up steps. Run after `npm run build`:
//   node bench/native_profile.js            (COVER_ACCEL_THREADS=1 for one thread; N=10 for fewer steps)
'use strict';
const path = require('path');
const dist = (p) => path.join(__dirname, '..', 'dist', 'src', p);
const tf = require('@tensorflow/tfjs-core');
const addon = require('cover-native');

const spent = new Map(); // name -> [ms, calls]
for (const name of Object.keys(addon)) {
  const f = addon[name];
  if (typeof f !== 'function' || name === 'info' || name === 'setThreads') continue;
  addon[name] = function timed(...args) {
    const t = process.hrtime.bigint();
    const r = f.apply(this, args);
    const e = spent.get(name) || [0, 0];
    e[0] += Number(process.hrtime.bigint() - t) / 1e6;
    e[1] += 1;
    spent.set(name, e);
    return r;
  };
}
const { initBackend } = require(dist('engine/backend'));
const { getPreset } = require(dist('config/presets'));
const { TimeSformer } = require(dist('model/timesformer'));
const { Optimizer, DEFAULT_OPTIMIZER } = require(dist('train/optimizer'));
const { trainStep } = require(dist('train/train_step'));

(async () => {
  const info = await initBackend({ backend: 'wasm', accel: 'native' });
  const cfg = getPreset('small');
  const model = new TimeSformer(cfg, [{ name: 'b', numClasses: 10, labels: [...'abcdefghij'] }], 0);
  const opt = new Optimizer(DEFAULT_OPTIMIZER.adamw);
  const x = tf.randomNormal([8, cfg.numFrames, cfg.imgSize, cfg.imgSize, 3], 0, 1, 'float32', 1);
  const batch = [{ head: 'b', x, labels: Int32Array.from({ length: 8 }, (_, i) => i % 10) }];
  for (let i = 0; i < 3; i++) trainStep(model, batch, opt, { lr: 1e-4, seed: i });
  spent.clear();
  const n = Number(process.env.N || 30);
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    trainStep(model, batch, opt, { lr: 1e-4, seed: i });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`${info.accel.reason}: median ${times[n >> 1].toFixed(1)} ms per step, min ${times[0].toFixed(1)} (${n} steps)`);
  let total = 0;
  for (const [name, [ms, calls]] of [...spent].sort((a, b) => b[1][0] - a[1][0])) {
    total += ms;
    console.log(`  ${name.padEnd(18)} ${(ms / n).toFixed(2).padStart(6)} ms/step  ${String(calls / n).padStart(4)} calls/step`);
  }
  console.log(`  native total       ${(total / n).toFixed(1).padStart(6)} ms/step`);
  x.dispose();
  opt.dispose();
  model.dispose();
  process.exit(0);
})().catch((e) => {
  console.error(`native_profile: ${e.message}`);
  process.exit(1);
});
