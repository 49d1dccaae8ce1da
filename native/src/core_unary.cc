// Elementwise unary ops (tfjs's Exp, Log, Neg, Abs, Sqrt, Rsqrt, Square, Tanh, Sigmoid, Erf, Relu, Reciprocal, Sin,
// Cos, Log1p, Expm1, Sign, Floor, Ceil, Round, Relu6, Elu, LeakyRelu, Step): one op switch per call, then one tight loop.
// Each op follows tfjs's definition, NaN handling included (relu(NaN) = NaN, step(NaN) = NaN, sign(NaN) = 0, round
// half to even).
#include <cmath>

#include "core.h"
#include "napi_args.h"
#include "core_math.h"
#include "pool.h"

namespace cover {
namespace {

enum UnaryOp {
  kExp, kLog, kNeg, kAbs, kSqrt, kRsqrt, kSquare, kTanh, kSigmoid, kErf, kRelu, kReciprocal,
  kSin, kCos, kLog1p, kExpm1, kSign, kFloor, kCeil, kRound, kRelu6, kElu, kLeakyRelu, kStep, kUnaryCount
};

struct Exp { static float f(float x, float) { return fastExp(x); } };
struct Log { static float f(float x, float) { return std::log(x); } };
struct Neg { static float f(float x, float) { return -x; } };
struct Abs { static float f(float x, float) { return std::fabs(x); } };
struct Sqrt { static float f(float x, float) { return std::sqrt(x); } };
struct Rsqrt { static float f(float x, float) { return 1.f / std::sqrt(x); } };
struct Square { static float f(float x, float) { return x * x; } };
struct Tanh { static float f(float x, float) { return fastTanh(x); } };
struct Sigmoid { static float f(float x, float) { return 1.f / (1.f + fastExp(-x)); } };
struct Erf { static float f(float x, float) { return std::erf(x); } };
struct Relu { static float f(float x, float) { return x < 0.f ? 0.f : x; } };
struct Reciprocal { static float f(float x, float) { return 1.f / x; } };
struct Sin { static float f(float x, float) { return std::sin(x); } };
struct Cos { static float f(float x, float) { return std::cos(x); } };
struct Log1p { static float f(float x, float) { return std::log1p(x); } };
struct Expm1 { static float f(float x, float) { return std::expm1(x); } };
struct Sign { static float f(float x, float) { return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f); } };  // sign(NaN) = 0, as tfjs
struct Floor { static float f(float x, float) { return std::floor(x); } };
struct Ceil { static float f(float x, float) { return std::ceil(x); } };
struct Round { static float f(float x, float) { return std::nearbyint(x); } };  // default rounding: half to even
struct Relu6 { static float f(float x, float) { return x < 0.f ? 0.f : (x > 6.f ? 6.f : x); } };
struct Elu { static float f(float x, float) { return x >= 0.f ? x : std::expm1(x); } };
struct LeakyRelu { static float f(float x, float alpha) { return x < 0.f ? alpha * x : x; } };
struct Step { static float f(float x, float alpha) { return x != x ? x : (x > 0.f ? 1.f : alpha); } };

template <class F>
COVER_CLONES void loop(const float* __restrict x, float* __restrict o, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; i++) o[i] = F::f(x[i], alpha);
}

template <class F>
void run(const float* x, float* out, int64_t n, float alpha, int64_t grain) {
  parallelFor(n, grain, [&](int64_t begin, int64_t end) { loop<F>(x + begin, out + begin, end - begin, alpha); });
}

}  // namespace

const std::vector<const char*>& unaryOpNames() {
  static const std::vector<const char*> names = {"exp", "log", "neg", "abs", "sqrt", "rsqrt", "square", "tanh",
                                                 "sigmoid", "erf", "relu", "reciprocal", "sin", "cos", "log1p",
                                                 "expm1", "sign", "floor", "ceil", "round", "relu6", "elu",
                                                 "leakyrelu", "step"};
  return names;
}

// unary(op, x, out, n, alpha)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const char* fn = "unary";
  const int op = opArg(info, 0, kUnaryCount, fn);
  const int64_t n = dimArg(info, 3, fn);
  const float alpha = static_cast<float>(numArg(info, 4, fn));
  const float* x = f32Arg(info, 1, n, fn);
  float* out = f32Arg(info, 2, n, fn);
  // Cheap ops split at kElementwiseGrain; libm calls (~10–30 ns per element) split 8x sooner.
  const int64_t g = kElementwiseGrain, slow = kElementwiseGrain / 8, mid = kElementwiseGrain / 4;
  switch (op) {
    case kExp: run<Exp>(x, out, n, alpha, mid); break;
    case kLog: run<Log>(x, out, n, alpha, slow); break;
    case kNeg: run<Neg>(x, out, n, alpha, g); break;
    case kAbs: run<Abs>(x, out, n, alpha, g); break;
    case kSqrt: run<Sqrt>(x, out, n, alpha, g); break;
    case kRsqrt: run<Rsqrt>(x, out, n, alpha, g); break;
    case kSquare: run<Square>(x, out, n, alpha, g); break;
    case kTanh: run<Tanh>(x, out, n, alpha, mid); break;
    case kSigmoid: run<Sigmoid>(x, out, n, alpha, mid); break;
    case kErf: run<Erf>(x, out, n, alpha, slow); break;
    case kRelu: run<Relu>(x, out, n, alpha, g); break;
    case kReciprocal: run<Reciprocal>(x, out, n, alpha, g); break;
    case kSin: run<Sin>(x, out, n, alpha, slow); break;
    case kCos: run<Cos>(x, out, n, alpha, slow); break;
    case kLog1p: run<Log1p>(x, out, n, alpha, slow); break;
    case kExpm1: run<Expm1>(x, out, n, alpha, slow); break;
    case kSign: run<Sign>(x, out, n, alpha, g); break;
    case kFloor: run<Floor>(x, out, n, alpha, g); break;
    case kCeil: run<Ceil>(x, out, n, alpha, g); break;
    case kRound: run<Round>(x, out, n, alpha, g); break;
    case kRelu6: run<Relu6>(x, out, n, alpha, g); break;
    case kElu: run<Elu>(x, out, n, alpha, slow); break;
    case kLeakyRelu: run<LeakyRelu>(x, out, n, alpha, g); break;
    case kStep: run<Step>(x, out, n, alpha, g); break;
  }
  return info.Env().Undefined();
}

}  // namespace cover
