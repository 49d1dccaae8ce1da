// A short measured matMul rate on the active backend: the ceiling a matmul-bound training step can approach, shown by
// `cover doctor` and the benchmarks. 2·n³ FLOPs per [n, n] × [n, n] product (docs/notes/engine-probe.md §1 "Peak
// GEMM").

import * as tf from '@tensorflow/tfjs-core';

export interface GemmRate {
  /** Billions of floating-point operations per second, measured. */
  gflops: number;
  n: number;
  backend: string;
  /** Timed products (after the warm-up) and the time they took. */
  calls: number;
  ms: number;
}

const WARMUP_CALLS = 2;
const MIN_CALLS = 3;

/**
 * Times back-to-back [n, n] × [n, n] matMuls for about `ms` milliseconds (at least 3) after a warm-up, reading each
 * result back so that asynchronous backends are timed to completion. Creates no lasting tensors.
 *
 * @example
 * measureGemm(512, 300) // { gflops: 39.6, n: 512, backend: 'wasm', calls: 45, ms: 305.2 }   (1 wasm thread, Zen 5)
 */
export function measureGemm(n = 512, ms = 300): GemmRate {
  if (!Number.isInteger(n) || n < 1) throw new Error(`measureGemm: n must be a positive integer, got ${n}`);
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1); // [n, n]
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2); // [n, n]
  try {
    const once = () => {
      const c = tf.matMul(a, b); // [n, n]
      c.dataSync();
      c.dispose();
    };
    for (let i = 0; i < WARMUP_CALLS; i++) once();
    let calls = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (calls < MIN_CALLS || elapsed < ms) {
      once();
      calls++;
      elapsed = performance.now() - t0;
    }
    return { gflops: (2 * n ** 3 * calls) / (elapsed / 1000) / 1e9, n, backend: tf.getBackend(), calls, ms: elapsed };
  } finally {
    a.dispose();
    b.dispose();
  }
}
