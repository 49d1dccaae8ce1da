// Elementwise ops with tfjs's semantics: unary math, binary ops with broadcasting, comparisons (bool results), Cast,
// ClipByValue, Select. Inputs arrive with the dtypes tfjs's ops chose (they upcast before calling a kernel).
#include "common.h"

namespace cover_torch {
namespace {

using U = at::Tensor (*)(const at::Tensor&);

at::Tensor floating(const at::Tensor& x) { return at::isFloatingType(x.scalar_type()) ? x : x.to(at::kFloat); }

#define UNARY(name, expr)                                                         \
  REGISTER_OP(name, 1, 1, [](const Tensors& in, const Attrs&) -> Tensors {       \
    const at::Tensor& x = in[0];                                                  \
    (void)x;                                                                      \
    return {expr};                                                                \
  })

UNARY("Identity", x);
UNARY("Abs", at::abs(x));
UNARY("Neg", at::neg(x));
UNARY("Exp", at::exp(floating(x)));
UNARY("Expm1", at::expm1(floating(x)));
UNARY("Log", at::log(floating(x)));
UNARY("Log1p", at::log1p(floating(x)));
UNARY("Sqrt", at::sqrt(floating(x)));
UNARY("Rsqrt", at::rsqrt(floating(x)));
UNARY("Square", at::mul(x, x));
UNARY("Reciprocal", at::reciprocal(floating(x)));
UNARY("Erf", at::erf(floating(x)));
UNARY("Floor", at::isFloatingType(x.scalar_type()) ? at::floor(x) : x.clone());
UNARY("Ceil", at::isFloatingType(x.scalar_type()) ? at::ceil(x) : x.clone());
UNARY("Round", at::isFloatingType(x.scalar_type()) ? at::round(x) : x.clone());  // half to even, as tfjs
UNARY("Sign", at::sign(x));
UNARY("Relu", at::relu(x));
UNARY("Relu6", at::clamp(x, 0, 6));
UNARY("Sigmoid", at::sigmoid(floating(x)));
UNARY("Tanh", at::tanh(floating(x)));
UNARY("Sin", at::sin(floating(x)));
UNARY("Cos", at::cos(floating(x)));
UNARY("Elu", at::elu(floating(x)));
UNARY("Selu", at::selu(floating(x)));
UNARY("IsNan", at::isnan(x));
UNARY("IsInf", at::isinf(x));
UNARY("LogicalNot", at::logical_not(x));
UNARY("ZerosLike", at::zeros_like(x));
UNARY("OnesLike", at::ones_like(x));
// tfjs's Softplus: x above -log(eps)+2 is x, below log(eps)+2 is exp(x), else log1p(exp(x)) (eps = 2^-23).
UNARY("Softplus", ([&] {
        at::Tensor f = floating(x);
        const double threshold = std::log(1.1920928955078125e-7) + 2.0;
        return at::where(f > -threshold, f, at::where(f < threshold, at::exp(f), at::log1p(at::exp(f))));
      })());

REGISTER_OP("LeakyRelu", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  return {at::where(in[0] < 0, in[0] * a.f("alpha"), in[0])};
});
// tfjs's Step: NaN stays NaN, x > 0 is 1, else alpha.
REGISTER_OP("Step", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  const at::Tensor& x = in[0];
  at::Tensor one = at::ones_like(x);
  at::Tensor r = at::where(x > 0, one, one * a.f("alpha"));
  if (at::isFloatingType(x.scalar_type())) r = at::where(at::isnan(x), x, r);
  return {r};
});
REGISTER_OP("ClipByValue", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  return {at::clamp(in[0], a.f("clipValueMin"), a.f("clipValueMax"))};
});
// tfjs casts float -> int32 by truncation and anything -> bool by != 0, as ATen does.
REGISTER_OP("Cast", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  std::string d = a.s("dtype");
  at::ScalarType t = d == "float32" ? at::kFloat : d == "int32" ? at::kInt : d == "bool" ? at::kBool : at::ScalarType::Undefined;
  if (t == at::ScalarType::Undefined) a.fail("dtype must be 'float32', 'int32' or 'bool'");
  return {in[0].scalar_type() == t ? in[0] : in[0].to(t)};
});

#define BINARY(name, expr)                                                        \
  REGISTER_OP(name, 2, 2, [](const Tensors& in, const Attrs&) -> Tensors {       \
    const at::Tensor& a = in[0];                                                  \
    const at::Tensor& b = in[1];                                                  \
    return {expr};                                                                \
  })

BINARY("Add", at::add(a, b));
BINARY("Sub", at::sub(a, b));
BINARY("Multiply", at::mul(a, b));
BINARY("RealDiv", at::div(a, b));
BINARY("FloorDiv", at::div(a, b, "floor").to(at::kInt));  // int32 even for floats, as tfjs
BINARY("Mod", at::remainder(a, b));  // sign of the divisor, as tfjs
BINARY("Pow", at::pow(a, b));
BINARY("Maximum", at::maximum(a, b));
BINARY("Minimum", at::minimum(a, b));
BINARY("SquaredDifference", at::square(at::sub(a, b)));
BINARY("Atan2", at::atan2(floating(a), floating(b)));
BINARY("Greater", at::gt(a, b));
BINARY("GreaterEqual", at::ge(a, b));
BINARY("Less", at::lt(a, b));
BINARY("LessEqual", at::le(a, b));
BINARY("Equal", at::eq(a, b));
BINARY("NotEqual", at::ne(a, b));
BINARY("LogicalAnd", at::logical_and(a, b));
BINARY("LogicalOr", at::logical_or(a, b));
BINARY("Prelu", at::where(a < 0, a * b, a));

REGISTER_OP("AddN", 1, -1, [](const Tensors& in, const Attrs&) -> Tensors {
  at::Tensor acc = in[0].clone();
  for (size_t i = 1; i < in.size(); i++) acc.add_(in[i]);
  return {acc};
});

// Select(condition, t, e): a rank-1 condition with a higher-rank t picks whole rows, as tfjs's where.
REGISTER_OP("Select", 3, 3, [](const Tensors& in, const Attrs&) -> Tensors {
  at::Tensor c = in[0].to(at::kBool);
  const at::Tensor& t = in[1];
  if (c.dim() == 1 && t.dim() > 1) {
    std::vector<int64_t> shape(t.dim(), 1);
    shape[0] = c.size(0);
    c = c.view(shape);
  }
  return {at::where(c, t, in[2])};
});

}  // namespace
}  // namespace cover_torch
