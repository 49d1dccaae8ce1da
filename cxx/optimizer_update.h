// The AdamW and SGD (Nesterov momentum) updates of one parameter's elements [i0, i1), shared by the two addons that
// fuse the optimizer step: native/src/fused_optimizer.cc (tfjs-wasm's heap buffers) and torch/src/ops_optimizer.cc
// (libtorch's CPU tensors; its CUDA path takes the same constants). The math repeats src/train/optimizer.ts's unfused
// path operation by operation in float32, with the constants rounded to float32 as tfjs rounds its scalar operands, so
// the addons and tfjs agree bit for bit (test/accel/fused.test.ts, test/torch/fused_step.test.ts). Plain C++17: no
// N-API, no ATen, so both builds include it (native/binding.gyp and torch/build.js add this folder to the include path).
#pragma once

#include <cmath>
#include <cstdint>

namespace cover_optim {

/** One AdamW step's constants in float32: tf.mul(m, beta1), tf.mul(g, 1 - beta1), tf.div(m1, 1 - beta1^step), ... */
struct AdamWConstants {
  float b1, ob1, b2, ob2;  // beta1, 1 - beta1, beta2, 1 - beta2
  float c1, c2;            // the bias corrections 1 - beta1^step, 1 - beta2^step (step is 1-based)
  float eps, lr, gradScale;
  bool scaled;  // gradScale != 1: the gradients are multiplied by it first
};

inline AdamWConstants adamwConstants(double lr, double beta1, double beta2, double eps, double step, double gradScale) {
  return AdamWConstants{static_cast<float>(beta1),
                        static_cast<float>(1 - beta1),
                        static_cast<float>(beta2),
                        static_cast<float>(1 - beta2),
                        static_cast<float>(1 - std::pow(beta1, step)),
                        static_cast<float>(1 - std::pow(beta2, step)),
                        static_cast<float>(eps),
                        static_cast<float>(lr),
                        static_cast<float>(gradScale),
                        gradScale != 1};
}

/** AdamW on p[i0, i1) in place, with its gradient g (read only), its slots m and v (in place) and weight decay wd. */
inline void adamwRange(float* p, const float* g, float* m, float* v, float wd, const AdamWConstants& c, int64_t i0,
                       int64_t i1) {
  // Locals, not c's fields, in the loop: a store through p, m or v may alias a float of c as far as the compiler knows.
  const float b1 = c.b1, ob1 = c.ob1, b2 = c.b2, ob2 = c.ob2, c1 = c.c1, c2 = c.c2, e = c.eps, lr = c.lr, gs = c.gradScale;
  const bool scaled = c.scaled;
  for (int64_t i = i0; i < i1; i++) {
    const float gi = scaled ? g[i] * gs : g[i];
    const float m1 = m[i] * b1 + gi * ob1;
    const float v1 = v[i] * b2 + (gi * gi) * ob2;
    float update = (m1 / c1) / (std::sqrt(v1 / c2) + e);
    if (wd != 0) update = update + p[i] * wd;
    m[i] = m1;
    v[i] = v1;
    p[i] = p[i] - update * lr;
  }
}

/** One SGD step's constants in float32; momentum 0 is plain SGD (no buffer). */
struct SgdConstants {
  float lr, momentum, gradScale;
  bool scaled, useMomentum, nesterov;
};

inline SgdConstants sgdConstants(double lr, double momentum, bool nesterov, double gradScale) {
  return SgdConstants{static_cast<float>(lr), static_cast<float>(momentum), static_cast<float>(gradScale), gradScale != 1,
                      momentum > 0, nesterov};
}

/** SGD on p[i0, i1) in place, with its gradient g, its momentum buffer buf (nullptr without momentum) and weight decay wd. */
inline void sgdRange(float* p, const float* g, float* buf, float wd, const SgdConstants& c, int64_t i0, int64_t i1) {
  const float lr = c.lr, mom = c.momentum, gs = c.gradScale;
  const bool scaled = c.scaled, useMomentum = c.useMomentum, nesterov = c.nesterov;
  for (int64_t i = i0; i < i1; i++) {
    const float gi = scaled ? g[i] * gs : g[i];
    float d = wd != 0 ? gi + p[i] * wd : gi;
    if (useMomentum) {
      const float b = buf[i] * mom + d;
      buf[i] = b;
      d = nesterov ? d + b * mom : b;
    }
    p[i] = p[i] - d * lr;
  }
}

}  // namespace cover_optim
