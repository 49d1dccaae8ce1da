// BatchMatMul (batch dims broadcast, transpose flags as ATen transposes: no copies, BLAS reads them in place) and
// _FusedMatMul (the same plus a bias and an activation), both through precisionMatmul() so the precision setting applies.
#include "common.h"

namespace cover_torch {
namespace {

at::Tensor product(const at::Tensor& a0, const at::Tensor& b0, const Attrs& attrs) {
  at::Tensor a = attrs.b("transposeA") ? a0.transpose(-1, -2) : a0;
  at::Tensor b = attrs.b("transposeB") ? b0.transpose(-1, -2) : b0;
  if (a.size(-1) != b.size(-2)) {
    attrs.fail("inner dimensions differ: " + std::to_string(a.size(-1)) + " and " + std::to_string(b.size(-2)));
  }
  return precisionMatmul(a.scalar_type() == at::kFloat ? a : a.to(at::kFloat), b.scalar_type() == at::kFloat ? b : b.to(at::kFloat));
}

REGISTER_OP("BatchMatMul", 2, 2, [](const Tensors& in, const Attrs& a) -> Tensors { return {product(in[0], in[1], a)}; });

/** The product plus a bias as one BLAS call (addmm: the bias is the gemm's C), where a and b are matrices (tfjs passes
 * [1, M, K] and [1, K, N]) and the bias a row [N]: no second pass over the result and no second allocation. */
at::Tensor productWithBias(const at::Tensor& a0, const at::Tensor& b0, const at::Tensor& bias, const Attrs& attrs) {
  at::Tensor a = attrs.b("transposeA") ? a0.transpose(-1, -2) : a0;
  at::Tensor b = attrs.b("transposeB") ? b0.transpose(-1, -2) : b0;
  bool matrices = a.dim() == b.dim() && (a.dim() == 2 || (a.dim() == 3 && a.size(0) == 1 && b.size(0) == 1));
  if (!matrices || currentPrecision() == Precision::bf16 || a.scalar_type() != at::kFloat || b.scalar_type() != at::kFloat ||
      bias.scalar_type() != at::kFloat || bias.dim() == 0 || bias.size(-1) != b.size(-1) || bias.numel() != b.size(-1) ||
      a.size(-1) != b.size(-2)) {
    return product(a0, b0, attrs) + bias;
  }
  at::Tensor y = at::addmm(bias.reshape({-1}), a.dim() == 3 ? a[0] : a, b.dim() == 3 ? b[0] : b);
  return a.dim() == 3 ? y.unsqueeze(0) : y;
}

// ids: a, b, then bias when attrs.hasBias, then the prelu weights when attrs.hasPrelu.
REGISTER_OP("_FusedMatMul", 2, 4, [](const Tensors& in, const Attrs& a) -> Tensors {
  size_t k = 2;
  bool hasBias = a.b("hasBias");
  if (hasBias && k >= in.size()) a.fail("hasBias is set but no bias was passed");
  at::Tensor y = hasBias ? productWithBias(in[0], in[1], in[k++], a) : product(in[0], in[1], a);
  std::string act = a.has("activation") ? a.s("activation") : "linear";
  if (act == "linear") return {y};
  if (act == "relu") return {at::relu(y)};
  if (act == "relu6") return {at::clamp(y, 0, 6)};
  if (act == "sigmoid") return {at::sigmoid(y)};
  if (act == "elu") return {at::elu(y)};
  if (act == "leakyrelu") return {at::where(y < 0, y * a.f("leakyreluAlpha"), y)};
  if (act == "prelu") {
    if (k >= in.size()) a.fail("prelu activation without its weights");
    return {at::where(y < 0, y * in[k], y)};
  }
  a.fail("unknown activation '" + act + "'");
});

}  // namespace
}  // namespace cover_torch
