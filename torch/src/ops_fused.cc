// cover's fused kernels (the same names and contracts as the wasm accelerator's, src/engine/accel/fused_kernels.ts):
// the linear layer on any leading shape (views, no reshape calls), LayerNorm over the last axis with mean/rstd saved,
// exact GELU, and the multi-head attention core on the qkv projection's output (sequences of up to 32 tokens on the CPU
// by attention_cpu.cc's loops, longer ones and other devices by batched matmuls), each forward and backward as one call.
#include "attention_cpu.h"
#include "common.h"

namespace cover_torch {
namespace {

/** x [.., K] and w [K, N] as a linear layer's operands: x viewed [M, K]; fails on shapes that do not match. */
at::Tensor rows(const at::Tensor& x, const at::Tensor& w, const Attrs& a) {
  if (w.dim() != 2 || x.dim() < 1 || x.size(-1) != w.size(0)) a.fail("x [.., K] and w [K, N] do not match");
  return x.reshape({-1, w.size(0)});
}

/** sizes with the last one replaced by n. */
std::vector<int64_t> withLast(at::IntArrayRef sizes, int64_t n) {
  std::vector<int64_t> s(sizes.begin(), sizes.end());
  s.back() = n;
  return s;
}

// x [.., K], w [K, N], b [N] (optional) -> y [.., N]: one addmm, the bias as the gemm's C
REGISTER_OP("CoverLinear", 2, 3, [](const Tensors& in, const Attrs& a) -> Tensors {
  const at::Tensor& w = in[1];
  at::Tensor x2 = rows(in[0], w, a);
  at::Tensor y;
  if (in.size() < 3) y = precisionMatmul(x2, w);
  else if (in[2].numel() != w.size(1)) a.fail("b must have N elements");
  else if (currentPrecision() == Precision::bf16) y = precisionMatmul(x2, w) + in[2].reshape({-1});
  else y = at::addmm(in[2].reshape({-1}), x2, w);
  return {y.view(withLast(in[0].sizes(), w.size(1)))};
});

// dy [.., N], x [.., K], w [K, N]; {hasBias} -> dx [.., K], dw [K, N], db [N] (with hasBias): transposes are views
REGISTER_OP("CoverLinearGrad", 3, 3, [](const Tensors& in, const Attrs& a) -> Tensors {
  const at::Tensor& w = in[2];
  at::Tensor x2 = rows(in[1], w, a);
  at::Tensor dy2 = in[0].reshape({-1, w.size(1)});
  if (dy2.size(0) != x2.size(0)) a.fail("dy and x have different leading shapes");
  Tensors out = {precisionMatmul(dy2, w.t()).view(in[1].sizes()), precisionMatmul(x2.t(), dy2)};
  if (a.b("hasBias")) out.push_back(dy2.sum(0));
  return out;
});

// x [.., C], gamma [C], beta [C] -> y [.., C], mean [R], rstd [R]
REGISTER_OP("CoverLayerNorm", 3, 3, [](const Tensors& in, const Attrs& a) -> Tensors {
  const at::Tensor& x = in[0];
  int64_t C = x.size(-1);
  auto r = at::native_layer_norm(x, {C}, in[1], in[2], a.f("eps"));
  int64_t rows = C == 0 ? 0 : x.numel() / C;
  return {std::get<0>(r), std::get<1>(r).reshape({rows}), std::get<2>(r).reshape({rows})};
});

// dy, x [.., C], gamma [C], mean [R], rstd [R] -> dx, dgamma [C], dbeta [C]
REGISTER_OP("CoverLayerNormGrad", 5, 5, [](const Tensors& in, const Attrs&) -> Tensors {
  const at::Tensor& dy = in[0];
  const at::Tensor& x = in[1];
  const at::Tensor& gamma = in[2];
  int64_t C = x.size(-1);
  std::vector<int64_t> statShape(x.sizes().begin(), x.sizes().end());
  statShape.back() = 1;
  auto r = at::native_layer_norm_backward(dy.contiguous(), x.contiguous(), {C}, in[3].reshape(statShape), in[4].reshape(statShape),
                                          gamma, gamma, {true, true, true});
  return {std::get<0>(r), std::get<1>(r), std::get<2>(r)};
});

REGISTER_OP("CoverGelu", 1, 1, [](const Tensors& in, const Attrs&) -> Tensors { return {at::gelu(in[0])}; });
// inputs x, dy -> dx
REGISTER_OP("CoverGeluGrad", 2, 2, [](const Tensors& in, const Attrs&) -> Tensors { return {at::gelu_backward(in[1], in[0])}; });

struct Heads {
  int64_t Bx, S, H, Dh;
};

Heads dims(const at::Tensor& qkv, const Attrs& a) {
  int64_t H = a.i("numHeads");
  if (qkv.dim() != 3 || H <= 0 || qkv.size(2) % (3 * H) != 0) a.fail("qkv must be [Bx, S, 3 * numHeads * Dh]");
  return {qkv.size(0), qkv.size(1), H, qkv.size(2) / (3 * H)};
}

/** qkv [Bx, S, 3D] -> q, k, v each [Bx*H, S, Dh], contiguous: batched matmuls then run as one bmm over plain matrices. */
std::vector<at::Tensor> split(const at::Tensor& qkv, const Heads& h) {
  at::Tensor v5 = qkv.reshape({h.Bx, h.S, 3, h.H, h.Dh}).permute({2, 0, 3, 1, 4}).contiguous();  // [3, Bx, H, S, Dh]
  at::Tensor flat = v5.view({3, h.Bx * h.H, h.S, h.Dh});
  return {flat[0], flat[1], flat[2]};
}

/** [Bx*H, S, Dh] -> [Bx, S, H*Dh] (heads merged). */
at::Tensor mergeHeads(const at::Tensor& x, const Heads& h) {
  return x.view({h.Bx, h.H, h.S, h.Dh}).permute({0, 2, 1, 3}).reshape({h.Bx, h.S, h.H * h.Dh});
}

/** out = a @ b for batches of matrices, written straight into `out` (a contiguous slice) unless bf16 needs a cast. */
void matmulInto(at::Tensor out, const at::Tensor& a, const at::Tensor& b) {
  if (currentPrecision() == Precision::bf16) out.copy_(precisionMatmul(a, b));
  else at::bmm_out(out, a, b);
}

// qkv [Bx, S, 3D] -> out [Bx, S, D] (heads merged), probs [Bx, H, S, S]
REGISTER_OP("CoverAttention", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  Heads h = dims(in[0], a);
  double scale = a.f("scale");
  if (shortAttention(in[0], h.S)) {
    at::Tensor out = at::empty({h.Bx, h.S, h.H * h.Dh}, in[0].options());
    at::Tensor probs = at::empty({h.Bx, h.H, h.S, h.S}, in[0].options());
    shortAttentionForward(in[0].data_ptr<float>(), out.data_ptr<float>(), probs.data_ptr<float>(), h.Bx, h.S, h.H, h.Dh, static_cast<float>(scale));
    return {out, probs};
  }
  auto qkv = split(in[0], h);
  at::Tensor probs = at::_softmax(precisionMatmul(qkv[0], qkv[1].transpose(-1, -2)).mul_(scale), -1, false);  // [Bx*H, S, S]
  at::Tensor o = precisionMatmul(probs, qkv[2]);                                                  // [Bx*H, S, Dh]
  return {mergeHeads(o, h), probs.view({h.Bx, h.H, h.S, h.S})};
});

// dout [Bx, S, D], qkv, probs -> dqkv [Bx, S, 3D]
REGISTER_OP("CoverAttentionGrad", 3, 3, [](const Tensors& in, const Attrs& a) -> Tensors {
  Heads h = dims(in[1], a);
  double scale = a.f("scale");
  if (shortAttention(in[1], h.S) && in[0].is_contiguous() && in[2].is_contiguous() && in[0].numel() == h.Bx * h.S * h.H * h.Dh &&
      in[2].numel() == h.Bx * h.H * h.S * h.S) {
    at::Tensor dqkv = at::empty_like(in[1]);
    shortAttentionBackward(in[0].data_ptr<float>(), in[1].data_ptr<float>(), in[2].data_ptr<float>(), dqkv.data_ptr<float>(), h.Bx, h.S,
                           h.H, h.Dh, static_cast<float>(scale));
    return {dqkv};
  }
  auto qkv = split(in[1], h);
  at::Tensor P = in[2].reshape({h.Bx * h.H, h.S, h.S});
  at::Tensor dO = in[0].reshape({h.Bx, h.S, h.H, h.Dh}).permute({0, 2, 1, 3}).reshape({h.Bx * h.H, h.S, h.Dh});
  at::Tensor d = at::empty({3, h.Bx * h.H, h.S, h.Dh}, dO.options());
  matmulInto(d[2], P.transpose(-1, -2), dO);                                                             // dV
  at::Tensor dS = at::_softmax_backward_data(precisionMatmul(dO, qkv[2].transpose(-1, -2)), P, -1, P.scalar_type()).mul_(scale);
  matmulInto(d[0], dS, qkv[1]);                                                                          // dQ
  matmulInto(d[1], dS.transpose(-1, -2), qkv[0]);                                                        // dK
  // [3, Bx, H, S, Dh] -> [Bx, S, 3, H, Dh]
  return {d.view({3, h.Bx, h.H, h.S, h.Dh}).permute({1, 3, 0, 2, 4}).reshape({h.Bx, h.S, 3 * h.H * h.Dh})};
});

}  // namespace
}  // namespace cover_torch
